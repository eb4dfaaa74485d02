/**
 * The emulator's clock set at start (`today` option, `finance-api emulator --today YYYY-MM-DD`): generated
 * history ends that day and a fixture dated in the past is served as current, pending rows posting on
 * the fixture's own calendar. Driven over HTTP with the official client; the CLI runs as a process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Products } from 'plaid';
import type { Transaction } from 'plaid';
import { afterEach, describe, expect, it } from 'vitest';
import {
  buildEmulatorApp,
  EMULATOR_DEFAULT_CLIENT_ID,
  EMULATOR_DEFAULT_SECRET,
  loadFixture,
} from '../../src/emulator/index.js';
import { emulatorControl } from '../helpers/emulator-control.js';
import { plaidClient, startEmulator } from './support/harness.js';
import type { Harness } from './support/harness.js';
import { ReferenceSyncClient } from './support/reference-client.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const FIXTURE = fileURLToPath(new URL('./fixtures/past-credit-union.json', import.meta.url));
const GRACE = {
  institutionId: 'ins_fixture_tx_only',
  username: 'grace@example.com',
  password: 'hopper-1906',
};

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

async function emulator(options: Parameters<typeof startEmulator>[0]): Promise<Harness> {
  const h = await startEmulator(options);
  open.push(h);
  return h;
}

/** The pending rows and the posted rows that replaced them, as a client holding the item sees them. */
function pendingAndPosted(client: ReferenceSyncClient) {
  const rows = [...client.transactions.values()];
  return {
    pending: rows
      .filter((t) => t.pending)
      .map((t) => t.transaction_id)
      .sort(),
    posted: rows
      .filter((t): t is Transaction & { pending_transaction_id: string } => t.pending_transaction_id !== null)
      .map((t) => ({ replaces: t.pending_transaction_id, date: t.date }))
      .sort((a, b) => a.replaces.localeCompare(b.replaces)),
  };
}

describe('the emulator clock set at start (app option `today`)', () => {
  it('generates Sandbox history that ends on that day', async () => {
    const h = await emulator({ today: '2024-06-30' });
    const state = await h.control<{ now: string }>('GET', '/__emulator/state');
    expect(state.now).toBe('2024-06-30T12:00:00.000Z');
    const { accessToken } = await h.link({ products: [Products.Transactions] });
    const client = new ReferenceSyncClient(h.plaid, accessToken);
    await client.sync(500);
    const dates = [...client.transactions.values()].map((t) => t.date).sort();
    expect(dates.length).toBeGreaterThan(20);
    expect(dates[0]! >= '2024-04-01').toBe(true); // 90 days requested
    expect(dates.at(-1)! <= '2024-06-30').toBe(true);
    expect(dates.at(-1)! >= '2024-06-25').toBe(true);
  });

  it('serves a past fixture as of that day: pending rows post on its calendar as the clock moves', async () => {
    const fixture = await loadFixture(FIXTURE);
    const asOf = await emulator({ fixture, today: '2024-06-30' });
    const item = await asOf.link({ ...GRACE, products: [Products.Transactions] });
    const client = new ReferenceSyncClient(asOf.plaid, item.accessToken);
    await client.sync(100);
    expect(pendingAndPosted(client)).toEqual({
      pending: ['tx_grace_fuel', 'tx_grace_groceries'],
      posted: [],
    });
    const balances = await asOf.plaid.accountsBalanceGet({ access_token: item.accessToken });
    expect(balances.data.accounts[0]?.balances.last_updated_datetime).toBe('2024-06-30T12:00:00.000Z');

    // One day on (2024-07-01): the row of 06-29 posts (two days after its date); the one of 06-30 waits.
    await asOf.control('POST', '/__emulator/clock/advance', { days: 1 });
    await client.sync(100);
    expect(pendingAndPosted(client)).toEqual({
      pending: ['tx_grace_fuel'],
      posted: [{ replaces: 'tx_grace_groceries', date: '2024-07-01' }],
    });

    // Without the clock set (the harness starts it on 2025-03-14), the same fixture is stale: one day on,
    // every pending row posts at once.
    const stale = await emulator({ fixture });
    const staleItem = await stale.link({ ...GRACE, products: [Products.Transactions] });
    const staleClient = new ReferenceSyncClient(stale.plaid, staleItem.accessToken);
    await stale.control('POST', '/__emulator/clock/advance', { days: 1 });
    await staleClient.sync(100);
    expect(pendingAndPosted(staleClient).pending).toEqual([]);
  });

  it('should refuse a day that is not a calendar date, or a clock given twice', async () => {
    for (const today of ['2024-02-30', '30/06/2024', '2024-6-30', '']) {
      await expect(buildEmulatorApp({ clientId: 'c', secret: 's', today })).rejects.toThrow(
        /expected a calendar date as YYYY-MM-DD/,
      );
    }
    await expect(
      buildEmulatorApp({ clientId: 'c', secret: 's', today: '2024-06-30', now: new Date() }),
    ).rejects.toThrow(/`now` or `today`, not both/);
  });
});

/** `finance-api emulator …` as its own process (node --import tsx src/cli.ts, as `npm run cli` runs it). */
function cli(args: string[]): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn' },
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** Resolves with the first match of `pattern` in the process output, or rejects when it exits first. */
function waitForOutput(run: ReturnType<typeof cli>, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const found = pattern.exec(run.output());
      if (found) resolve(found);
    };
    run.child.stdout?.on('data', check);
    run.child.stderr?.on('data', check);
    void run.exited.then((code) =>
      reject(new Error(`exited with ${code} before ${pattern}:\n${run.output()}`)),
    );
  });
}

describe('finance-api emulator --today', () => {
  it('starts the emulator on that day and serves the fixture as of it', async () => {
    const run = cli(['emulator', '--today', '2024-06-30', '--port', '0', '--fixture', FIXTURE]);
    try {
      const [, url] = await waitForOutput(run, /Plaid emulator at (http:\/\/\S+)/);
      expect(run.output()).toMatch(/Today: +2024-06-30 \(--today\)/);
      const state = await emulatorControl(url!)<{ now: string }>('GET', '/__emulator/state');
      expect(state.now).toBe('2024-06-30T12:00:00.000Z');

      const plaid = plaidClient(url!, EMULATOR_DEFAULT_CLIENT_ID, EMULATOR_DEFAULT_SECRET);
      const created = await plaid.sandboxPublicTokenCreate({
        institution_id: GRACE.institutionId,
        initial_products: [Products.Transactions],
        options: { override_username: GRACE.username, override_password: GRACE.password },
      });
      const { access_token } = (
        await plaid.itemPublicTokenExchange({ public_token: created.data.public_token })
      ).data;
      const client = new ReferenceSyncClient(plaid, access_token);
      await client.sync(100);
      expect(pendingAndPosted(client).pending).toEqual(['tx_grace_fuel', 'tx_grace_groceries']);
      await emulatorControl(url!)('POST', '/__emulator/clock/advance', { days: 1 });
      await client.sync(100);
      expect(pendingAndPosted(client)).toEqual({
        pending: ['tx_grace_fuel'],
        posted: [{ replaces: 'tx_grace_groceries', date: '2024-07-01' }],
      });
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGTERM');
    }
    expect(await run.exited).toBe(0);
  }, 60_000);

  it('should refuse a date that is not YYYY-MM-DD with a message naming the option', async () => {
    const run = cli(['emulator', '--today', '30/06/2024', '--port', '0']);
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain(
      `option '--today <YYYY-MM-DD>' argument '30/06/2024' is invalid. expected a calendar date as YYYY-MM-DD`,
    );
    expect(run.output()).not.toContain('Plaid emulator at');
  }, 60_000);

  it('says what --today does in its help', async () => {
    const run = cli(['emulator', '--help']);
    expect(await run.exited).toBe(0);
    expect(run.output()).toMatch(/--today <YYYY-MM-DD> +the emulator's today/);
  }, 60_000);
});
