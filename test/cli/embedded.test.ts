/**
 * The command line beside a running embedded service (#14 items 5, 6, 9): the new commands go through its
 * control socket (users list, items list, sync --wait run by the service's own worker, users export,
 * users delete removing the items at the service's in-process emulator); backup refuses while the
 * service holds DATA_DIR, and once it stopped, a backup restores into a fresh DATA_DIR with the same
 * people.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Products } from 'plaid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMULATOR_DEFAULT_CLIENT_ID, EMULATOR_DEFAULT_SECRET } from '../../src/emulator/index.js';
import { createPlaidClient, type PlaidClient } from '../../src/plaid/client.js';
import { runPackageCommand, startServerProcess, type ServerProcess } from '../helpers/processes.js';
import { TEST_ENCRYPTION_KEY, TEST_JWT_SECRET } from '../helpers/config.js';

describe('finance-api beside a running embedded service', () => {
  let dir: string;
  let env: Record<string, string>;
  let server: ServerProcess | undefined;
  let plaid: PlaidClient;
  const keep = 'keep@example.com';
  const leave = 'leave@example.com';
  let itemId: string;
  let accessToken: string;
  const cli = (...args: string[]) => runPackageCommand(args, env, 120_000);

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'fa-cli-embedded-'));
    env = {
      DATA_DIR: path.join(dir, 'data'),
      JWT_SECRET_KEY: TEST_JWT_SECRET,
      ENCRYPTION_KEY_BASE64: TEST_ENCRYPTION_KEY,
      LOG_LEVEL: 'warn',
    };
    server = await startServerProcess(env, 120_000);
    const emulatorUrl = /offline emulator at (http:\/\/[\d.:]+)/.exec(server.output())![1]!;
    plaid = createPlaidClient({
      basePath: emulatorUrl,
      clientId: EMULATOR_DEFAULT_CLIENT_ID,
      secret: EMULATOR_DEFAULT_SECRET,
      timeoutMs: 10_000,
    });
    for (const email of [keep, leave]) {
      const created = await cli('users', 'create', '--email', email);
      expect(created.code, created.stderr).toBe(0);
    }
    const token = await cli(
      '--json',
      'tokens',
      'create',
      '--email',
      leave,
      '--name',
      'link',
      '--scope',
      'write',
    );
    const bearer = (JSON.parse(token.stdout) as { token: string }).token;
    const { public_token } = await plaid.sandboxPublicTokenCreate({
      institution_id: 'ins_109508',
      initial_products: [Products.Transactions],
      options: { override_username: 'user_good', override_password: 'pass_good' },
    });
    const exchanged = await fetch(`${server.url}/v1/plaid/item/public-token/exchange`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      body: JSON.stringify({ public_token }),
    });
    expect(exchanged.status).toBe(201);
    itemId = ((await exchanged.json()) as { item: { id: string } }).item.id;
    const state = (await (await fetch(`${emulatorUrl}/__emulator/state`)).json()) as {
      items: { access_tokens: string[] }[];
    };
    accessToken = state.items[0]!.access_tokens[0]!;
  }, 240_000);
  afterAll(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('lists people and items, and follows a sync the service runs until it is done', async () => {
    const users = JSON.parse((await cli('--json', 'users', 'list')).stdout) as { email: string }[];
    expect(users.map((u) => u.email)).toEqual([keep, leave]);
    const items = JSON.parse((await cli('--json', 'items', 'list', '--user', leave)).stdout) as {
      id: string;
    }[];
    expect(items.map((i) => i.id)).toEqual([itemId]);

    const synced = await cli('sync', '--wait', '--user', leave);
    expect(synced.code, synced.stderr + synced.stdout).toBe(0);
    expect(synced.stderr).toMatch(/First Platypus Bank .*transactions done/);
    expect(synced.stdout).toMatch(/1 item\(s\), \d+ run\(s\): \d+ finished, 0 failed/);
  }, 240_000);

  it('exports a person through the service, and deletes them there, removing the item at Plaid', async () => {
    const out = path.join(dir, 'leave.json');
    const exported = await cli('users', 'export', leave, '--out', out);
    expect(exported.code, exported.stderr).toBe(0);
    const document = JSON.parse(await readFile(out, 'utf8')) as {
      items: { id: string }[];
      transactions: unknown[];
    };
    expect(document.items.map((i) => i.id)).toEqual([itemId]);
    expect(document.transactions.length).toBeGreaterThan(0);

    const deleted = await cli('--json', 'users', 'delete', leave, '--yes');
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(
      (JSON.parse(deleted.stdout) as { items: { removed_at_plaid: number } }).items.removed_at_plaid,
    ).toBe(1);
    await expect(plaid.itemGet({ access_token: accessToken })).rejects.toBeDefined();
    const users = JSON.parse((await cli('--json', 'users', 'list')).stdout) as { email: string }[];
    expect(users.map((u) => u.email)).toEqual([keep]);
  }, 240_000);

  it('backs up only once the service stopped, and the backup restores into a fresh DATA_DIR', async () => {
    const file = path.join(dir, 'backup.fab.gz');
    const refused = await cli('backup', '--out', file);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/holds DATA_DIR: stop it/);
    await server!.stop();
    server = undefined;

    const backup = await cli('backup', '--out', file);
    expect(backup.code, backup.stderr).toBe(0);
    expect(backup.stderr).toMatch(/backed up users: 1 row/);
    const fresh = { ...env, DATA_DIR: path.join(dir, 'restored') };
    const restored = await runPackageCommand(['restore', '--in', file], fresh, 120_000);
    expect(restored.code, restored.stderr).toBe(0);
    const users = await runPackageCommand(['--json', 'users', 'list'], fresh, 120_000);
    expect((JSON.parse(users.stdout) as { email: string }[]).map((u) => u.email)).toEqual([keep]);
    const again = await runPackageCommand(['restore', '--in', file], fresh, 120_000);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/not empty.*--yes/);
  }, 240_000);
});
