/**
 * My data out, my data gone (#14 item 6), on both databases: two people linked through the emulator
 * with the official Plaid client and synced. GET /v1/export holds exactly what the read endpoints serve
 * the caller (ids and figures), nothing of the other person and no secret;
 * `format=csv&section=transactions` lists the same transactions (the zip: export-zip.test.ts). DELETE /v1/me removes the caller's items at Plaid (the emulator says they are gone) and
 * leaves no row that names them in any table with a `user_id` column, nor their items' webhook events
 * and queued jobs, while the other person's answers are unchanged.
 */
import { randomUUID, createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectRows } from '../../src/db/client.js';
import { startJobQueue } from '../../src/jobs/queue.js';
import { createLogger } from '../../src/lib/logger.js';
import { bearer, newAccessToken } from '../factories/users.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { databaseKinds } from '../helpers/database.js';
import {
  acceptingJobQueue,
  allPages,
  linkPerson,
  readAnswers,
  startEmulator,
  type Emulator,
  type LinkedPerson,
} from '../cli/support.js';

type Row = Record<string, unknown>;
interface ExportDocument {
  format: string;
  version: number;
  user: Row;
  [section: string]: unknown;
}

const ids = (rows: unknown[], key = 'id') => (rows as Row[]).map((r) => String(r[key])).sort();
/** Every row of every page of a list answer. */
const rowsOf = (pages: unknown[], key = 'data') => pages.flatMap((p) => (p as Record<string, Row[]>)[key]!);

describe.each(databaseKinds())('export and deletion of a person (%s)', (kind) => {
  let emulator: Emulator;
  let t: TestApp;
  let alice: LinkedPerson;
  let bob: LinkedPerson;
  let aliceRead: string;

  const get = (token: string, url: string) => t.app.inject({ url, headers: bearer(token) });
  const rows = <T = Row>(query: ReturnType<typeof sql>) => selectRows<T>(t.database.handle.db, query);

  beforeAll(async () => {
    emulator = await startEmulator(`export-${kind}`, 'export-secret-0a1b2c3d');
    t = await buildTestApp(kind, {}, createLogger('error'), {
      plaid: emulator.plaid,
      jobs: acceptingJobQueue,
    });
    alice = await linkPerson(t, emulator, 'alice');
    bob = await linkPerson(t, emulator, 'bob');
    aliceRead = (await newAccessToken(t.app, alice.userId, { scope: 'read' })).token;
  }, 180_000);
  afterAll(async () => {
    await t?.close();
    await emulator?.close();
  });

  describe('GET /v1/export', () => {
    let document: ExportDocument;
    let body: string;

    beforeAll(async () => {
      const res = await get(aliceRead, '/v1/export');
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers['content-disposition']).toMatch(/^attachment; filename="finance-export-/);
      body = res.body;
      document = JSON.parse(body) as ExportDocument;
    });

    it('holds what the read endpoints serve: accounts, transactions, holdings, liabilities, items, runs', async () => {
      expect(document).toMatchObject({ format: 'finance-api-export', version: 1 });
      expect(document.user).toMatchObject({ id: alice.userId, email: alice.email });

      const accounts = (await get(aliceRead, '/v1/accounts')).json<{ data: Row[] }>().data;
      const exported = document.accounts as Row[];
      expect(ids(exported)).toEqual(ids(accounts));
      for (const account of accounts) {
        const row = exported.find((r) => r.id === account.id)!;
        expect(row).toMatchObject({ name: account.name, mask: account.mask, item_id: account.item_id });
        const balances = account.balances as { current: unknown };
        expect(Number(row.current_balance)).toBe(Number(balances.current));
      }

      const transactions = rowsOf(await allPages(t, aliceRead, '/v1/transactions?limit=500'));
      const exportedTransactions = document.transactions as Row[];
      expect(exportedTransactions.length).toBeGreaterThan(10);
      expect(ids(exportedTransactions)).toEqual(ids(transactions));
      for (const served of transactions) {
        const row = exportedTransactions.find((r) => r.id === served.id)!;
        expect(row).toMatchObject({
          date: served.date,
          name: served.name,
          pending: served.pending,
          account_id: served.account_id,
        });
        expect(Number(row.amount)).toBe(Number(served.amount));
      }

      const investments = rowsOf(await allPages(t, aliceRead, '/v1/investment-transactions?limit=500'));
      expect(ids(document.investment_transactions as Row[])).toEqual(ids(investments));

      const holdings = (await get(aliceRead, '/v1/holdings')).json<{ positions: Row[] }>().positions;
      const pair = (r: Row) => `${String(r.account_id)}/${String(r.security_id)}`;
      expect((document.holdings as Row[]).map(pair).sort()).toEqual(holdings.map(pair).sort());
      expect(ids(document.securities as Row[])).toEqual(
        expect.arrayContaining([...new Set(holdings.map((h) => String(h.security_id)))]),
      );

      const liabilities = (await get(aliceRead, '/v1/liabilities')).json<{ data: { account: Row }[] }>().data;
      expect(ids(document.liabilities as Row[], 'account_id')).toEqual(
        liabilities.map((l) => String(l.account.id)).sort(),
      );

      const items = (await get(aliceRead, '/v1/items')).json<{ data: Row[] }>().data;
      expect(ids(document.items as Row[])).toEqual(ids(items));
      expect(ids(document.items as Row[])).toEqual([...alice.itemIds].sort());

      const runs = rowsOf(await allPages(t, aliceRead, '/v1/sync/runs?limit=100'));
      expect(ids(document.sync_runs as Row[])).toEqual(ids(runs));

      const balanceHistory = document.balance_history as Row[];
      expect(balanceHistory.length).toBeGreaterThan(0);
      expect(new Set(balanceHistory.map((r) => r.account_id))).toEqual(
        new Set(exported.map((r) => r.id).filter((id) => balanceHistory.some((b) => b.account_id === id))),
      );
    });

    it('has no row of another person and no secret: no token, ciphertext or hash', async () => {
      const owners = new Set<unknown>();
      for (const value of Object.values(document)) {
        if (Array.isArray(value))
          for (const row of value as Row[]) if ('user_id' in row) owners.add(row.user_id);
      }
      expect([...owners]).toEqual([alice.userId]);
      const bobsTransactions = await rows<{ id: string }>(
        sql`select id::text as id from transactions where user_id = ${bob.userId}::uuid limit 20`,
      );
      expect(bobsTransactions.length).toBeGreaterThan(0);
      for (const { id } of bobsTransactions) expect(body).not.toContain(id);

      for (const accessToken of alice.accessTokens) expect(body).not.toContain(accessToken);
      const secrets = await rows<{ secret: string }>(
        sql`select access_token_ciphertext as secret from plaid_items where user_id = ${alice.userId}::uuid
            union all select password_hash from users where id = ${alice.userId}::uuid
            union all select token_hash from api_tokens where user_id = ${alice.userId}::uuid`,
      );
      expect(secrets.length).toBeGreaterThanOrEqual(4);
      for (const { secret } of secrets) expect(body).not.toContain(secret);
      expect(body).not.toContain(aliceRead);
      expect(body).not.toContain(createHash('sha256').update(aliceRead).digest('hex'));
      expect(body).not.toMatch(/password_hash|access_token_ciphertext|token_hash|transactions_cursor/);
    });

    it('format=csv&section=transactions lists the same transactions, one line each under a header', async () => {
      const res = await get(aliceRead, '/v1/export?format=csv&section=transactions');
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/csv/);
      const lines = res.body.trimEnd().split('\r\n');
      expect(lines[0]).toBe(
        'id,date,authorized_date,account_id,account_name,amount,currency,name,merchant_name,category,' +
          'category_detailed,user_category,user_note,user_tags,user_merchant_name,excluded,excluded_reason,' +
          'pending,transfer_kind',
      );
      const exported = document.transactions as Row[];
      expect(lines.length - 1).toBe(exported.length);
      expect(
        lines
          .slice(1)
          .map((line) => line.slice(0, 36))
          .sort(),
      ).toEqual(ids(exported));
    });

    it('refuses an unknown format naming the field, and a caller without a token', async () => {
      const bad = await get(aliceRead, '/v1/export?format=xml');
      expect(bad.statusCode).toBe(400);
      expect(bad.json<{ errors: { field: string }[] }>().errors.map((e) => e.field)).toContain(
        'query.format',
      );
      expect((await t.app.inject({ url: '/v1/export' })).statusCode).toBe(401);
    });
  });

  describe('DELETE /v1/me', () => {
    it("needs the write scope and the caller's email as confirmation", async () => {
      const del = (token: string, payload: unknown) =>
        t.app.inject({ method: 'DELETE', url: '/v1/me', headers: bearer(token), payload: payload as object });
      expect((await del(aliceRead, { confirm: alice.email })).statusCode).toBe(403);
      const wrong = await del(alice.token, { confirm: bob.email });
      expect(wrong.statusCode).toBe(400);
      expect(wrong.json<{ errors: { field: string }[] }>().errors.map((e) => e.field)).toEqual([
        'body.confirm',
      ]);
      const missing = await del(alice.token, {});
      expect(missing.statusCode).toBe(400);
      expect(await rows(sql`select 1 from users where id = ${alice.userId}::uuid`)).toHaveLength(1);
    });

    it("removes the items at Plaid and every row of the person; the other person's data is intact", async () => {
      const bobBefore = await readAnswers(t, bob.token);
      // Rows the sync does not make: a budget, a dashboard session, an OAuth grant, webhook events of
      // each person's item, and a queued sync job for each person (pg-boss on the same database).
      for (const person of [alice, bob]) {
        await t.database.handle.db.execute(sql`
          insert into budgets (user_id, category, currency, amount) values (${person.userId}::uuid, 'FOOD_AND_DRINK', 'USD', 300)`);
        await t.database.handle.db.execute(sql`
          insert into web_sessions (user_id, token_hash, csrf_hash, expires_at)
          values (${person.userId}::uuid, ${randomUUID()}, ${randomUUID()}, now() + interval '1 day')`);
        await t.database.handle.db.execute(sql`
          insert into oauth_records (model, id, payload, user_id)
          values ('Grant', ${randomUUID()}, '{}'::jsonb, ${person.userId}::uuid)`);
        await t.database.handle.db.execute(sql`
          insert into webhook_events (plaid_item_id, item_id, body_sha256, verification)
          values ('p', ${person.itemIds[0]!}::uuid, ${randomUUID()}, 'verified')`);
      }
      const queue = await startJobQueue({
        database: t.database.handle,
        jobs: t.config.jobs,
        logger: createLogger('silent'),
        supervise: false,
      });
      try {
        for (const person of [alice, bob])
          await queue.enqueueSync({ userId: person.userId, itemId: person.itemIds[0]!, trigger: 'manual' });
      } finally {
        await queue.stop();
      }
      const jobsOf = async (userId: string) =>
        (
          await rows<{ n: number }>(
            sql`select count(*)::int as n from pgboss.job where data->>'userId' = ${userId}`,
          )
        )[0]!.n;
      expect(await jobsOf(alice.userId)).toBe(1);

      const res = await t.app.inject({
        method: 'DELETE',
        url: '/v1/me',
        headers: bearer(alice.token),
        payload: { confirm: alice.email.toUpperCase() },
      });
      expect(res.statusCode, res.body).toBe(204);

      // At Plaid: each of the person's items was removed (the emulator forgets removed items' tokens).
      for (const accessToken of alice.accessTokens) {
        await expect(emulator.plaid.itemGet({ access_token: accessToken })).rejects.toMatchObject({
          errorCode: expect.stringMatching(/ITEM_NOT_FOUND|INVALID_ACCESS_TOKEN/),
        });
      }
      // Here: no row in any table with a user_id column names the person, nor their items.
      const tables = await rows<{ table_name: string; column_name: string }>(
        sql`select table_name, column_name from information_schema.columns
             where table_schema = 'public' and column_name in ('user_id', 'item_id')
               and table_name in (select table_name from information_schema.tables
                                   where table_schema = 'public' and table_type = 'BASE TABLE')`,
      );
      expect(tables.filter((c) => c.column_name === 'user_id').length).toBeGreaterThanOrEqual(15);
      for (const { table_name, column_name } of tables) {
        const values = column_name === 'user_id' ? [alice.userId] : alice.itemIds;
        const [left] = await rows<{ n: number }>(
          sql`select count(*)::int as n from ${sql.identifier(table_name)}
               where ${sql.identifier(column_name)}::text = any(${sql.param(values)}::text[])`,
        );
        expect(left!.n, `${table_name}.${column_name}`).toBe(0);
        if (column_name === 'user_id') {
          const [kept] = await rows<{ n: number }>(
            sql`select count(*)::int as n from ${sql.identifier(table_name)} where user_id = ${bob.userId}::uuid`,
          );
          if (['budgets', 'web_sessions', 'oauth_records', 'transactions', 'accounts'].includes(table_name))
            expect(kept!.n, `${table_name} of the other person`).toBeGreaterThan(0);
        }
      }
      expect(await rows(sql`select 1 from users where id = ${alice.userId}::uuid`)).toHaveLength(0);
      expect(await rows(sql`select 1 from webhook_events where plaid_item_id = 'p'`)).toHaveLength(1);
      expect(await jobsOf(alice.userId)).toBe(0);
      expect(await jobsOf(bob.userId)).toBe(1);

      // The person's tokens are gone with them; the other person's answers are unchanged.
      expect((await get(alice.token, '/v1/me')).statusCode).toBe(401);
      expect(await readAnswers(t, bob.token)).toEqual(bobBefore);
      for (const accessToken of bob.accessTokens) {
        await expect(emulator.plaid.itemGet({ access_token: accessToken })).resolves.toBeDefined();
      }
    }, 120_000);
  });
});
