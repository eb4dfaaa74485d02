/**
 * The command line against a PostgreSQL server (#14 items 6 and 9), as `finance-api` runs installed
 * (bin/finance-api.js): `--help` loads neither the database, nor argon2, nor the app; `users list`,
 * `items list` (table and --json), `sync --wait` following a worker's runs (plain lines, and on a
 * pseudo-terminal with a failing product: exit 1 naming Plaid's code), `users export` and `users delete`
 * (items removed at Plaid through the emulator, the person gone).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectRows } from '../../src/db/client.js';
import { EMULATOR_DEFAULT_CLIENT_ID, EMULATOR_DEFAULT_SECRET } from '../../src/emulator/index.js';
import { startJobQueue, type JobQueueHandle } from '../../src/jobs/queue.js';
import { startWorker } from '../../src/jobs/worker.js';
import { createLogger } from '../../src/lib/logger.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { TEST_ENCRYPTION_KEY, TEST_JWT_SECRET } from '../helpers/config.js';
import { databaseKinds, openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { linkPerson, startEmulator, type Emulator, type LinkedPerson } from './support.js';

const root = path.resolve(import.meta.dirname, '../..');

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end: `node <args>` in the project folder. */
function run(args: string[], env: Record<string, string>, command = process.execPath): Promise<Run> {
  const { DATABASE_URL: _db, DATA_DIR: _dir, ...rest } = process.env;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, env: { ...rest, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out: ${args.join(' ')}\n${stdout}\n${stderr}`));
    }, 120_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('finance-api --help', () => {
  it('answers without loading the database, argon2, Plaid, the job queue or the app', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cli-imports-'));
    try {
      for (const args of [['--help'], ['users', '--help'], ['sync', '--help'], ['restore', '--help']]) {
        const file = path.join(dir, `${args.join('-')}.txt`);
        const result = await run(
          ['--import', './test/cli/record-imports.mjs', 'bin/finance-api.js', ...args],
          {
            RECORD_IMPORTS_FILE: file,
          },
        );
        expect(result.code, result.stderr).toBe(0);
        expect(result.stdout).toMatch(/^Usage: finance-api/);
        const loaded = readFileSync(file, 'utf8').split('\n');
        expect(loaded.some((url) => url.includes('/commander/'))).toBe(true);
        expect(loaded.some((url) => /\/cli\.js$/.test(url))).toBe(true);
        const heavy = loaded.filter((url) =>
          /@node-rs\/argon2|@electric-sql\/pglite|drizzle-orm|\/node_modules\/(fastify|pg|pg-boss|plaid|zod)\/|\/(app|server|worker|runtime)\.js$/.test(
            url,
          ),
        );
        expect(heavy, args.join(' ')).toEqual([]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});

describe.runIf(databaseKinds().includes('postgres'))('finance-api on PostgreSQL', () => {
  let emulator: Emulator;
  let database: TestDatabase;
  let queue: JobQueueHandle;
  let t: TestApp;
  let person: LinkedPerson;
  let env: Record<string, string>;
  const cli = (...args: string[]) => run(['bin/finance-api.js', ...args], env);

  beforeAll(async () => {
    emulator = await startEmulator(EMULATOR_DEFAULT_CLIENT_ID, EMULATOR_DEFAULT_SECRET);
    database = await openTestDatabase('postgres');
    const logger = createLogger('error');
    t = await buildTestApp('postgres', {}, logger, {
      plaid: emulator.plaid,
      database,
      // The app enqueues on the real queue below, started before it is used.
      jobs: {
        enqueueSync: (request, options) => queue.enqueueSync(request, options),
        enqueueWebhook: (request, options) => queue.enqueueWebhook(request, options),
      },
    });
    queue = await startJobQueue({ database: database.handle, jobs: t.config.jobs, logger, supervise: true });
    const services = t.app.services;
    await startWorker({
      db: database.handle.db,
      repositories: services.repositories,
      queue,
      sync: services.sync,
      processWebhook: (id) => services.webhooks.process(id),
      jobs: t.config.jobs,
      logger,
    });
    person = await linkPerson(t, emulator, 'cli');
    env = {
      DATABASE_URL: database.url!,
      JWT_SECRET_KEY: TEST_JWT_SECRET,
      ENCRYPTION_KEY_BASE64: TEST_ENCRYPTION_KEY,
      PLAID_EMULATOR_URL: emulator.url,
      LOG_LEVEL: 'warn',
    };
  }, 180_000);
  afterAll(async () => {
    await queue?.stop();
    await t?.close();
    await database?.drop();
    await emulator?.close();
  });

  it('users list and items list, as a table and as JSON (never a token)', async () => {
    const users = await cli('--json', 'users', 'list');
    expect(users.code, users.stderr).toBe(0);
    const listed = JSON.parse(users.stdout) as { email: string; items: number; transactions: number }[];
    const row = listed.find((u) => u.email === person.email)!;
    expect(row.items).toBe(2);
    expect(row.transactions).toBeGreaterThan(0);

    const table = await cli('items', 'list', '--user', person.email);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+USER\s+INSTITUTION\s+STATUS/);
    expect(table.stdout).toContain('First Platypus Bank');
    expect(table.stdout).toContain('First Gingham Credit Union');
    const items = await cli('--json', 'items', 'list', '--user', person.email);
    const rows = JSON.parse(items.stdout) as { id: string; status: string }[];
    expect(rows.map((r) => r.id).sort()).toEqual([...person.itemIds].sort());
    for (const accessToken of person.accessTokens)
      expect(items.stdout + table.stdout).not.toContain(accessToken);
  }, 120_000);

  it('sync --wait follows the runs to the end, one plain line per change, and exits 0', async () => {
    const synced = await cli('sync', '--wait', '--user', person.email);
    expect(synced.code, synced.stderr + synced.stdout).toBe(0);
    expect(synced.stderr).toMatch(/First Platypus Bank .*transactions done/);
    expect(synced.stderr).toMatch(/First Gingham Credit Union .*holdings done/);
    expect(synced.stderr).not.toContain('\x1b[');
    expect(synced.stdout).toMatch(/2 item\(s\), \d+ run\(s\): \d+ finished, 0 failed/);
  }, 120_000);

  it('on a terminal it redraws in place, and a failed product exits 1 with its reason', async () => {
    // No sync left pending (a job the link deferred would meet the fault first and block the item).
    await waitFor(async () => {
      const [row] = await selectRows<{ n: number }>(
        database.handle.db,
        sql`select count(*)::int as n from pgboss.job
             where name = 'sync-item' and state in ('created', 'retry', 'active')`,
      );
      return row!.n === 0;
    });
    await emulator.control('POST', '/__emulator/faults', {
      endpoint: '/transactions/sync',
      error_code: 'ITEM_LOGIN_REQUIRED',
      count: 10,
    });
    try {
      const bank = person.itemIds[0]!;
      // A terminal wide enough for the whole progress line (longer ones are cut to the width).
      const command = `stty cols 250; ${[process.execPath, 'bin/finance-api.js', 'sync', '--wait', '--item', bank].join(' ')}`;
      // script(1) gives the command a pseudo-terminal and returns its exit code (-e).
      const result = await run(['-q', '-e', '-c', command, '/dev/null'], env, 'script');
      expect(result.code, result.stdout).toBe(1);
      expect(result.stdout).toContain('\x1b[2K');
      expect(result.stdout).toMatch(/transactions FAILED ITEM_LOGIN_REQUIRED/);
      expect(result.stdout).toMatch(
        /Failed: First Platypus Bank .* transactions: ITEM_LOGIN_REQUIRED \(needs_user\)/,
      );
    } finally {
      await emulator.control('DELETE', '/__emulator/faults');
    }
  }, 120_000);

  it("users export writes the person's document; users delete needs --yes, then removes them at Plaid and here", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cli-export-'));
    try {
      const out = path.join(dir, 'me.json');
      const exported = await cli('users', 'export', person.email, '--out', out);
      expect(exported.code, exported.stderr).toBe(0);
      const document = JSON.parse(readFileSync(out, 'utf8')) as { user: { email: string }; items: unknown[] };
      expect(document.user.email).toBe(person.email);
      expect(document.items).toHaveLength(2);

      const refused = await cli('users', 'delete', person.email);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('--yes');
      const deleted = await cli('--json', 'users', 'delete', person.email, '--yes');
      expect(deleted.code, deleted.stderr).toBe(0);
      expect(deleted.stderr).toBe('');
      const report = JSON.parse(deleted.stdout) as {
        items: { removed_at_plaid: number };
        deleted: Record<string, number>;
      };
      expect(report.items.removed_at_plaid).toBe(2);
      expect(report.deleted.transactions).toBeGreaterThan(0);
      for (const accessToken of person.accessTokens) {
        await expect(emulator.plaid.itemGet({ access_token: accessToken })).rejects.toBeDefined();
      }
      const users = JSON.parse((await cli('--json', 'users', 'list')).stdout) as { email: string }[];
      expect(users.map((u) => u.email)).not.toContain(person.email);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
