import { readFileSync } from 'node:fs';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transactions } from '../../src/db/schema/index.js';
import { addDays, addMonths, startOfMonth } from '../../src/lib/dates.js';
import {
  centsToDecimal,
  generateDataset,
  insertDataset,
  trueDailyBalances,
  type Dataset,
  type SourceTransaction,
} from '../factories/finance-dataset.js';
import { bearer, newAccessToken, newUser } from '../factories/users.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { databaseKinds } from '../helpers/database.js';

const INCOME = new Set(['INCOME', 'EARNED_INCOME', 'TRANSFER_IN']);
const money = (cents: number) => centsToDecimal(cents);

/** Ground truth from the Plaid-shaped source, in integer cents, following the documented rules. */
function expectedCashflow(dataset: Dataset, start: string, end: string, currency: string) {
  const accountCurrency = new Map(dataset.accounts.map((a) => [a.key, a.currency]));
  const months = new Map<string, { income: number; spending: number }>();
  const categories = new Map<string, number>();
  const transfers = new Map<string, { total: number; totalOut: number; count: number }>();
  for (const t of dataset.transactions) {
    if (t.pending || t.date < start || t.date > end || accountCurrency.get(t.account) !== currency) continue;
    const ours = -t.plaidCents;
    if (t.transfer) {
      const e = transfers.get(t.transfer) ?? { total: 0, totalOut: 0, count: 0 };
      if (ours > 0) e.total += ours;
      else e.totalOut -= ours;
      e.count++;
      transfers.set(t.transfer, e);
      continue;
    }
    const month = startOfMonth(t.date);
    const e = months.get(month) ?? { income: 0, spending: 0 };
    if (ours > 0 && INCOME.has(t.primary)) e.income += ours;
    else {
      e.spending -= ours;
      categories.set(t.primary, (categories.get(t.primary) ?? 0) - ours);
    }
    months.set(month, e);
  }
  return { months, categories, transfers };
}

/** What GET /v1/transactions shows of a transaction, as far as these tests look. */
interface ListedTransaction {
  id: string;
  account_id: string;
  date: string;
  name: string;
  amount: string;
  transfer_kind: string | null;
  transfer_reason: string | null;
  transfer_pair_id: string | null;
}

/** A source transaction as its owner sees it: account, date, name and amount (our sign). */
const sourceLeg = (x: SourceTransaction) => `${x.account}|${x.date}|${x.name}|${money(-x.plaidCents)}`;

/**
 * Each listed transaction with its transfer kind, rule and other leg (shown as its owner sees it: our ids
 * are not in the source).
 */
function shownLegs(rows: ListedTransaction[], accountIds: Map<string, string>): string[] {
  const keyOf = new Map([...accountIds].map(([key, id]) => [id, key]));
  const byId = new Map(rows.map((row) => [row.id, row]));
  const shown = (row: ListedTransaction) =>
    `${keyOf.get(row.account_id)}|${row.date}|${row.name}|${row.amount}`;
  return rows.map((row) => {
    const other = row.transfer_pair_id === null ? undefined : byId.get(row.transfer_pair_id);
    return `${shown(row)}|${row.transfer_kind}|${row.transfer_reason}|${other ? shown(other) : row.transfer_pair_id}`;
  });
}

/** The same from the dataset, known by construction; the legs of `unpaired` are expected as no transfer. */
function truthLegs(dataset: Dataset, unpaired = new Set<string>()): string[] {
  const byKey = new Map(dataset.transactions.map((x) => [x.key, x]));
  return dataset.transactions.map((x) => {
    if (unpaired.has(x.key) || x.counterpart === undefined) return `${sourceLeg(x)}|null|null|null`;
    return `${sourceLeg(x)}|${x.transfer}|${x.transferReason}|${sourceLeg(byKey.get(x.counterpart)!)}`;
  });
}

describe.each(databaseKinds())('read API and analytics on %s', (kind) => {
  let t: TestApp;
  let alice: Awaited<ReturnType<typeof setUpUser>>;
  let bob: Awaited<ReturnType<typeof setUpUser>>;

  async function setUpUser(seed: number) {
    const { user } = await newUser(t.app);
    const dataset = generateDataset(seed);
    const { accountIds } = await insertDataset(t.database.handle.db, user.id, dataset);
    await t.app.services.materializers.refreshUserAnalytics(user.id);
    const { token } = await newAccessToken(t.app, user.id, { scope: 'read' });
    return { userId: user.id, token, dataset, accountIds };
  }

  const get = (token: string, url: string) => t.app.inject({ url, headers: bearer(token) });

  /** Every transaction of the token's owner, through the API, page by page. */
  async function allTransactions(token: string, limit = 500): Promise<ListedTransaction[]> {
    const rows: ListedTransaction[] = [];
    let cursor: string | null = null;
    do {
      const res = await get(token, `/v1/transactions?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json<{ data: ListedTransaction[]; next_cursor: string | null }>();
      rows.push(...body.data);
      cursor = body.next_cursor;
    } while (cursor);
    return rows;
  }

  beforeAll(async () => {
    t = await buildTestApp(kind);
    alice = await setUpUser(11);
    bob = await setUpUser(22);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('lists accounts with balances equal to the truth, to the cent, and item freshness', async () => {
    const res = await get(alice.token, '/v1/accounts');
    expect(res.statusCode).toBe(200);
    const body = res.json<{
      as_of: string;
      freshness: { stale: boolean };
      data: { id: string; name: string; balances: { current: string; currency: string }; stale: boolean }[];
    }>();
    expect(body.freshness.stale).toBe(false);
    const truth = trueDailyBalances(alice.dataset);
    expect(body.data).toHaveLength(alice.dataset.accounts.length);
    for (const account of alice.dataset.accounts) {
      const row = body.data.find((a) => a.id === alice.accountIds.get(account.key))!;
      expect(row.balances.current, account.key).toBe(
        money(truth.get(account.key)!.get(alice.dataset.today)!),
      );
      expect(row.balances.currency).toBe(account.currency);
    }
    const one = await get(alice.token, `/v1/accounts/${alice.accountIds.get('card')}`);
    expect(one.json<{ data: { type: string } }>().data.type).toBe('credit');
  });

  it("answers another user's account id exactly like one that does not exist", async () => {
    const foreign = await get(alice.token, `/v1/accounts/${bob.accountIds.get('checking')}`);
    const missing = await get(alice.token, `/v1/accounts/${crypto.randomUUID()}`);
    expect(foreign.statusCode).toBe(404);
    expect(missing.statusCode).toBe(404);
    expect(foreign.json().code).toBe(missing.json().code);
    const filtered = await get(alice.token, `/v1/transactions?account_id=${bob.accountIds.get('checking')}`);
    expect(filtered.json<{ data: unknown[] }>().data).toEqual([]);
  });

  it('pages through every transaction newest first, with no duplicate or gap, while new rows arrive', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await get(alice.token, `/v1/transactions?limit=137${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json<{ data: { id: string; date: string }[]; next_cursor: string | null }>();
      seen.push(...body.data.map((row) => `${row.date}|${row.id}`));
      cursor = body.next_cursor;
      if (pages++ === 1) {
        // A new transaction arrives mid-pagination: it is newer, so later pages are unaffected.
        const { transactions } = await import('../../src/db/schema/index.js');
        const [any] = await t.database.handle.db.query.transactions.findMany({ limit: 1 });
        await t.database.handle.db.insert(transactions).values({
          ...any!,
          id: undefined,
          userId: any!.userId,
          plaidTransactionId: `late_${Date.now()}`,
          date: alice.dataset.today,
        });
      }
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...seen].sort().reverse());
    // Every source transaction of Alice's was seen (the late one may or may not be).
    expect(seen.length).toBeGreaterThanOrEqual(alice.dataset.transactions.length);
    expect(seen.length).toBeLessThanOrEqual(alice.dataset.transactions.length + 1);
    const { transactions } = await import('../../src/db/schema/index.js');
    const { like } = await import('drizzle-orm');
    await t.database.handle.db.delete(transactions).where(like(transactions.plaidTransactionId, 'late_%'));
  });

  it('filters by account, dates, category, merchant, text, amount, pending and direction', async () => {
    const d = alice.dataset;
    const start = addDays(d.today, -60);
    const cardId = alice.accountIds.get('card')!;
    const res = await get(
      alice.token,
      `/v1/transactions?account_id=${cardId}&start_date=${start}&end_date=${d.today}&category=FOOD_AND_DRINK&direction=out&min_amount=20&max_amount=70.5&pending=false&limit=500`,
    );
    expect(res.statusCode, res.body).toBe(200);
    const got = res
      .json<{ data: { amount: string }[] }>()
      .data.map((r) => r.amount)
      .sort();
    const expected = d.transactions
      .filter(
        (x) =>
          x.account === 'card' &&
          x.date >= start &&
          !x.pending &&
          x.primary === 'FOOD_AND_DRINK' &&
          x.plaidCents > 0 &&
          x.plaidCents >= 2000 &&
          x.plaidCents <= 7050,
      )
      .map((x) => money(-x.plaidCents))
      .sort();
    expect(got).toEqual(expected);

    const netflix = await get(alice.token, '/v1/transactions?merchant=netflix&limit=500');
    expect(netflix.json<{ data: unknown[] }>().data).toHaveLength(
      d.transactions.filter((x) => x.merchant === 'Netflix').length,
    );
    const search = await get(alice.token, '/v1/transactions?q=payroll&direction=in&limit=500');
    expect(search.json<{ data: unknown[] }>().data).toHaveLength(
      d.transactions.filter((x) => x.name.includes('PAYROLL')).length,
    );
    const pending = await get(alice.token, '/v1/transactions?pending=true');
    expect(pending.json<{ data: unknown[] }>().data).toHaveLength(
      d.transactions.filter((x) => x.pending).length,
    );
  });

  it('refuses bad parameters and foreign or tampered cursors with a 400 naming the parameter', async () => {
    const first = await get(alice.token, '/v1/transactions?limit=5');
    const cursor = first.json<{ next_cursor: string }>().next_cursor;
    const cases: [string, string][] = [
      ['/v1/transactions?limit=501', 'query.limit'],
      ['/v1/transactions?limit=0', 'query.limit'],
      ['/v1/transactions?start_date=2024-02-30', 'query.start_date'],
      ['/v1/transactions?start_date=2024-03-01&end_date=2024-02-01', 'query.end_date'],
      ['/v1/transactions?colour=red', 'query.colour'],
      ['/v1/transactions?min_amount=-5', 'query.min_amount'],
      ['/v1/transactions?direction=sideways', 'query.direction'],
      ['/v1/transactions?account_id=nope', 'query.account_id'],
      [`/v1/transactions?limit=5&cursor=${cursor.slice(0, -2)}xx`, 'query.cursor'],
      [`/v1/transactions?limit=5&cursor=${cursor}&direction=in`, 'query.cursor'],
      ['/v1/cashflow/summary?interval=year', 'query.interval'],
      ['/v1/net-worth?start_date=2025-01-10&end_date=2025-01-01', 'query.end_date'],
      ['/v1/holdings?x=1', 'query.x'],
    ];
    for (const [url, field] of cases) {
      const res = await get(alice.token, url);
      expect(res.statusCode, url).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(
        res.json<{ errors: { field: string }[] }>().errors.map((e) => e.field),
        url,
      ).toContain(field);
    }
    const stolen = await get(bob.token, `/v1/transactions?limit=5&cursor=${cursor}`);
    expect(stolen.statusCode).toBe(400);
    expect(stolen.json<{ errors: { field: string }[] }>().errors[0]!.field).toBe('query.cursor');
  });

  it('computes monthly income, spending, net, savings rate, categories and transfers equal to the truth', async () => {
    const d = alice.dataset;
    const start = addMonths(startOfMonth(d.today), -11);
    const res = await get(alice.token, '/v1/cashflow/summary');
    expect(res.statusCode, res.body).toBe(200);
    type Period = { start: string; income: string; spending: string; net: string };
    const body = res.json<{
      start_date: string;
      currencies: {
        currency: string;
        periods: Period[];
        totals: { income: string; spending: string };
        spending_by_category: { category: string; total: string; top_merchants: { merchant: string }[] }[];
        transfers: { kind: string; total: string; total_out: string; count: number }[];
      }[];
    }>();
    expect(body.start_date).toBe(start);
    expect(body.currencies.map((c) => c.currency)).toEqual(['EUR', 'USD']);
    for (const currency of ['USD', 'EUR']) {
      const truth = expectedCashflow(d, start, d.today, currency);
      const got = body.currencies.find((c) => c.currency === currency)!;
      expect(got.periods).toHaveLength(12);
      let income = 0;
      let spending = 0;
      for (const period of got.periods) {
        const e = truth.months.get(startOfMonth(period.start)) ?? { income: 0, spending: 0 };
        income += e.income;
        spending += e.spending;
        expect({
          month: period.start,
          income: period.income,
          spending: period.spending,
          net: period.net,
        }).toEqual({
          month: period.start,
          income: money(e.income),
          spending: money(e.spending),
          net: money(e.income - e.spending),
        });
      }
      expect(got.totals).toMatchObject({ income: money(income), spending: money(spending) });
      expect(Object.fromEntries(got.spending_by_category.map((c) => [c.category, c.total]))).toEqual(
        Object.fromEntries([...truth.categories].map(([c, v]) => [c, money(v)])),
      );
      expect(Object.fromEntries(got.transfers.map((x) => [x.kind, [x.total, x.total_out, x.count]]))).toEqual(
        Object.fromEntries(
          [...truth.transfers].map(([k, v]) => [k, [money(v.total), money(v.totalOut), v.count]]),
        ),
      );
    }
    // The Wise movements in particular: the USD sent is in the USD money sent, the EUR received in the EUR
    // money received, each to the cent; the rest of each figure is the same-currency transfers' legs.
    const wise = (name: string) =>
      d.transactions.filter((x) => x.name === name && !x.pending && x.date >= start && x.date <= d.today);
    const wiseUsdSent = wise('WISE INC USD>EUR').reduce((sum, x) => sum + x.plaidCents, 0);
    const wiseEurReceived = wise('WISE EUROPE SA').reduce((sum, x) => sum - x.plaidCents, 0);
    expect(wiseUsdSent).toBeGreaterThan(0);
    expect(wiseEurReceived).toBeGreaterThan(0);
    const sameCurrencyLegs = (account: string, sign: 1 | -1) =>
      d.transactions
        .filter(
          (x) =>
            x.transferReason === 'same_currency_amount' &&
            x.transfer === 'internal_transfer' &&
            x.account === account &&
            !x.pending &&
            x.date >= start &&
            x.date <= d.today &&
            Math.sign(-x.plaidCents) === sign,
        )
        .reduce((sum, x) => sum + Math.abs(x.plaidCents), 0);
    const internal = (currency: string) =>
      body.currencies
        .find((c) => c.currency === currency)!
        .transfers.find((x) => x.kind === 'internal_transfer')!;
    expect(internal('USD').total_out).toBe(money(wiseUsdSent + sameCurrencyLegs('checking', -1)));
    expect(internal('USD').total).toBe(money(sameCurrencyLegs('savings', 1)));
    expect(internal('EUR')).toMatchObject({ total: money(wiseEurReceived), total_out: money(0) });
    const usd = body.currencies.find((c) => c.currency === 'USD')!;
    const food = usd.spending_by_category.find((c) => c.category === 'FOOD_AND_DRINK')!;
    expect(food.top_merchants.length).toBeGreaterThan(0);
  });

  it('marks as transfers exactly the legs of movements between own accounts, across currencies too, each with its rule and its other leg', async () => {
    const d = alice.dataset;
    const currencyOf = new Map(d.accounts.map((a) => [a.key, a.currency]));
    // The dataset holds what this test is about: USD→EUR movements, and a EUR transfer in from someone else.
    const crossCurrencyLegs = d.transactions.filter(
      (x) => x.transfer && x.name.startsWith('WISE') && !x.pending,
    );
    expect(new Set(crossCurrencyLegs.map((x) => currencyOf.get(x.account)))).toEqual(new Set(['USD', 'EUR']));
    expect(
      d.transactions.some((x) => x.primary === 'TRANSFER_IN' && x.account === 'eur' && !x.transfer),
    ).toBe(true);

    const rows = await allTransactions(alice.token);
    expect(shownLegs(rows, alice.accountIds).sort()).toEqual(truthLegs(d).sort());
    // Both rules the dataset exercises are there (a rule-3 pair needs a currency pair without a band).
    expect(new Set(rows.map((row) => row.transfer_reason))).toEqual(
      new Set([null, 'same_currency_amount', 'cross_currency_category_rate']),
    );
  });

  it('clears kind, rule and other leg together on both legs when a refresh no longer pairs them', async () => {
    const carol = await setUpUser(33);
    const before = await allTransactions(carol.token);
    const keyOf = new Map([...carol.accountIds].map(([key, id]) => [id, key]));
    // A cross-currency movement: its EUR leg, as stored.
    const wiseIn = carol.dataset.transactions.find((x) => x.name === 'WISE EUROPE SA' && !x.pending)!;
    const wiseOut = carol.dataset.transactions.find((x) => x.key === wiseIn.counterpart)!;
    const stored = before.find(
      (row) => `${keyOf.get(row.account_id)}|${row.date}|${row.name}|${row.amount}` === sourceLeg(wiseIn),
    )!;
    expect(stored.transfer_reason).toBe('cross_currency_category_rate');
    // The owner files the EUR leg under another category: no rule pairs it any more (the USD leg has no
    // other candidate within 7 days at a plausible rate).
    await t.database.handle.db
      .update(transactions)
      .set({ userCategory: 'GENERAL_SERVICES' })
      .where(and(eq(transactions.userId, carol.userId), eq(transactions.id, stored.id)));
    await t.app.services.materializers.refreshUserAnalytics(carol.userId);
    // A question not asked before, so computed now (what the read cache does is not this test's subject).
    const after = await allTransactions(carol.token, 499);
    expect(shownLegs(after, carol.accountIds).sort()).toEqual(
      truthLegs(carol.dataset, new Set([wiseIn.key, wiseOut.key])).sort(),
    );
    const [row] = await t.database.handle.db
      .select({
        kind: transactions.transferKind,
        pair: transactions.transferPairId,
        reason: transactions.transferReason,
      })
      .from(transactions)
      .where(eq(transactions.id, stored.id));
    expect(row).toEqual({ kind: null, pair: null, reason: null });
  });

  it('migration 0013 gives legs paired before it their rule where the legs tell it: one currency only', async () => {
    const dave = await setUpUser(44);
    const db = t.database.handle.db;
    // As stored before the column existed: kinds and pairs, no reason.
    await db.update(transactions).set({ transferReason: null }).where(eq(transactions.userId, dave.userId));
    const migration = readFileSync(
      new URL('../../drizzle/0013_transfer_reason.sql', import.meta.url),
      'utf8',
    );
    const [addColumn, ...backfill] = migration.split('--> statement-breakpoint');
    expect(addColumn).toContain('ADD COLUMN "transfer_reason"');
    for (const statement of backfill) await db.execute(sql.raw(statement));
    const rows = await allTransactions(dave.token, 498);
    // Same-currency legs have their rule back; cross-currency legs wait for the next refresh.
    const currencyOf = new Map(dave.dataset.accounts.map((a) => [a.key, a.currency]));
    const sourceByKey = new Map(dave.dataset.transactions.map((x) => [x.key, x]));
    const expected = dave.dataset.transactions.map((x) => {
      const other = x.counterpart === undefined ? undefined : sourceByKey.get(x.counterpart)!;
      const known = other && currencyOf.get(other.account) === currencyOf.get(x.account);
      return `${sourceLeg(x)}|${x.transfer ?? null}|${known ? x.transferReason : null}|${other ? sourceLeg(other) : null}`;
    });
    expect(shownLegs(rows, dave.accountIds).sort()).toEqual(expected.sort());
    expect(rows.some((row) => row.transfer_kind !== null && row.transfer_reason === null)).toBe(true);
    await t.app.services.materializers.refreshUserAnalytics(dave.userId);
    expect(shownLegs(await allTransactions(dave.token, 497), dave.accountIds).sort()).toEqual(
      truthLegs(dave.dataset).sort(),
    );
  });

  it('sums ranges that start and end mid-month exactly, by month and by week', async () => {
    const d = alice.dataset;
    const start = addDays(addMonths(startOfMonth(d.today), -8), 14);
    const end = addDays(addMonths(startOfMonth(d.today), -2), 9);
    for (const interval of ['month', 'week']) {
      const res = await get(
        alice.token,
        `/v1/cashflow/summary?start_date=${start}&end_date=${end}&interval=${interval}`,
      );
      expect(res.statusCode, res.body).toBe(200);
      const usd = res
        .json<{ currencies: { currency: string; totals: { income: string; spending: string } }[] }>()
        .currencies.find((c) => c.currency === 'USD')!;
      const truth = expectedCashflow(d, start, end, 'USD');
      const income = [...truth.months.values()].reduce((sum, e) => sum + e.income, 0);
      const spending = [...truth.months.values()].reduce((sum, e) => sum + e.spending, 0);
      expect(usd.totals, interval).toMatchObject({ income: money(income), spending: money(spending) });
    }
  });

  it('defaults missing bounds: 12 calendar months of cash flow, 90 days of net worth, ending at end_date', async () => {
    const end = addDays(alice.dataset.today, -40);
    const cash = (await get(alice.token, `/v1/cashflow/summary?end_date=${end}`)).json<{
      start_date: string;
      end_date: string;
    }>();
    expect(cash).toMatchObject({ start_date: addMonths(startOfMonth(end), -11), end_date: end });
    const worth = (await get(alice.token, `/v1/net-worth?end_date=${end}`)).json<{
      history: { start_date: string; end_date: string };
    }>();
    expect(worth.history).toMatchObject({ start_date: addDays(end, -89), end_date: end });
    const later = addDays(alice.dataset.today, 30);
    const bad = await get(alice.token, `/v1/net-worth?start_date=${later}`);
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ errors: { field: string }[] }>().errors[0]!.field).toBe('query.start_date');
  });

  it('counts pending transactions only on request', async () => {
    const d = alice.dataset;
    const pendingCents = d.transactions.filter((x) => x.pending).reduce((s, x) => s + x.plaidCents, 0);
    const without = (
      await get(alice.token, `/v1/cashflow/summary?start_date=${addDays(d.today, -5)}&end_date=${d.today}`)
    ).json<{
      currencies: { currency: string; totals: { spending: string } }[];
    }>();
    const withPending = (
      await get(
        alice.token,
        `/v1/cashflow/summary?start_date=${addDays(d.today, -5)}&end_date=${d.today}&include_pending=true`,
      )
    ).json<{ currencies: { currency: string; totals: { spending: string } }[] }>();
    // Exact cents from the 2-decimal strings, without floats.
    const usd = (b: typeof without) =>
      Number(
        BigInt((b.currencies.find((c) => c.currency === 'USD')?.totals.spending ?? '0.00').replace('.', '')),
      );
    expect(usd(withPending) - usd(without)).toBe(pendingCents);
  });

  it('gives net worth now and at each history point equal to the true balances, per currency', async () => {
    const d = alice.dataset;
    const truth = trueDailyBalances(d);
    const start = addDays(d.today, -120);
    const res = await get(alice.token, `/v1/net-worth?start_date=${start}&end_date=${d.today}&interval=day`);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<{
      currencies: { currency: string; assets: string; liabilities: string; net_worth: string }[];
      history: {
        points: {
          currency: string;
          date: string;
          net_worth: string;
          assets: string;
          liabilities: string;
          estimated: boolean;
        }[];
      };
    }>();
    const expectedOn = (currency: string, date: string) => {
      let assets = 0;
      let liabilities = 0;
      for (const a of d.accounts.filter((x) => x.currency === currency)) {
        const balance = truth.get(a.key)!.get(date)!;
        if (a.type === 'credit' || a.type === 'loan') liabilities -= balance;
        else assets += balance;
      }
      return {
        assets: money(assets),
        liabilities: money(liabilities),
        net_worth: money(assets - liabilities),
      };
    };
    for (const currency of ['EUR', 'USD']) {
      expect(body.currencies.find((c) => c.currency === currency)).toMatchObject(
        expectedOn(currency, d.today),
      );
    }
    expect(body.history.points).toHaveLength(2 * 121);
    for (const point of body.history.points) {
      const { currency, date, assets, liabilities, net_worth } = point;
      expect({ currency, date, assets, liabilities, net_worth }).toEqual({
        currency,
        date,
        ...expectedOn(currency, date),
      });
      expect(point.estimated).toBe(point.date < addDays(d.today, -(d.snapshotDays - 1)));
    }
    const monthly = await get(
      alice.token,
      `/v1/net-worth?start_date=${start}&end_date=${d.today}&interval=month`,
    );
    const points = monthly.json<{
      history: { points: { currency: string; date: string; net_worth: string }[] };
    }>().history.points;
    for (const point of points) {
      const monthEnd = addDays(addMonths(startOfMonth(point.date), 1), -1);
      expect(point.date).toBe(monthEnd < d.today ? monthEnd : d.today);
      expect(point.net_worth).toBe(expectedOn(point.currency, point.date).net_worth);
    }
  });

  it('reports holdings, gains and allocation equal to the source positions', async () => {
    const res = await get(alice.token, '/v1/holdings');
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<{
      positions: {
        ticker: string | null;
        value: string;
        cost_basis: string | null;
        unrealized_gain: string | null;
        unrealized_gain_percent: string | null;
      }[];
      totals: {
        currency: string;
        value: string;
        cost_basis: string;
        unrealized_gain: string;
        allocation_by_security_type: { security_type: string; value: string }[];
      }[];
    }>();
    const source = alice.dataset.holdings;
    expect(body.positions).toHaveLength(source.length);
    for (const h of source) {
      const p = body.positions.find((x) => x.ticker === h.ticker)!;
      expect(p.value).toBe(money(h.valueCents));
      expect(p.cost_basis).toBe(h.costBasisCents === null ? null : money(h.costBasisCents));
      expect(p.unrealized_gain).toBe(
        h.costBasisCents === null ? null : money(h.valueCents - h.costBasisCents),
      );
    }
    const vti = source[0]!;
    expect(body.positions.find((x) => x.ticker === 'VTI')!.unrealized_gain_percent).toBe(
      (Math.round(((vti.valueCents - vti.costBasisCents!) * 10000) / vti.costBasisCents!) / 100).toFixed(2),
    );
    const known = source.filter((h) => h.costBasisCents !== null);
    expect(body.totals).toHaveLength(1);
    expect(body.totals[0]).toMatchObject({
      currency: 'USD',
      value: money(source.reduce((s, h) => s + h.valueCents, 0)),
      cost_basis: money(known.reduce((s, h) => s + h.costBasisCents!, 0)),
      unrealized_gain: money(known.reduce((s, h) => s + h.valueCents - h.costBasisCents!, 0)),
    });
    expect(
      Object.fromEntries(body.totals[0]!.allocation_by_security_type.map((a) => [a.security_type, a.value])),
    ).toEqual(Object.fromEntries(source.map((h) => [h.type, money(h.valueCents)])));
  });

  it('finds the recurring series and nothing else', async () => {
    const res = await get(alice.token, '/v1/recurring');
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<{
      data: { merchant: string; cadence: string; status: string; direction: string }[];
    }>();
    expect(
      Object.fromEntries(
        body.data.map((s) => [s.merchant, { cadence: s.cadence, status: s.status, direction: s.direction }]),
      ),
    ).toEqual(alice.dataset.recurring);
  });

  it('keeps every figure scoped to the caller', async () => {
    const a = (await get(alice.token, '/v1/net-worth')).json<{ currencies: { net_worth: string }[] }>();
    const b = (await get(bob.token, '/v1/net-worth')).json<{ currencies: { net_worth: string }[] }>();
    expect(a.currencies).not.toEqual(b.currencies);
    const bobTruth = trueDailyBalances(bob.dataset);
    const bobUsd = bob.dataset.accounts
      .filter((x) => x.currency === 'USD')
      .reduce((s, x) => s + bobTruth.get(x.key)!.get(bob.dataset.today)!, 0);
    expect(
      (b as { currencies: { currency?: string; net_worth: string }[] }).currencies.find(
        (c) => c.currency === 'USD',
      )!.net_worth,
    ).toBe(money(bobUsd));
  });
});
