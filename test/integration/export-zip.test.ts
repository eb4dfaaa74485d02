/**
 * My data out as files (#14 item 6), on both databases: two people linked through the emulator with the
 * official Plaid client and synced; the first edits a transaction (a note that looks like a formula, two
 * tags), sets a budget and a rule. GET /v1/export?format=csv answers a zip that `unzip -t` accepts, with
 * a README and one CSV per section of the JSON document. Both exports are re-imported here (each CSV
 * parsed, the JSON parsed) and compared with the database read by this test's own SQL: rows per section,
 * every transaction's id and amount to the cent, every account's balance; the two exports agree value for
 * value; nothing of the other person and no secret is in the zip. Hostile queries are refused naming
 * the field.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectRows } from '../../src/db/client.js';
import { createLogger } from '../../src/lib/logger.js';
import { bearer, newAccessToken } from '../factories/users.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { databaseKinds } from '../helpers/database.js';
import { csvRecords, unzip } from '../helpers/unzip.js';
import {
  acceptingJobQueue,
  linkPerson,
  startEmulator,
  type Emulator,
  type LinkedPerson,
} from '../cli/support.js';

type Row = Record<string, unknown>;

/** The sections, as docs/operations.md lists them (the JSON document's keys after `user`). */
const SECTIONS = [
  'user',
  'institutions',
  'items',
  'item_products',
  'accounts',
  'balance_history',
  'transactions',
  'transaction_edits_kept',
  'securities',
  'holdings',
  'holding_snapshots',
  'investment_transactions',
  'liabilities',
  'budgets',
  'rules',
  'sync_runs',
];

/** A CSV field back to its text: the `'` put before a leading formula character taken off. */
const unprefixed = (value: string) => (/^'[=+\-@\t\r]/.test(value) ? value.slice(1) : value);

/** A JSON export value as the CSV writes it (null → empty, texts' arrays `;`-joined, structures as JSON). */
function asCsvText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join(';');
  return JSON.stringify(value);
}

/** Whether a CSV text and a JSON value are the same value (numbers compared as decimals, JSON by content). */
function sameValue(text: string, value: unknown): boolean {
  if (typeof value === 'number') return text !== '' && Number(text) === value;
  if (
    value !== null &&
    typeof value === 'object' &&
    !(Array.isArray(value) && value.every((v) => typeof v === 'string'))
  )
    return JSON.stringify(JSON.parse(text)) === JSON.stringify(value);
  return text === asCsvText(value);
}

const cents = (decimal: string) => {
  const [whole, fraction = ''] = decimal.replace('-', '').split('.');
  const value = BigInt(whole!) * 100n + BigInt((fraction + '00').slice(0, 2));
  if (/[1-9]/.test(fraction.slice(2))) throw new Error(`${decimal} has more than cents`);
  return decimal.startsWith('-') ? -value : value;
};

describe.each(databaseKinds())('export as a zip of CSV files, re-imported (%s)', (kind) => {
  let emulator: Emulator;
  let t: TestApp;
  let alice: LinkedPerson;
  let bob: LinkedPerson;
  let aliceRead: string;
  let zip: Buffer;
  let files: Map<string, Buffer>;
  let document: Record<string, unknown>;
  let editedId: string;

  const get = (token: string, url: string) => t.app.inject({ url, headers: bearer(token) });
  const rows = <T = Row>(query: ReturnType<typeof sql>) => selectRows<T>(t.database.handle.db, query);
  const csvOf = (section: string) =>
    csvRecords(files.get(`${section}.csv`)!.toString('utf8')).map((record) =>
      Object.fromEntries(Object.entries(record).map(([k, v]) => [k, unprefixed(v)])),
    );

  beforeAll(async () => {
    emulator = await startEmulator(`export-zip-${kind}`, 'export-zip-secret-4e5f6a7b');
    t = await buildTestApp(kind, {}, createLogger('error'), {
      plaid: emulator.plaid,
      jobs: acceptingJobQueue,
    });
    alice = await linkPerson(t, emulator, 'alice');
    bob = await linkPerson(t, emulator, 'bob');
    aliceRead = (await newAccessToken(t.app, alice.userId, { scope: 'read' })).token;
    const write = { headers: bearer(alice.token) };

    const [picked] = await rows<{ id: string }>(
      sql`select id::text as id from transactions where user_id = ${alice.userId}::uuid order by date, id limit 1`,
    );
    editedId = picked!.id;
    const edited = await t.app.inject({
      method: 'PATCH',
      url: `/v1/transactions/${editedId}`,
      ...write,
      payload: { note: '=HYPERLINK("x"), "quoted"', tags: ['work', 'q3'] },
    });
    expect(edited.statusCode, edited.body).toBe(200);
    const budget = await t.app.inject({
      method: 'PUT',
      url: '/v1/budgets/FOOD_AND_DRINK',
      ...write,
      payload: { amount: '300.00', currency: 'USD', rollover: false },
    });
    expect(budget.statusCode, budget.body).toBe(200);
    const rule = await t.app.inject({
      method: 'POST',
      url: '/v1/rules',
      ...write,
      payload: { match: { text: 'coffee' }, add_tags: ['coffee'] },
    });
    expect(rule.statusCode, rule.body).toBe(201);

    const res = await get(aliceRead, '/v1/export?format=csv');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('application/zip');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-disposition']).toMatch(
      /^attachment; filename="finance-export-\d{4}-\d{2}-\d{2}\.zip"$/,
    );
    zip = res.rawPayload;
    files = unzip(zip);
    const json = await get(aliceRead, '/v1/export?format=json');
    expect(json.statusCode).toBe(200);
    document = JSON.parse(json.body) as Record<string, unknown>;
  }, 180_000);
  afterAll(async () => {
    await t?.close();
    await emulator?.close();
  });

  it('is a zip that unzip accepts, holding a README and one CSV per section of the JSON document', () => {
    expect([...files.keys()]).toEqual(['README.txt', ...SECTIONS.map((s) => `${s}.csv`)]);
    expect(Object.keys(document).slice(3)).toEqual(SECTIONS);
    const readme = files.get('README.txt')!.toString('utf8');
    expect(readme).toMatch(/Negative = money out/);
    for (const section of SECTIONS) expect(readme).toContain(`${section}.csv:`);

    const dir = mkdtempSync(path.join(tmpdir(), 'export-zip-'));
    try {
      const file = path.join(dir, 'export.zip');
      writeFileSync(file, zip);
      const tested = hasCommand('unzip')
        ? execFileSync('unzip', ['-t', file], { encoding: 'utf8' })
        : execFileSync('python3', ['-m', 'zipfile', '-t', file], { encoding: 'utf8' });
      expect(tested).toMatch(/No errors detected|Done testing/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('re-imported, both exports equal the database: rows per section, transactions to the cent, balances', async () => {
    const count = async (query: ReturnType<typeof sql>) => (await rows<{ n: number }>(query))[0]!.n;
    const u = alice.userId;
    const expected: Record<string, number> = {
      user: 1,
      institutions: await count(
        sql`select count(distinct institution_id)::int as n from plaid_items where user_id = ${u}::uuid`,
      ),
      items: await count(sql`select count(*)::int as n from plaid_items where user_id = ${u}::uuid`),
      item_products: await count(
        sql`select count(*)::int as n from item_products where user_id = ${u}::uuid`,
      ),
      accounts: await count(sql`select count(*)::int as n from accounts where user_id = ${u}::uuid`),
      balance_history: await count(
        sql`select count(*)::int as n from balance_snapshots where user_id = ${u}::uuid`,
      ),
      transactions: await count(sql`select count(*)::int as n from transactions where user_id = ${u}::uuid`),
      transaction_edits_kept: await count(
        sql`select count(*)::int as n from transaction_edits_kept where user_id = ${u}::uuid`,
      ),
      securities: await count(
        sql`select count(*)::int as n from (select security_id from holdings where user_id = ${u}::uuid
             union select security_id from holding_snapshots where user_id = ${u}::uuid
             union select security_id from investment_transactions
                    where user_id = ${u}::uuid and security_id is not null) s`,
      ),
      holdings: await count(sql`select count(*)::int as n from holdings where user_id = ${u}::uuid`),
      holding_snapshots: await count(
        sql`select count(*)::int as n from holding_snapshots where user_id = ${u}::uuid`,
      ),
      investment_transactions: await count(
        sql`select count(*)::int as n from investment_transactions where user_id = ${u}::uuid`,
      ),
      liabilities: await count(sql`select count(*)::int as n from liabilities where user_id = ${u}::uuid`),
      budgets: await count(sql`select count(*)::int as n from budgets where user_id = ${u}::uuid`),
      rules: await count(sql`select count(*)::int as n from transaction_rules where user_id = ${u}::uuid`),
      sync_runs: await count(sql`select count(*)::int as n from sync_runs where user_id = ${u}::uuid`),
    };
    for (const section of ['transactions', 'accounts', 'holdings', 'investment_transactions', 'liabilities'])
      expect(expected[section], section).toBeGreaterThan(0);
    expect(expected.budgets).toBe(1);
    expect(expected.rules).toBe(1);
    const fromZip = Object.fromEntries(SECTIONS.map((s) => [s, csvOf(s).length]));
    const fromJson = Object.fromEntries(
      SECTIONS.map((s) => [s, s === 'user' ? 1 : (document[s] as unknown[]).length]),
    );
    expect(fromZip).toEqual(expected);
    expect(fromJson).toEqual(expected);

    const stored = await rows<{ id: string; amount: string; cents: string }>(
      sql`select id::text as id, amount::text as amount, round(amount * 100)::bigint::text as cents
            from transactions where user_id = ${u}::uuid order by id`,
    );
    const zipped = csvOf('transactions').sort((a, b) => a.id!.localeCompare(b.id!));
    expect(zipped.map((r) => [r.id, cents(r.amount!)])).toEqual(stored.map((r) => [r.id, BigInt(r.cents)]));
    const jsonTransactions = (document.transactions as Row[])
      .map((r) => [String(r.id), BigInt(Math.round(Number(r.amount) * 100))] as const)
      .sort((a, b) => a[0].localeCompare(b[0]));
    expect(jsonTransactions).toEqual(stored.map((r) => [r.id, BigInt(r.cents)]));
    for (const row of zipped)
      expect(Number(row.amount)).toBe(Number(stored.find((s) => s.id === row.id)!.amount));

    const balances = await rows<{ id: string; current_balance: string | null }>(
      sql`select id::text as id, current_balance::text as current_balance from accounts where user_id = ${u}::uuid`,
    );
    for (const account of balances) {
      const row = csvOf('accounts').find((r) => r.id === account.id)!;
      expect(row.current_balance === '' ? null : Number(row.current_balance)).toBe(
        account.current_balance === null ? null : Number(account.current_balance),
      );
    }

    const edited = zipped.find((r) => r.id === editedId)!;
    expect(edited.user_note).toBe('=HYPERLINK("x"), "quoted"');
    expect(edited.user_tags).toBe('work;q3');
    const raw = files.get('transactions.csv')!.toString('utf8');
    expect(raw.includes(`"'=HYPERLINK(""x""), ""quoted"""`), 'the note prefixed and quoted').toBe(true);
  });

  it('holds the same values as the JSON document, column for column, in every section', () => {
    for (const section of SECTIONS) {
      const csv = csvOf(section);
      const json = section === 'user' ? [document.user as Row] : (document[section] as Row[]);
      expect(csv.length, section).toBe(json.length);
      for (const [i, row] of json.entries()) {
        const record = csv[i]!;
        expect(Object.keys(record).sort(), section).toEqual(Object.keys(row).sort());
        for (const [column, value] of Object.entries(row)) {
          expect(
            sameValue(record[column]!, value),
            `${section}.${column}: ${record[column]} vs ${JSON.stringify(value)}`,
          ).toBe(true);
        }
      }
    }
  });

  it('has no row of another person and no secret: no token, ciphertext or hash', async () => {
    const text = [...files.values()].map((b) => b.toString('utf8')).join('\n');
    const owners = new Set(
      SECTIONS.flatMap((s) =>
        csvOf(s)
          .map((r) => r.user_id)
          .filter(Boolean),
      ),
    );
    expect([...owners]).toEqual([alice.userId]);
    const bobs = await rows<{ id: string }>(
      sql`select id::text as id from transactions where user_id = ${bob.userId}::uuid limit 20`,
    );
    expect(bobs.length).toBeGreaterThan(0);
    for (const { id } of bobs) expect(text).not.toContain(id);
    for (const accessToken of alice.accessTokens) expect(text).not.toContain(accessToken);
    const secrets = await rows<{ secret: string }>(
      sql`select access_token_ciphertext as secret from plaid_items where user_id = ${alice.userId}::uuid
          union all select password_hash from users where id = ${alice.userId}::uuid`,
    );
    expect(secrets.length).toBeGreaterThanOrEqual(3);
    for (const { secret } of secrets) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/password_hash|access_token_ciphertext|token_hash|transactions_cursor/);
  });

  it('section=transactions gives the transactions alone as CSV, as before', async () => {
    const res = await get(aliceRead, '/v1/export?format=csv&section=transactions');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toMatch(/filename="finance-export-.*\.transactions\.csv"$/);
    expect(
      csvRecords(res.body)
        .map((r) => r.id)
        .sort(),
    ).toEqual(
      csvOf('transactions')
        .map((r) => r.id)
        .sort(),
    );
  });

  it('refuses an unknown format or section, and a section without format=csv, naming the field', async () => {
    for (const [url, field] of [
      ['/v1/export?format=zip', 'query.format'],
      ['/v1/export?format=csv&section=accounts', 'query.section'],
      ['/v1/export?format=json&section=transactions', 'query.section'],
      ['/v1/export?section=transactions', 'query.section'],
    ] as const) {
      const res = await get(aliceRead, url);
      expect(res.statusCode, url).toBe(400);
      expect(res.headers['content-type'], url).toMatch(/^application\/problem\+json/);
      expect(
        res.json<{ errors: { field: string }[] }>().errors.map((e) => e.field),
        url,
      ).toContain(field);
    }
  });
});

function hasCommand(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
