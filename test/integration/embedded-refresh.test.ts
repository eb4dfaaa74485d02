/**
 * The read-model refresh in spans (embedded mode, src/domain/analytics/materializers.ts) and the
 * transfer candidates it reads.
 *
 * - Transfer candidates: the matcher over the candidates the repository selects gives the same matches
 *   as over every posted transaction (read here by the test's own SQL), on both databases, with
 *   hand-made legs at the edges of the selection (5 and 6 days apart, same account, other currency,
 *   neither leg transfer-like).
 * - Spans: a person's read model rewritten in spans of a few transactions equals the one rewritten in
 *   one piece, row for row, in every read-model table (cash-flow sums, net-worth-change flows and funding
 *   candidates, net worth, the transfer pairs). The read model is wiped first, so a refresh that wrote
 *   nothing cannot pass. (The generated history has no investment transactions: funding candidates are
 *   compared, empty; test/integration/net-worth-change.test.ts covers them on PGlite, in one span.)
 * - While a refresh runs, `settled` holds the person's requests (and only theirs); a refresh cut short
 *   leaves its request open, and `refreshOpenRequests` finishes it.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectRows, type Database } from '../../src/db/client.js';
import { createRepositories } from '../../src/db/repositories/index.js';
import { users } from '../../src/db/schema/index.js';
import {
  createAnalyticsMaterializers,
  cutIntoSpans,
  transferCandidates,
} from '../../src/domain/analytics/materializers.js';
import { matchTransfers, type TransferCandidate } from '../../src/domain/analytics/transfers.js';
import { generateDataset, insertDataset, type Dataset } from '../factories/finance-dataset.js';
import { databaseKinds, openTestDatabase, type TestDatabase } from '../helpers/database.js';

const TODAY = '2025-06-30';
const NOW = new Date(`${TODAY}T12:00:00Z`);

/** Hand-made legs around the candidates' edges, added to the generated history. */
function withEdgeLegs(dataset: Dataset): Dataset {
  const leg = (
    key: string,
    account: string,
    date: string,
    plaidCents: number,
    primary: string,
  ): Dataset['transactions'][number] => ({
    key,
    account,
    date,
    name: `EDGE ${key}`,
    merchant: null,
    plaidCents,
    pending: false,
    primary,
    detailed: `${primary}_OTHER`,
  });
  return {
    ...dataset,
    transactions: [
      ...dataset.transactions,
      // A purchase-like outflow and a transfer-in 5 days later, another account: a pair (rule 1).
      leg('edge_5_out', 'checking', '2025-03-02', 123_457, 'GENERAL_MERCHANDISE'),
      leg('edge_5_in', 'savings', '2025-03-07', -123_457, 'TRANSFER_IN'),
      // 6 days apart: not a pair, and the outflow is no candidate.
      leg('edge_6_out', 'checking', '2025-04-01', 98_765, 'GENERAL_MERCHANDISE'),
      leg('edge_6_in', 'savings', '2025-04-07', -98_765, 'TRANSFER_IN'),
      // The same account: not a pair.
      leg('edge_same_out', 'savings', '2025-04-20', 55_501, 'FOOD_AND_DRINK'),
      leg('edge_same_in', 'savings', '2025-04-21', -55_501, 'TRANSFER_IN'),
      // Neither leg transfer-like: not a pair, neither is a candidate.
      leg('edge_none_out', 'checking', '2025-05-10', 44_402, 'FOOD_AND_DRINK'),
      leg('edge_none_in', 'savings', '2025-05-11', -44_402, 'INCOME'),
    ],
  };
}

/** Every posted transaction of the person, as candidates: what the matcher read before the selection. */
function everyPostedLeg(db: Database, userId: string): Promise<TransferCandidate[]> {
  return selectRows<TransferCandidate>(
    db,
    sql`select t.id, t.account_id as "accountId", a.type as "accountType", t.date::text as date,
               t.amount::text as amount,
               coalesce(t.iso_currency_code, t.unofficial_currency_code, 'XXX') as currency,
               coalesce(t.user_category, t.category_primary) as category,
               case when t.user_category is null then t.category_detailed end as detailed
          from transactions t join accounts a on a.id = t.account_id
         where t.user_id = ${userId} and not t.pending`,
  );
}

const sorted = <T>(rows: T[]) => rows.map((row) => JSON.stringify(row)).sort();

/** Every read-model row of the person, table by table, in a stable order. */
async function readModelOf(db: Database, userId: string): Promise<Record<string, string[]>> {
  const tables = {
    cashflow_daily: sql`select date::text, currency, kind, category, detailed, merchant, pending, total::text, inflow::text, count from cashflow_daily where user_id = ${userId}`,
    cashflow_monthly: sql`select month::text, currency, kind, category, detailed, merchant, pending, total::text, inflow::text, count from cashflow_monthly where user_id = ${userId}`,
    account_flows_daily: sql`select account_id, class, date::text, running_total::text, running_inflow::text, running_count from account_flows_daily where user_id = ${userId}`,
    funding_candidates: sql`select transaction_id, account_id, currency, date::text, amount::text, class from funding_candidates where user_id = ${userId}`,
    net_worth_daily: sql`select currency, date::text, assets::text, liabilities::text, net_worth::text, estimated, point_json from net_worth_daily where user_id = ${userId}`,
    net_worth_points_monthly: sql`select currency, month::text, points from net_worth_points_monthly where user_id = ${userId}`,
    transfers: sql`select id, transfer_kind, transfer_pair_id, transfer_reason from transactions where user_id = ${userId} and transfer_kind is not null`,
  };
  const out: Record<string, string[]> = {};
  for (const [name, query] of Object.entries(tables)) out[name] = sorted(await selectRows(db, query));
  return out;
}

async function wipeReadModel(db: Database, userId: string): Promise<void> {
  for (const table of [
    'cashflow_daily',
    'cashflow_monthly',
    'account_flows_daily',
    'funding_candidates',
    'net_worth_daily',
    'net_worth_points_monthly',
  ]) {
    await db.execute(sql`delete from ${sql.identifier(table)} where user_id = ${userId}`);
  }
  await db.execute(
    sql`update transactions set transfer_kind = null, transfer_pair_id = null, transfer_reason = null
         where user_id = ${userId}`,
  );
}

async function personWithHistory(db: Database, seed: number): Promise<string> {
  const [user] = await db
    .insert(users)
    .values({ email: `spans-${randomUUID()}@example.com`, passwordHash: 'not-a-real-hash' })
    .returning({ id: users.id });
  await insertDataset(db, user!.id, withEdgeLegs(generateDataset(seed, { days: 400, today: TODAY })));
  return user!.id;
}

describe.each(databaseKinds())('transfer candidates (%s)', (kind) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await openTestDatabase(kind);
  });
  afterAll(async () => {
    await database.drop();
  });

  it('should give the matcher the same matches as every posted transaction does, and fewer rows', async () => {
    const db = database.handle.db;
    const userId = await personWithHistory(db, 31);
    const { analytics } = createRepositories(db);
    const all = await everyPostedLeg(db, userId);
    const selected = await transferCandidates(analytics, userId, [undefined]);
    const expected = matchTransfers(all);
    expect(expected.length).toBeGreaterThan(5);
    expect(sorted(matchTransfers(selected))).toEqual(sorted(expected));
    expect(selected.length).toBeLessThan(all.length / 4);

    const byName = new Map(
      (
        await selectRows<{ id: string; name: string }>(
          db,
          sql`select id, name from transactions where user_id = ${userId} and name like 'EDGE %'`,
        )
      ).map((row) => [row.name.slice('EDGE '.length), row.id]),
    );
    const chosen = new Set(selected.map((c) => c.id));
    expect(chosen.has(byName.get('edge_5_out')!)).toBe(true);
    expect(chosen.has(byName.get('edge_6_out')!)).toBe(false);
    expect(chosen.has(byName.get('edge_same_out')!)).toBe(false);
    expect(chosen.has(byName.get('edge_none_out')!)).toBe(false);
    expect(chosen.has(byName.get('edge_none_in')!)).toBe(false);
    const paired = expected.find((m) => m.outflowId === byName.get('edge_5_out'));
    expect(paired?.inflowId).toBe(byName.get('edge_5_in'));

    // Span by span, the same candidates.
    const spans = cutIntoSpans(await analytics.transactionsPerDay(userId), 40);
    expect(spans.length).toBeGreaterThan(10);
    const inSpans = await transferCandidates(analytics, userId, spans);
    expect(sorted(inSpans)).toEqual(sorted(selected));
  });
});

describe('embedded refresh in spans (pglite)', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await openTestDatabase('pglite');
  });
  afterAll(async () => {
    await database.drop();
  });

  it('should write the same read model span by span as in one piece', async () => {
    const db = database.handle.db;
    const userId = await personWithHistory(db, 32);
    const whole = createAnalyticsMaterializers({ db, now: () => NOW, embeddedSpanTransactions: 1e9 });
    const inSpans = createAnalyticsMaterializers({ db, now: () => NOW, embeddedSpanTransactions: 7 });

    expect((await whole.refreshUserAnalytics(userId)).status).toBe('refreshed');
    const reference = await readModelOf(db, userId);
    expect(reference.cashflow_daily!.length).toBeGreaterThan(100);
    expect(reference.account_flows_daily!.length).toBeGreaterThan(100);
    expect(reference.transfers!.length).toBeGreaterThan(10);
    expect(reference.net_worth_daily!.length).toBeGreaterThan(300);

    await wipeReadModel(db, userId);
    expect((await readModelOf(db, userId)).cashflow_daily).toEqual([]);
    const outcome = await inSpans.refreshUserAnalytics(userId);
    expect(outcome.status).toBe('refreshed');
    expect(await readModelOf(db, userId)).toEqual(reference);

    // An owner's edit path (cash flow only) in spans, too.
    await wipeReadModel(db, userId);
    await inSpans.refreshCashflow(userId, { transfers: true });
    const afterEdit = await readModelOf(db, userId);
    for (const table of [
      'cashflow_daily',
      'cashflow_monthly',
      'account_flows_daily',
      'funding_candidates',
      'transfers',
    ]) {
      expect(afterEdit[table], table).toEqual(reference[table]);
    }
  });

  it("should hold the person's requests while their refresh runs, and only theirs", async () => {
    const db = database.handle.db;
    const a = await personWithHistory(db, 33);
    const b = await personWithHistory(db, 34);
    const materializers = createAnalyticsMaterializers({ db, now: () => NOW, embeddedSpanTransactions: 50 });
    expect(materializers.settled(a)).toBeUndefined();
    const refreshing = materializers.refreshUserAnalytics(a);
    // The refresh numbers its request first; the hold starts once it is queued to run.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    const held = materializers.settled(a);
    expect(held).toBeInstanceOf(Promise);
    expect(materializers.settled(b)).toBeUndefined();
    let released = false;
    void held!.then(() => (released = true));
    const outcome = await refreshing;
    await held;
    expect(outcome.status).toBe('refreshed');
    expect(released).toBe(true);
    expect(materializers.settled(a)).toBeUndefined();
  });

  it('should finish at start-up a refresh a stop cut short', async () => {
    const db = database.handle.db;
    const userId = await personWithHistory(db, 35);
    const materializers = createAnalyticsMaterializers({ db, now: () => NOW, embeddedSpanTransactions: 60 });
    await materializers.refreshUserAnalytics(userId);
    const reference = await readModelOf(db, userId);
    // A stop in the middle: a request numbered, the read model half gone.
    await createRepositories(db).readModel.requestRefresh(userId);
    await db.execute(sql`delete from cashflow_daily where user_id = ${userId} and date >= '2025-01-01'`);
    await db.execute(sql`delete from net_worth_daily where user_id = ${userId}`);

    const restarted = createAnalyticsMaterializers({ db, now: () => NOW, embeddedSpanTransactions: 60 });
    const reopened = await restarted.refreshOpenRequests();
    expect(reopened.people).toBeGreaterThanOrEqual(1);
    // Queued at once: the person's requests are held until it is done.
    expect(restarted.settled(userId)).toBeInstanceOf(Promise);
    expect(await reopened.done).toBeGreaterThanOrEqual(1);
    expect(await readModelOf(db, userId)).toEqual(reference);
    expect(await createRepositories(db).readModel.withOpenRequests()).not.toContain(userId);
  });
});
