/**
 * The whole pipeline end to end over HTTP: the service process (API + worker + scheduler) on PostgreSQL
 * and an emulator process of its own (Sandbox rate limits off: this test syncs far more often than
 * Plaid allows per minute; the fault campaign covers 429s); two users each link two institutions the way the Link page does (link token
 * from our API → the emulator's Link session → our exchange), the first syncs run from the queue, and our
 * tables equal the emulator's ground truth. Then the clock advances many times — pending rows post,
 * posted rows are modified or removed, new activity arrives, webhooks fire — and after each sync the
 * tables still match, to the cent.
 */
import { createServer, type AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, selectRows, type DatabaseHandle } from '../../src/db/client.js';
import { plaidItems, syncRuns } from '../../src/db/schema/index.js';
import {
  buildEmulatorApp,
  EMULATOR_DEFAULT_CLIENT_ID,
  EMULATOR_DEFAULT_SECRET,
  type GroundTruth,
} from '../../src/emulator/index.js';
import { TEST_ENCRYPTION_KEY, TEST_JWT_SECRET } from '../helpers/config.js';
import { createPostgresDatabase, databaseKinds } from '../helpers/database.js';
import { emulatorControl } from '../helpers/emulator-control.js';
import { runCli, startServerProcess, type ServerProcess } from '../helpers/processes.js';
import {
  expectedAccounts,
  expectedHoldings,
  expectedInvestmentTransactions,
  expectedTransactions,
  ourAccounts,
  ourHoldings,
  ourInvestmentTransactions,
  ourTransactions,
  byId,
  withinFirstPull,
} from '../sync/support.js';
import { until } from '../helpers/wait.js';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

interface Person {
  email: string;
  userId: string;
  token: string;
  items: { id: string; plaidItemId: string }[];
}

describe.runIf(databaseKinds().includes('postgres'))('the pipeline end to end over HTTP', () => {
  let server: ServerProcess;
  let drop: () => Promise<void>;
  let database: DatabaseHandle;
  let env: Record<string, string>;
  let control: ReturnType<typeof emulatorControl>;
  let emulatorUrl: string;
  let emulator: FastifyInstance;
  const people: Person[] = [];

  async function api<T>(person: Person, method: string, path: string, body?: unknown) {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${person.token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  }

  beforeAll(async () => {
    const created = await createPostgresDatabase();
    drop = created.drop;
    const port = await freePort();
    env = {
      DATABASE_URL: created.url,
      JWT_SECRET_KEY: TEST_JWT_SECRET,
      ENCRYPTION_KEY_BASE64: TEST_ENCRYPTION_KEY,
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      WORKER_POLL_INTERVAL_SECONDS: '0.5',
      SYNC_RETRY_DELAY_SECONDS: '1',
      LOG_LEVEL: 'debug',
    };
    emulator = await buildEmulatorApp({
      clientId: EMULATOR_DEFAULT_CLIENT_ID,
      secret: EMULATOR_DEFAULT_SECRET,
      rateLimits: false,
      // Plaid's dates are never ahead of ours: start the emulator's clock far enough back for the advances.
      now: new Date(Date.now() - 30 * 86_400_000),
    });
    await emulator.listen({ host: '127.0.0.1', port: 0 });
    emulatorUrl = `http://127.0.0.1:${(emulator.server.address() as AddressInfo).port}`;
    control = emulatorControl(emulatorUrl);
    server = await startServerProcess({ ...env, PLAID_EMULATOR_URL: emulatorUrl });
    database = await openDatabase({ kind: 'postgres', url: created.url });

    for (const email of ['ana@example.com', 'ben@example.com']) {
      const user = await runCli(['--json', 'users', 'create', '--email', email], env);
      expect(user.code, user.stderr).toBe(0);
      const userId = (JSON.parse(user.stdout) as { user: { id: string } }).user.id;
      const tok = await runCli(
        ['--json', 'tokens', 'create', '--email', email, '--name', 'e2e', '--scope', 'write'],
        env,
      );
      expect(tok.code, tok.stderr).toBe(0);
      people.push({ email, userId, token: (JSON.parse(tok.stdout) as { token: string }).token, items: [] });
    }
  }, 90_000);

  afterAll(async () => {
    await server?.stop('SIGTERM');
    await emulator?.close();
    await database?.close();
    await drop?.();
  });

  /** What the Link page does: our link token → the emulator's Link session → our exchange. */
  async function link(person: Person, institutionId: string) {
    const token = await api<{ link_token: string; mode: string }>(person, 'POST', '/v1/plaid/link-token', {});
    expect(token.status).toBe(200);
    expect(token.body.mode).toBe('create');
    const session = await fetch(`${emulatorUrl}/link/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        link_token: token.body.link_token,
        institution_id: institutionId,
        username: 'user_transactions_dynamic',
        password: 'pass_good',
      }),
    });
    expect(session.status).toBe(200);
    const { public_token } = (await session.json()) as { public_token: string };
    const exchanged = await api<{ item: { id: string }; sync: { run_ids: string[] } }>(
      person,
      'POST',
      '/v1/plaid/item/public-token/exchange',
      { public_token },
    );
    expect(exchanged.status).toBe(201);
    expect(JSON.stringify(exchanged.body)).not.toMatch(/access-/);
    const [row] = await database.db
      .select({ plaidItemId: plaidItems.plaidItemId })
      .from(plaidItems)
      .where(eq(plaidItems.id, exchanged.body.item.id));
    person.items.push({ id: exchanged.body.item.id, plaidItemId: row!.plaidItemId });
    return exchanged.body.sync.run_ids;
  }

  /** Waits until these ledger rows are finished; every one must have succeeded. */
  async function settled(runIds: string[]) {
    const rows = await until('the sync runs to finish', async () => {
      const all = await database.db.select().from(syncRuns);
      const mine = all.filter((r) => runIds.includes(r.id));
      return mine.length === runIds.length && mine.every((r) => r.finishedAt !== null) && mine;
    });
    expect(rows.map((r) => [r.product, r.status, r.error])).toEqual(
      rows.map((r) => [r.product, 'succeeded', null]),
    );
  }

  async function expectGroundTruth() {
    for (const person of people) {
      const truths: GroundTruth[] = [];
      for (const item of person.items) {
        const truth = await control<GroundTruth>('GET', `/__emulator/items/${item.plaidItemId}/ground-truth`);
        truths.push(truth);
        expect(await ourTransactions(database.db, person.userId, item.id)).toEqual(
          byId(expectedTransactions(truth)),
        );
        expect(await ourAccounts(database.db, person.userId, item.id)).toEqual(expectedAccounts(truth));
        expect(await ourInvestmentTransactions(database.db, person.userId, item.id)).toEqual(
          expectedInvestmentTransactions(withinFirstPull(truth)),
        );
      }
      expect(await ourHoldings(database.db, person.userId)).toEqual(
        expectedHoldings({ ...truths[0]!, holdings: truths.flatMap((t) => t.holdings) }),
      );
      // And through the API: every transaction, once.
      let cursor: string | null = null;
      let seen = 0;
      do {
        const page: { status: number; body: { data: unknown[]; next_cursor: string | null } } = await api(
          person,
          'GET',
          `/v1/transactions?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        expect(page.status).toBe(200);
        seen += page.body.data.length;
        cursor = page.body.next_cursor;
      } while (cursor);
      expect(seen).toBe(truths.reduce((n, t) => n + t.transactions.length, 0));
    }
  }

  it('should link two institutions for each of two users and hold exactly the ground truth', async () => {
    const runIds: string[] = [];
    for (const person of people) {
      for (const institution of ['ins_109508', 'ins_109511'])
        runIds.push(...(await link(person, institution)));
    }
    expect(runIds).toHaveLength(4 * 5);
    await settled(runIds);
    await expectGroundTruth();
  }, 120_000);

  it('should still match after each of many clock advances (postings, amendments, removals)', async () => {
    for (const days of [1, 2, 3, 1, 5, 2]) {
      await control('POST', '/__emulator/clock/advance', { days });
      const runIds: string[] = [];
      for (const person of people) {
        const triggered = await api<{ data: { run_ids: string[]; outcome: string }[] }>(
          person,
          'POST',
          '/v1/sync/trigger',
          {},
        );
        expect(triggered.status).toBe(202);
        expect(triggered.body.data).toHaveLength(2);
        runIds.push(...triggered.body.data.flatMap((d) => d.run_ids));
      }
      await settled(runIds);
      // Webhooks of the advance may have queued one more sync: wait until nothing is left running.
      await until('the queue to drain', async () => {
        const open = (await database.db.select().from(syncRuns)).filter((r) => r.finishedAt === null);
        return open.length === 0;
      });
      await expectGroundTruth();
    }
    const webhooks = await control<{ deliveries: { state: string; url: string }[] }>(
      'GET',
      '/__emulator/webhooks',
    );
    // The emulator's webhooks reached our endpoint (PUBLIC_URL) and were accepted.
    expect(webhooks.deliveries.length).toBeGreaterThan(0);
    expect(webhooks.deliveries.every((d) => d.url === `${env.PUBLIC_URL}/v1/sync/plaid/webhook`)).toBe(true);
    expect(webhooks.deliveries.filter((d) => d.state === 'delivered').length).toBeGreaterThan(0);
  }, 300_000);

  it('should record failing syncs in the ledger and keep going', async () => {
    const [person] = people;
    const since = new Date(Date.now() - 1000);
    await control('POST', '/__emulator/faults', {
      endpoint: '/transactions/sync',
      error_code: 'INTERNAL_SERVER_ERROR',
      count: 1,
    });
    await control('POST', '/__emulator/faults', {
      endpoint: '/investments/holdings/get',
      error_code: 'ITEM_LOGIN_REQUIRED',
      count: 1,
    });
    const triggered = await api<{ data: { run_ids: string[] }[] }>(person!, 'POST', '/v1/sync/trigger', {});
    expect(triggered.status).toBe(202);
    const failed = await until('a failed run after the trigger', async () => {
      const rows = (await database.db.select().from(syncRuns)).filter((r) => r.queuedAt >= since);
      return rows.some((r) => r.status === 'failed') && rows;
    });
    expect(failed.some((r) => r.status === 'failed')).toBe(true);
    await until('the queue to drain', async () => {
      const open = (await database.db.select().from(syncRuns)).filter((r) => r.finishedAt === null);
      return open.length === 0;
    });
  }, 120_000);

  it('should keep no access token in clear text in any table (ours and the queue’s) or in the logs', async () => {
    const state = await control<{ items: { item_id: string; access_tokens: string[] }[] }>(
      'GET',
      '/__emulator/state',
    );
    const tokens = state.items.flatMap((i) => i.access_tokens);
    expect(tokens.length).toBeGreaterThanOrEqual(4);
    const tables = await selectRows<{ schema: string; name: string }>(
      database.db,
      sql`select table_schema as schema, table_name as name from information_schema.tables
           where table_schema in ('public', 'pgboss') and table_type = 'BASE TABLE'`,
    );
    expect(tables.map((t) => t.name)).toEqual(
      expect.arrayContaining(['plaid_items', 'plaid_payloads', 'job']),
    );
    for (const table of tables) {
      const rows = await selectRows<unknown>(
        database.db,
        sql`select * from ${sql.identifier(table.schema)}.${sql.identifier(table.name)}`,
      );
      const dump = JSON.stringify(rows);
      for (const token of tokens) {
        expect(dump.includes(token), `${table.schema}.${table.name} holds an access token`).toBe(false);
      }
    }
    // The service ran at LOG_LEVEL=debug through every link, sync and webhook above.
    const logs = server.output();
    expect(logs.length).toBeGreaterThan(10_000);
    for (const token of tokens) expect(logs.includes(token), 'the logs hold an access token').toBe(false);
    expect(logs.includes(EMULATOR_DEFAULT_SECRET)).toBe(false);
    // Nor anything of the people or their money: emails, API tokens, amounts, merchants, SQL.
    const truths = await Promise.all(
      people.flatMap((p) =>
        p.items.map((i) => control<GroundTruth>('GET', `/__emulator/items/${i.plaidItemId}/ground-truth`)),
      ),
    );
    // Amounts with cents, of at least 100: their text cannot be a port, a count or a duration.
    const amounts = new Set(
      truths
        .flatMap((t) => t.transactions.map((x) => Math.abs(x.amount)))
        .filter((a) => a >= 100 && Math.round(a * 100) % 100 !== 0),
    );
    const merchants = new Set(
      truths.flatMap((t) => t.transactions.flatMap((x) => (x.merchant_name ? [x.merchant_name] : []))),
    );
    expect(amounts.size).toBeGreaterThan(10);
    expect(merchants.size).toBeGreaterThan(5);
    const lower = logs.toLowerCase();
    for (const person of people) {
      expect(logs.includes(person.email), 'the logs hold an email').toBe(false);
      expect(logs.includes(person.token), 'the logs hold a personal access token').toBe(false);
    }
    for (const amount of amounts) {
      // As a number of its own (response times like 157.6512 are not amounts).
      const text = amount.toFixed(2).replace('.', '\\.');
      const match = new RegExp(`(?<![\\d.])-?${text}(?![\\d])`).exec(logs);
      expect(match && logs.slice(match.index - 200, match.index + 50), `the logs hold ${amount}`).toBeNull();
    }
    for (const merchant of merchants) {
      expect(lower.includes(merchant.toLowerCase()), `the logs hold the merchant ${merchant}`).toBe(false);
    }
    for (const statement of ['insert into', 'params:', 'failed query']) {
      expect(lower.includes(statement), `the logs hold SQL (${statement})`).toBe(false);
    }
  });
});
