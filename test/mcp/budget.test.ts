/**
 * The answer budget: for a person with 100,000 transactions over five years (plus 200 monthly bills and
 * 40 positions), every tool's whole result (structuredContent and its text mirror, serialized) stays
 * under 40,000 characters whatever the arguments; what does not fit is said in `truncated` and reached
 * with next_cursor or an earlier end_date, and paging loses nothing (the pages equal the REST answer).
 */
import type { Client } from '@modelcontextprotocol/client';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, formatDate } from '../../src/lib/dates.js';
import { RESULT_BUDGET_CHARS } from '../../src/mcp/budget.js';
import { newAccessToken, newUser } from '../factories/users.js';
import { databaseKinds } from '../helpers/database.js';
import { connectClient, startMcpHarness, structuredOf, type McpHarness } from './support.js';

type Json = Record<string, unknown>;
type Rows = Json[];

const TRANSACTIONS = 100_000;
const YEARS = 5;

/** The heavy person, written in bulk (as bench/api-read.ts does), then materialized by the service. */
async function seedHeavyUser(h: McpHarness, userId: string, today: string) {
  const db = h.t.database.handle.db;
  await db.execute(
    sql`insert into institutions (id, name) values ('ins_109508', 'First Platypus Bank') on conflict do nothing`,
  );
  await db.execute(sql`
    insert into plaid_items (user_id, plaid_item_id, institution_id, access_token_ciphertext, access_token_key_id, status, last_synced_at)
    values (${userId}, ${`item_heavy_${userId}`}, 'ins_109508', 'not-a-token', 'test', 'good', now())`);
  await db.execute(sql`
    insert into accounts (user_id, item_id, plaid_account_id, name, type, subtype, current_balance, iso_currency_code, balances_as_of)
    select ${userId}, i.id, 'acc_' || k.key || '_' || i.id, k.name, k.type, k.subtype, k.balance, 'USD', now()
    from plaid_items i cross join (values ('checking', 'Everyday Checking', 'depository', 'checking', 5234.12),
                                          ('card', 'Rewards Card', 'credit', 'credit card', -1432.55),
                                          ('brokerage', 'Brokerage', 'investment', 'brokerage', 0)) as k(key, name, type, subtype, balance)
    where i.user_id = ${userId}`);
  const days = 365 * YEARS;
  await db.execute(sql`
    insert into transactions (user_id, item_id, account_id, plaid_transaction_id, amount, iso_currency_code, date, name, merchant_name, pending, category_primary, category_detailed)
    select a.user_id, a.item_id, a.id, 'tx_' || a.id || '_' || g,
           case when g % 20 = 0 then round((1500 + (g % 3000))::numeric, 2) else -round((2 + (g * 37 % 25000) / 100.0)::numeric, 2) end,
           'USD', ${today}::date - (g % ${days}),
           'POS PURCHASE ' || upper(md5(g::text)) || ' CARD 4242',
           'Merchant number ' || (g % 700) || ' with a fairly long name, Inc.',
           g % 97 = 0,
           case when g % 20 = 0 then 'INCOME' else 'FOOD_AND_DRINK' end,
           case when g % 20 = 0 then 'INCOME_WAGES' else 'FOOD_AND_DRINK_RESTAURANT' end
    from accounts a cross join generate_series(1, ${TRANSACTIONS / 2}) g
    where a.user_id = ${userId} and a.type in ('depository', 'credit')`);
  // 200 monthly bills over 18 months: 200 recurring series.
  await db.execute(sql`
    insert into transactions (user_id, item_id, account_id, plaid_transaction_id, amount, iso_currency_code, date, name, merchant_name, pending, category_primary, category_detailed)
    select a.user_id, a.item_id, a.id, 'bill_' || m || '_' || k, -(10 + m), 'USD',
           (${today}::date - (k || ' months')::interval)::date, 'Subscription ' || m, 'Subscription service ' || m, false,
           'GENERAL_SERVICES', 'GENERAL_SERVICES_OTHER_GENERAL_SERVICES'
    from accounts a cross join generate_series(0, 199) m cross join generate_series(0, 17) k
    where a.user_id = ${userId} and a.type = 'credit'`);
  await db.execute(sql`
    insert into balance_snapshots (account_id, date, user_id, current_balance, iso_currency_code)
    select a.id, ${today}::date - d, a.user_id, a.current_balance, 'USD'
    from accounts a cross join generate_series(0, 29) d where a.user_id = ${userId} and a.type <> 'investment'`);
  await db.execute(sql`
    insert into securities (plaid_security_id, ticker_symbol, name, type, iso_currency_code)
    select 'sec_budget_' || i, 'TCK' || i, 'Security number ' || i || ' Growth Fund', (array['equity','etf','mutual fund','fixed income'])[1 + i % 4], 'USD'
    from generate_series(0, 39) i on conflict (plaid_security_id) do nothing`);
  await db.execute(sql`
    insert into holdings (user_id, account_id, security_id, quantity, institution_price, institution_price_as_of, institution_value, cost_basis, iso_currency_code)
    select a.user_id, a.id, s.id, 10 + i, 50 + i * 3.25, ${today}::date, (10 + i) * (50 + i * 3.25), round((10 + i) * (50 + i * 3.25) * 0.9, 2), 'USD'
    from accounts a cross join generate_series(0, 39) i join securities s on s.plaid_security_id = 'sec_budget_' || i
    where a.user_id = ${userId} and a.type = 'investment'`);
  await db.execute(sql`
    update accounts set current_balance = (select sum(institution_value) from holdings h where h.account_id = accounts.id)
    where user_id = ${userId} and type = 'investment'`);
  const refreshed = await h.t.app.services.materializers.refreshUserAnalytics(userId);
  expect(refreshed.status).toBe('refreshed');
}

describe.each(databaseKinds())('MCP answer budget on %s', (kind) => {
  let h: McpHarness;
  let client: Client;
  let token: string;
  const today = formatDate(new Date());
  const sizes: Record<string, number> = {};

  beforeAll(async () => {
    h = await startMcpHarness(kind);
    const { user } = await newUser(h.t.app);
    token = (await newAccessToken(h.t.app, user.id, { scope: 'write' })).token;
    await seedHeavyUser(h, user.id, today);
    client = await connectClient(h.url, token);
  }, 600_000);
  afterAll(async () => {
    await client?.close();
    await h?.close();
  });

  /** Calls a tool and holds its whole result to the budget. */
  async function call<T = Json>(name: string, args: Json = {}): Promise<T> {
    const result = await client.callTool({ name, arguments: args });
    const size = JSON.stringify(result).length;
    const key = `${name} ${JSON.stringify(args)}`;
    sizes[key] = size;
    expect(size, key).toBeLessThan(RESULT_BUDGET_CHARS);
    return structuredOf<T>(result);
  }

  it('keeps transaction pages in budget and loses nothing across pages', async () => {
    const count = await h.t.database.handle.db.execute(sql`select count(*)::int as n from transactions`);
    expect(JSON.stringify(count)).toMatch(/10[0-9],?[0-9]{3}/);
    const pages: Rows[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 3; i++) {
      const page = await call<{ data: Rows; next_cursor: string; truncated: string | null }>(
        'search_transactions',
        {
          limit: 100,
          ...(cursor ? { cursor } : {}),
        },
      );
      expect(page.data.length).toBeLessThan(100);
      expect(page.truncated).toMatch(/of the 100 transactions asked for fit/);
      expect(page.next_cursor).toBeTruthy();
      pages.push(page.data);
      cursor = page.next_cursor;
    }
    const seen = pages.flat();
    const rest = await h.rest<{ data: Rows }>(token, `/v1/transactions?limit=${seen.length}`);
    expect(seen).toEqual(rest.data);
    const small = await call<{ data: Rows; truncated: null }>('search_transactions');
    expect(small.data).toHaveLength(25);
    expect(small.truncated).toBeNull();
  });

  it('keeps cash flow and net worth in budget over 20 years, saying what was left out', async () => {
    const longAgo = addDays(today, -7_000); // within every range limit (240 months, 1,045 weeks)
    await call('get_cash_flow');
    const weekly = await call<{ start_date: string; truncated: string }>('get_cash_flow', {
      start_date: longAgo,
      interval: 'week',
      detailed: true,
      include_pending: true,
    });
    expect(weekly.start_date > longAgo).toBe(true);
    expect(weekly.truncated).toContain(`end_date = ${addDays(weekly.start_date, -1)}`);
    const monthly = await call<{ start_date: string; truncated: string | null }>('get_cash_flow', {
      start_date: longAgo,
    });
    if (monthly.start_date !== longAgo) expect(monthly.truncated).toContain('onwards fit');
    else expect(monthly.truncated).toBeNull();

    const chosen = await call<{ history: { interval: string; points: Rows }; truncated: null }>(
      'get_net_worth',
    );
    expect(chosen.history.interval).toBe('day');
    expect(chosen.truncated).toBeNull();
    const fiveYears = await call<{
      history: { interval: string; start_date: string };
      truncated: string | null;
    }>('get_net_worth', { start_date: addDays(today, -365 * YEARS) });
    expect(fiveYears.history.interval).toBe('month');
    const daily = await call<{ history: { interval: string; start_date: string }; truncated: string }>(
      'get_net_worth',
      { start_date: addDays(today, -365 * YEARS), interval: 'day' },
    );
    expect(daily.history.interval).toBe('day');
    expect(daily.truncated).toContain('onwards fit');
    const twenty = await call<{
      history: { interval: string; start_date: string };
      truncated: string | null;
    }>('get_net_worth', { start_date: longAgo });
    expect(twenty.history.interval).toBe('month');
    if (twenty.history.start_date !== longAgo) expect(twenty.truncated).toContain('onwards fit');
  });

  it('pages holdings, recurring series and accounts within budget, the pages making up the REST answer', async () => {
    const positions: Rows[] = [];
    let cursor: string | null = null;
    let holdingsPages = 0;
    do {
      const page: { positions: Rows; totals: Rows; next_cursor: string | null; truncated: string | null } =
        await call('get_holdings', cursor ? { cursor } : {});
      expect(page.totals).toHaveLength(1);
      if (page.next_cursor) expect(page.truncated).toMatch(/more of 40 did not fit/);
      positions.push(page.positions);
      cursor = page.next_cursor;
      holdingsPages++;
    } while (cursor);
    const restHoldings = await h.rest<{ positions: Rows }>(token, '/v1/holdings');
    expect(holdingsPages).toBeGreaterThan(1);
    expect(positions.flat()).toEqual(restHoldings.positions);

    const series: Rows[] = [];
    let pages = 0;
    cursor = null;
    do {
      const page: { data: Rows; next_cursor: string | null } = await call(
        'get_recurring',
        cursor ? { cursor } : {},
      );
      series.push(page.data);
      cursor = page.next_cursor;
      pages++;
    } while (cursor && pages < 50);
    const restRecurring = await h.rest<{ data: Rows }>(token, '/v1/recurring');
    expect(restRecurring.data.length).toBeGreaterThanOrEqual(200);
    expect(pages).toBeGreaterThan(1);
    expect(series.flat()).toEqual(restRecurring.data);

    await call('list_accounts');
    await call('get_sync_status');
    await call('sync_now');
  });

  it('keeps search and fetch in budget', async () => {
    const found = await call<{ results: { id: string }[] }>('search', { query: 'Merchant number 1' });
    expect(found.results.length).toBeGreaterThan(0);
    for (const r of found.results.slice(0, 3)) await call('fetch', { id: r.id });
    await call('search', { query: 'Subscription' });
    await call('search', { query: 'a' });
  });

  afterAll(() => {
    // The largest answers, for the report (not a timing: sizes are deterministic for this data).
    const largest = Object.entries(sizes)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5);
    expect(largest.every(([, size]) => size < RESULT_BUDGET_CHARS)).toBe(true);
    process.stdout.write(`largest MCP answers on ${kind}: ${JSON.stringify(largest)}\n`);
  });
});
