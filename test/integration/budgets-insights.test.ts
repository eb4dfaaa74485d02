/**
 * Budgets (GET/PUT/DELETE /v1/budgets, /v1/budgets/suggest) and insights (GET /v1/insights) against ground
 * truth: a person linked through the emulator with the official Plaid client (250 days of history) and
 * synced by the real sync service; spending per category and month is summed here from the emulator's
 * own transactions (our sign = −Plaid's; transfers between own accounts out: exactly opposite amounts in
 * two accounts within 5 days, one leg a transfer category), without our code, on both databases.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { Products } from 'plaid';
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectRows } from '../../src/db/client.js';
import type { JobQueue } from '../../src/domain/sync/queue.js';
import { buildEmulatorApp, type GroundTruth } from '../../src/emulator/index.js';
import { addMonths, daysBetween, formatDate } from '../../src/lib/dates.js';
import { createLogger } from '../../src/lib/logger.js';
import { buildMcpServer } from '../../src/mcp/server.js';
import { insightsTools } from '../../src/mcp/tools/insights.js';
import { createPlaidClient, type PlaidClient } from '../../src/plaid/client.js';
import { bearer, newAccessToken, newUser } from '../factories/users.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { databaseKinds } from '../helpers/database.js';
import { emulatorControl } from '../helpers/emulator-control.js';
import { units } from '../helpers/ground-truth-figures.js';

const CLIENT_ID = 'budgets-client';
const SECRET = 'budgets-secret-9c0d1e2f';
const INCOME = new Set(['INCOME', 'EARNED_INCOME', 'TRANSFER_IN']);
const TRANSFERISH = new Set(['TRANSFER_IN', 'TRANSFER_OUT', 'LOAN_PAYMENTS']);

/** Whole cents as the API writes them. */
function text(value: bigint): string {
  const negative = value < 0n;
  const abs = negative ? -value : value;
  if (abs % 100n !== 0n) throw new Error(`not whole cents: ${value}`);
  const cents = abs / 100n;
  const body = `${cents / 100n}.${(cents % 100n).toString().padStart(2, '0')}`;
  return negative && abs !== 0n ? `-${body}` : body;
}

/** The median as the service states it: the mean of the middle two, half away from zero (1/10,000). */
function median(values: bigint[]): bigint {
  const s = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const mid = Math.floor(s.length / 2);
  if (s.length % 2 === 1) return s[mid]!;
  const sum = s[mid - 1]! + s[mid]!;
  return sum >= 0n ? (sum + 1n) / 2n : (sum - 1n) / 2n;
}
const decimal = (u: bigint) => {
  const negative = u < 0n;
  const abs = negative ? -u : u;
  const fraction = (abs % 10_000n)
    .toString()
    .padStart(4, '0')
    .replace(/0{1,2}$/, '');
  return `${negative ? '-' : ''}${abs / 10_000n}.${fraction.length < 2 ? fraction.padEnd(2, '0') : fraction}`;
};

/** Every transaction of the ground truth with what cash flow makes of it. */
function classify(truth: GroundTruth) {
  const accounts = new Map(truth.accounts.map((a) => [a.account_id, a]));
  const rows = truth.transactions.map((t) => ({
    id: t.transaction_id,
    account: t.account_id,
    date: t.date,
    pending: t.pending,
    ours: -units(t.amount),
    category: t.personal_finance_category?.primary ?? null,
    merchant: t.merchant_name ?? t.name,
    currency: t.iso_currency_code ?? accounts.get(t.account_id)!.balances.iso_currency_code ?? 'XXX',
    transfer: false,
  }));
  const posted = rows.filter((r) => !r.pending);
  for (const out of posted
    .filter((r) => r.ours < 0n)
    .sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0))) {
    let best: (typeof rows)[number] | undefined;
    let distance = Infinity;
    for (const inflow of posted) {
      if (
        inflow.transfer ||
        inflow.ours !== -out.ours ||
        inflow.currency !== out.currency ||
        inflow.account === out.account
      )
        continue;
      const transferish = (r: typeof out) => r.category === null || TRANSFERISH.has(r.category);
      if (!transferish(out) && !transferish(inflow)) continue;
      const d = Math.abs(daysBetween(out.date, inflow.date));
      if (d <= 5 && d < distance) {
        best = inflow;
        distance = d;
      }
    }
    if (best) {
      out.transfer = true;
      best.transfer = true;
    }
  }
  const counted = rows
    .filter((r) => !r.transfer)
    .map((r) => ({
      ...r,
      kind: r.ours > 0n && (r.category === null || INCOME.has(r.category)) ? 'income' : 'spending',
      category: r.category ?? 'UNCATEGORIZED',
    }));
  /** Spending (positive) of a currency, category and month (YYYY-MM), posted or pending. */
  const spent = (currency: string, category: string, month: string, pending = false) =>
    -counted
      .filter(
        (r) =>
          r.kind === 'spending' &&
          r.pending === pending &&
          r.currency === currency &&
          r.category === category &&
          r.date.startsWith(month),
      )
      .reduce((s, r) => s + r.ours, 0n);
  return { counted, spent };
}

interface Insight {
  type: string;
  currency: string | null;
  category: string | null;
  merchant: string | null;
  amount: string | null;
  baseline: string | null;
  deviation: string | null;
  transaction_ids: string[];
  transaction_count: number;
}
interface BudgetLine {
  category: string;
  currency: string;
  budgeted: string;
  rollover_carried: string;
  spent: string;
  pending: string;
  remaining: string;
  projected_spent: string;
  recurring_due: string;
}

describe.each(databaseKinds())('budgets and insights against the emulator (%s)', (kind) => {
  let emulator: FastifyInstance;
  let control: ReturnType<typeof emulatorControl>;
  let plaid: PlaidClient;
  let t: TestApp;
  const jobs: JobQueue = {
    enqueueSync: async (request) => ({ itemId: request.itemId, jobId: 'job', absorbed: false, runIds: [] }),
    async enqueueWebhook() {},
  };
  let owner: { token: string; writeToken: string; userId: string };
  let other: { token: string; writeToken: string };
  let truth: GroundTruth;
  /** Our transaction id by Plaid's, and back. */
  let ourId: Map<string, string>;
  const today = formatDate(new Date());
  const CURRENT = today.slice(0, 7);
  const MONTH = addMonths(`${CURRENT}-01`, -1).slice(0, 7);
  const BEFORE = addMonths(`${CURRENT}-01`, -2).slice(0, 7);

  const call = async <T>(
    token: string,
    method: 'GET' | 'PUT' | 'DELETE',
    url: string,
    status: number,
    payload?: unknown,
  ) => {
    const res = await t.app.inject({
      method,
      url,
      headers: bearer(token),
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(status);
    return (res.body ? res.json() : null) as T;
  };

  beforeAll(async () => {
    emulator = await buildEmulatorApp({ clientId: CLIENT_ID, secret: SECRET, rateLimits: false });
    await emulator.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(emulator.server.address() as AddressInfo).port}`;
    control = emulatorControl(url);
    await control('POST', '/__emulator/webhooks/drop', { enabled: true });
    plaid = createPlaidClient({ basePath: url, clientId: CLIENT_ID, secret: SECRET, timeoutMs: 10_000 });
    t = await buildTestApp(kind, {}, createLogger('error'), { plaid, jobs });

    const { user } = await newUser(t.app, { email: `owner-${randomUUID()}@example.com` });
    const { token } = await newAccessToken(t.app, user.id, { scope: 'read' });
    const { token: writeToken } = await newAccessToken(t.app, user.id, { scope: 'write' });
    const { public_token } = await plaid.sandboxPublicTokenCreate({
      institution_id: 'ins_109508',
      initial_products: [Products.Transactions, Products.Investments],
      options: {
        override_username: 'user_good',
        override_password: 'pass_good',
        transactions: { days_requested: 250 },
      },
    });
    const exchanged = await t.app.inject({
      method: 'POST',
      url: '/v1/plaid/item/public-token/exchange',
      headers: bearer(writeToken),
      payload: { public_token },
    });
    expect(exchanged.statusCode, exchanged.body).toBe(201);
    const itemId = exchanged.json<{ item: { id: string } }>().item.id;
    expect((await t.app.services.sync.syncItem(user.id, itemId, { trigger: 'link' })).status).toBe(
      'succeeded',
    );
    const state = await control<{ items: { item_id: string; removed: boolean }[] }>(
      'GET',
      '/__emulator/state',
    );
    truth = await control<GroundTruth>(
      'GET',
      `/__emulator/items/${state.items.find((i) => !i.removed)!.item_id}/ground-truth`,
    );
    owner = { token, writeToken, userId: user.id };
    ourId = new Map(
      (
        await selectRows<{ plaid: string; id: string }>(
          t.database.handle.db,
          sql`select plaid_transaction_id as plaid, id from transactions where user_id = ${user.id}`,
        )
      ).map((r) => [r.plaid, r.id]),
    );
    const second = await newUser(t.app, { email: `other-${randomUUID()}@example.com` });
    other = {
      token: (await newAccessToken(t.app, second.user.id, { scope: 'read' })).token,
      writeToken: (await newAccessToken(t.app, second.user.id, { scope: 'write' })).token,
    };
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await emulator?.close();
  });

  describe('GET /v1/insights', () => {
    const insightsOf = async (month: string) =>
      (
        await call<{ insights: Insight[]; month: string }>(
          owner.token,
          'GET',
          `/v1/insights?month=${month}`,
          200,
        )
      ).insights;

    it('spending per category and its trailing 6-month median equal the sums of the emulator’s transactions', async () => {
      const { spent, counted } = classify(truth);
      const insights = (await insightsOf(MONTH)).filter((i) => i.type === 'category_spending');
      expect(insights.length).toBeGreaterThan(2);
      const trailing = Array.from({ length: 6 }, (_, i) => addMonths(`${MONTH}-01`, i - 6).slice(0, 7));
      for (const i of insights) {
        const now = spent(i.currency!, i.category!, MONTH);
        const base = median(trailing.map((m) => spent(i.currency!, i.category!, m)));
        expect([i.amount, i.baseline, i.deviation], `${i.currency} ${i.category}`).toEqual([
          text(now),
          decimal(base),
          decimal(now - base),
        ]);
        // The transactions cited are this month's outflows of the category.
        const cited = counted.filter((r) => i.transaction_ids.includes(ourId.get(r.id)!));
        expect(cited.length).toBe(Math.min(i.transaction_count, 10));
        for (const r of cited)
          expect([r.category, r.date.slice(0, 7), r.ours < 0n]).toEqual([i.category, MONTH, true]);
      }
    });

    it('the largest transactions are the largest outflows of the month, cited by id', async () => {
      const { counted } = classify(truth);
      const largest = (await insightsOf(MONTH)).filter(
        (i) => i.type === 'largest_transaction' && i.currency === 'USD',
      );
      const expected = counted
        .filter((r) => !r.pending && r.currency === 'USD' && r.date.startsWith(MONTH) && r.ours < 0n)
        .map((r) => r.ours)
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
        .slice(0, 5);
      expect(largest.map((i) => i.amount)).toEqual(expected.map(text));
      for (const i of largest) {
        const row = counted.find((r) => ourId.get(r.id) === i.transaction_ids[0])!;
        expect(text(row.ours)).toBe(i.amount);
      }
    });

    it('new merchants are those first seen this month; fees are the investment fees; no account is stale', async () => {
      const { counted } = classify(truth);
      const insights = await insightsOf(MONTH);
      const first = new Map<string, string>();
      for (const r of counted.filter((x) => !x.pending))
        if (!first.has(`${r.currency}|${r.merchant}`) || first.get(`${r.currency}|${r.merchant}`)! > r.date)
          first.set(`${r.currency}|${r.merchant}`, r.date);
      const fresh = [...first].filter(([, date]) => date.startsWith(MONTH)).map(([key]) => key);
      const got = insights.filter((i) => i.type === 'new_merchant').map((i) => `${i.currency}|${i.merchant}`);
      expect(got.sort()).toEqual(fresh.sort().slice(0, 8));

      const fees = truth.investment_transactions
        .filter((i) => i.type === 'fee' && i.date.startsWith(MONTH))
        .reduce((s, i) => s + units(i.amount), 0n);
      const feeInsight = insights.find((i) => i.type === 'fees_and_interest' && i.currency === 'USD');
      expect(feeInsight?.amount ?? '0.00').toBe(text(fees));
      expect(insights.filter((i) => i.type === 'stale_account')).toEqual([]);
      // Every subscription or income insight cites transactions of its merchant.
      const { counted: rows } = classify(truth);
      for (const i of insights.filter(
        (x) => x.type.startsWith('subscription') || x.type === 'income_missing',
      )) {
        for (const id of i.transaction_ids)
          expect(rows.find((r) => ourId.get(r.id) === id)?.merchant).toBe(i.merchant);
      }
      expect(JSON.stringify(insights).length).toBeLessThan(40_000);
    });

    it('a bad or later month is 400 naming the field; another person sees none of these', async () => {
      for (const month of ['2026-13', '26-01', '2026-1', addMonths(`${CURRENT}-01`, 1).slice(0, 7)]) {
        const problem = await call<{ errors: { field: string }[] }>(
          owner.token,
          'GET',
          `/v1/insights?month=${month}`,
          400,
        );
        expect(problem.errors.map((e) => e.field)).toContain('query.month');
      }
      const theirs = await call<{ insights: Insight[] }>(
        other.token,
        'GET',
        `/v1/insights?month=${MONTH}`,
        200,
      );
      expect(theirs.insights).toEqual([]);
    });
  });

  describe('budgets', () => {
    it('spent, pending, rollover and remaining equal the emulator’s sums; totals per currency', async () => {
      const { spent } = classify(truth);
      const set = [
        { category: 'FOOD_AND_DRINK', amount: '300.00', rollover: true },
        { category: 'GENERAL_MERCHANDISE', amount: '200.5', rollover: false },
      ];
      for (const b of set)
        await call(owner.writeToken, 'PUT', `/v1/budgets/${b.category}`, 200, {
          amount: b.amount,
          currency: 'USD',
          rollover: b.rollover,
        });
      const answer = await call<{
        budgets: BudgetLine[];
        totals: (Omit<BudgetLine, 'category'> & { currency: string })[];
      }>(owner.token, 'GET', `/v1/budgets?month=${MONTH}`, 200);
      let budgeted = 0n;
      let spentTotal = 0n;
      let remaining = 0n;
      for (const b of set) {
        const line = answer.budgets.find((l) => l.category === b.category)!;
        const amount = units(b.amount);
        const now = spent('USD', b.category, MONTH);
        expect(now).toBeGreaterThan(0n);
        const carried = b.rollover ? amount - spent('USD', b.category, BEFORE) : 0n;
        expect(line, b.category).toMatchObject({
          currency: 'USD',
          budgeted: text(amount),
          rollover_carried: decimal(carried),
          spent: text(now),
          pending: text(spent('USD', b.category, MONTH, true)),
          remaining: decimal(amount + carried - now),
          projected_spent: text(now), // a complete month: nothing left to project
          recurring_due: '0.00',
        });
        budgeted += amount;
        spentTotal += now;
        remaining += amount + carried - now;
      }
      expect(answer.totals).toEqual([
        expect.objectContaining({
          currency: 'USD',
          budgeted: decimal(budgeted),
          spent: text(spentTotal),
          remaining: decimal(remaining),
        }),
      ]);
    });

    it('this month: spent so far, a projection no lower than it', async () => {
      const { spent } = classify(truth);
      const answer = await call<{ budgets: BudgetLine[]; as_of_date: string }>(
        owner.token,
        'GET',
        '/v1/budgets',
        200,
      );
      const food = answer.budgets.find((l) => l.category === 'FOOD_AND_DRINK')!;
      expect(food.spent).toBe(text(spent('USD', 'FOOD_AND_DRINK', CURRENT)));
      expect(units(food.projected_spent)).toBeGreaterThanOrEqual(units(food.spent));
      expect(answer.as_of_date).toBe(today);
    });

    it('suggests the median of the last 6 complete months per category', async () => {
      const { spent, counted } = classify(truth);
      const answer = await call<{
        months: string[];
        suggestions: { currency: string; category: string; suggested_amount: string }[];
      }>(owner.token, 'GET', '/v1/budgets/suggest', 200);
      const months = Array.from({ length: 6 }, (_, i) => addMonths(`${CURRENT}-01`, i - 6).slice(0, 7));
      expect(answer.months).toEqual(months);
      const keys = [
        ...new Set(counted.filter((r) => r.kind === 'spending').map((r) => `${r.currency}|${r.category}`)),
      ];
      const expected = keys
        .map((key) => {
          const [currency, category] = key.split('|') as [string, string];
          return { currency, category, median: median(months.map((m) => spent(currency, category, m))) };
        })
        .filter((e) => e.median > 0n);
      expect(
        answer.suggestions.map((s) => `${s.currency} ${s.category} ${s.suggested_amount}`).sort(),
      ).toEqual(expected.map((e) => `${e.currency} ${e.category} ${decimal(e.median)}`).sort());
    });

    it('bad input is 400 naming the field; a read token cannot write; another person is isolated', async () => {
      const cases: [unknown, string][] = [
        [{ amount: '-5.00', currency: 'USD' }, 'body.amount'],
        [{ amount: 12, currency: 'USD' }, 'body.amount'],
        [{ amount: '1.23456', currency: 'USD' }, 'body.amount'],
        [{ amount: '10.00', currency: 'usd' }, 'body.currency'],
        [{ amount: '10.00', currency: 'US' }, 'body.currency'],
        [{ amount: '10.00', currency: 'USD', rollover: 'yes' }, 'body.rollover'],
        [{ amount: '10.00', currency: 'USD', extra: 1 }, 'body.extra'],
      ];
      for (const [payload, field] of cases) {
        const problem = await call<{ errors: { field: string }[] }>(
          owner.writeToken,
          'PUT',
          '/v1/budgets/TRAVEL',
          400,
          payload,
        );
        expect(
          problem.errors.map((e) => e.field),
          JSON.stringify(payload),
        ).toContain(field);
      }
      for (const [url, field] of [
        ['/v1/budgets?month=2026-00', 'query.month'],
        ['/v1/budgets?month=abc', 'query.month'],
      ] as const) {
        const problem = await call<{ errors: { field: string }[] }>(owner.token, 'GET', url, 400);
        expect(problem.errors.map((e) => e.field)).toContain(field);
      }
      const noCurrency = await call<{ errors: { field: string }[] }>(
        owner.writeToken,
        'DELETE',
        '/v1/budgets/TRAVEL',
        400,
      );
      expect(noCurrency.errors.map((e) => e.field)).toContain('query.currency');
      await call(owner.token, 'PUT', '/v1/budgets/TRAVEL', 403, { amount: '10.00', currency: 'USD' });

      // Another person sees no budget of this one and cannot delete it.
      expect(
        (await call<{ budgets: unknown[] }>(other.token, 'GET', `/v1/budgets?month=${MONTH}`, 200)).budgets,
      ).toEqual([]);
      expect(
        (await call<{ suggestions: unknown[] }>(other.token, 'GET', '/v1/budgets/suggest', 200)).suggestions,
      ).toEqual([]);
      await call(other.writeToken, 'DELETE', '/v1/budgets/FOOD_AND_DRINK?currency=USD', 404);
      await call(other.writeToken, 'PUT', '/v1/budgets/FOOD_AND_DRINK', 200, {
        amount: '1.00',
        currency: 'USD',
      });
      const mine = await call<{ budgets: BudgetLine[] }>(
        owner.token,
        'GET',
        `/v1/budgets?month=${MONTH}`,
        200,
      );
      expect(mine.budgets.find((b) => b.category === 'FOOD_AND_DRINK')!.budgeted).toBe('300.00');

      // Deleting removes it from the month's answer.
      await call(owner.writeToken, 'DELETE', '/v1/budgets/GENERAL_MERCHANDISE?currency=USD', 204);
      await call(owner.writeToken, 'DELETE', '/v1/budgets/GENERAL_MERCHANDISE?currency=USD', 404);
      const after = await call<{ budgets: BudgetLine[] }>(
        owner.token,
        'GET',
        `/v1/budgets?month=${MONTH}`,
        200,
      );
      expect(after.budgets.map((b) => b.category)).toEqual(['FOOD_AND_DRINK']);
    });
  });
  it('the MCP tools get_insights, get_budgets and suggest_budgets answer what the REST routes answer', async () => {
    const server = buildMcpServer(
      insightsTools(t.app.services),
      { userId: owner.userId, scopes: ['read'] },
      createLogger('silent'),
    );
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    const client = new Client({ name: 'budgets-insights-tests', version: '1.0.0' });
    await client.connect(clientSide);
    for (const [tool, args, url] of [
      ['get_insights', { month: MONTH }, `/v1/insights?month=${MONTH}`],
      ['get_budgets', { month: MONTH }, `/v1/budgets?month=${MONTH}`],
      ['suggest_budgets', {}, '/v1/budgets/suggest'],
    ] as const) {
      const result = (await client.callTool({ name: tool, arguments: args })) as {
        isError?: boolean;
        content: { text: string }[];
        structuredContent: Record<string, unknown>;
      };
      expect(result.isError ?? false, JSON.stringify(result.content)).toBe(false);
      const { as_of: _a, truncated, ...answer } = result.structuredContent;
      const { as_of: _b, ...rest } = await call<Record<string, unknown>>(owner.token, 'GET', url, 200);
      expect(answer, tool).toEqual(rest);
      expect(truncated, tool).toBeNull();
    }
    const bad = (await client.callTool({ name: 'get_budgets', arguments: { month: '2026-13' } })) as {
      isError?: boolean;
      content: { text: string }[];
    };
    expect(bad.isError).toBe(true);
    await client.close();
  });
});
