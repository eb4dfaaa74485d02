/**
 * `finance-api users export EMAIL --out FILE --format json|csv` against a PostgreSQL server, as installed
 * (bin/finance-api.js): `--format csv` writes the zip of GET /v1/export?format=csv (mode 0600; every
 * section's CSV; the transactions equal the database's to the cent), the default stays the JSON
 * document, an unknown format is refused naming the choices, and `--help` says what each format writes.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectRows } from '../../src/db/client.js';
import { createLogger } from '../../src/lib/logger.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { TEST_ENCRYPTION_KEY, TEST_JWT_SECRET } from '../helpers/config.js';
import { databaseKinds, openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { csvRecords, unzip } from '../helpers/unzip.js';
import { acceptingJobQueue, linkPerson, startEmulator, type Emulator, type LinkedPerson } from './support.js';

const root = path.resolve(import.meta.dirname, '../..');

function run(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { DATABASE_URL: _db, DATA_DIR: _dir, ...rest } = process.env;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/finance-api.js', ...args], {
      cwd: root,
      env: { ...rest, ...env },
    });
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

describe('finance-api users export --help', () => {
  it('names both formats', async () => {
    const help = await run(['users', 'export', '--help'], {});
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/--format <format>/);
    expect(help.stdout).toMatch(/choices: "json", "csv"/);
    expect(help.stdout).toMatch(/zip of CSV files/);
  }, 60_000);
});

describe.runIf(databaseKinds().includes('postgres'))('finance-api users export on PostgreSQL', () => {
  let emulator: Emulator;
  let database: TestDatabase;
  let t: TestApp;
  let person: LinkedPerson;
  let env: Record<string, string>;
  let dir: string;

  beforeAll(async () => {
    emulator = await startEmulator('cli-export', 'cli-export-secret-9c8d7e6f');
    database = await openTestDatabase('postgres');
    t = await buildTestApp('postgres', {}, createLogger('error'), {
      plaid: emulator.plaid,
      database,
      jobs: acceptingJobQueue,
    });
    person = await linkPerson(t, emulator, 'cli-export');
    env = {
      DATABASE_URL: database.url!,
      JWT_SECRET_KEY: TEST_JWT_SECRET,
      ENCRYPTION_KEY_BASE64: TEST_ENCRYPTION_KEY,
      LOG_LEVEL: 'warn',
    };
    dir = mkdtempSync(path.join(tmpdir(), 'cli-users-export-'));
  }, 180_000);
  afterAll(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    await t?.close();
    await database?.drop();
    await emulator?.close();
  });

  it('--format csv writes the zip of CSV files, the transactions equal to the database to the cent', async () => {
    const out = path.join(dir, 'me.zip');
    const result = await run(['users', 'export', person.email, '--out', out, '--format', 'csv'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('zip of CSV');
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const files = unzip(readFileSync(out));
    expect(files.has('README.txt')).toBe(true);
    for (const section of ['user', 'items', 'accounts', 'transactions', 'holdings', 'rules', 'sync_runs'])
      expect(files.has(`${section}.csv`), section).toBe(true);
    const exported = csvRecords(files.get('transactions.csv')!.toString('utf8'))
      .map((r) => `${r.id} ${r.amount}`)
      .sort();
    const stored = await selectRows<{ line: string }>(
      database.handle.db,
      sql`select id::text || ' ' || amount::text as line from transactions
           where user_id = ${person.userId}::uuid order by 1`,
    );
    expect(exported.length).toBeGreaterThan(10);
    expect(exported).toEqual(stored.map((r) => r.line).sort());
  }, 120_000);

  it('writes the JSON document by default, and refuses an unknown format', async () => {
    const out = path.join(dir, 'me.json');
    const result = await run(['users', 'export', person.email, '--out', out], env);
    expect(result.code, result.stderr).toBe(0);
    const document = JSON.parse(readFileSync(out, 'utf8')) as { user: { email: string } };
    expect(document.user.email).toBe(person.email);

    const refused = await run(
      ['users', 'export', person.email, '--out', path.join(dir, 'x'), '--format', 'xml'],
      env,
    );
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/--format.*xml.*json, csv|Allowed choices are json, csv/);
  }, 120_000);
});
