/**
 * GET /v1/net-worth/change against ground truth: a person linked through the emulator with the official
 * Plaid client (a bank with checking, savings, a card, loans, brokerage, IRA and 401k), synced on one day
 * and again 33 days later (the emulator's clock and ours moved together), so that every account has a
 * real balance snapshot at both ends. The expected figures are computed here from the emulator's ground
 * truth (its balances on each day, its transactions and investment transactions), without our code, on
 * both databases: net worth at both ends, every part, and Σ parts + unexplained = change to the cent.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { Products, type AccountBase, type InvestmentTransaction } from 'plaid';
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnalyticsMaterializers } from '../../src/domain/analytics/materializers.js';
import type { JobQueue } from '../../src/domain/sync/queue.js';
import { createSyncService } from '../../src/domain/sync/service.js';
import { buildEmulatorApp, type GroundTruth } from '../../src/emulator/index.js';
import { addDays, daysBetween, formatDate } from '../../src/lib/dates.js';
import { createLogger } from '../../src/lib/logger.js';
import { buildMcpServer } from '../../src/mcp/server.js';
import { insightsTools } from '../../src/mcp/tools/insights.js';
import { createPlaidClient, type PlaidClient } from '../../src/plaid/client.js';
import { bearer, newAccessToken, newUser } from '../factories/users.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { databaseKinds } from '../helpers/database.js';
import { emulatorControl } from '../helpers/emulator-control.js';
import { units } from '../helpers/ground-truth-figures.js';

const CLIENT_ID = 'nw-change-client';
const SECRET = 'nw-change-secret-5e6f7a8b';

const PARTS = [
  'income',
  'spending',
  'interest_and_fees',
  'investment_contributions',
  'market_movement',
  'debt_paydown',
  'own_transfers',
] as const;
type Part = (typeof PARTS)[number];

interface Figure {
  amount: string;
  account_ids: string[];
}
interface CurrencyAnswer {
  currency: string;
  start: { date: string; net_worth: string; estimated: boolean };
  end: { date: string; net_worth: string; estimated: boolean };
  change: string;
  parts: Record<Part, Figure> & {
    investment_contributions: Figure & { into_investment_accounts: string; from_own_accounts: string };
    debt_paydown: Figure & { paid_down: string; new_debt: string };
  };
  unexplained: Figure;
}
interface Answer {
  start_date: string;
  end_date: string;
  currencies: CurrencyAnswer[];
}

/** Exact 1/10,000 units as the API writes them. */
const text = (value: bigint) => {
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const cents = abs / 100n; // the emulator's figures are whole cents
  if (abs % 100n !== 0n) throw new Error(`not whole cents: ${value}`);
  const body = `${cents / 100n}.${(cents % 100n).toString().padStart(2, '0')}`;
  return negative && abs !== 0n ? `-${body}` : body;
};

const currencyOf = (a: AccountBase) =>
  a.balances.iso_currency_code ?? a.balances.unofficial_currency_code ?? 'XXX';
const isDebt = (a: AccountBase) => a.type === 'credit' || a.type === 'loan';
/** An account's balance from the owner's side (what is owed negative), in units. */
const ownerBalance = (a: AccountBase) => (isDebt(a) ? -1n : 1n) * units(a.balances.current ?? 0);

const INCOME = new Set(['INCOME', 'EARNED_INCOME', 'TRANSFER_IN']);
const TRANSFERISH = new Set(['TRANSFER_IN', 'TRANSFER_OUT', 'LOAN_PAYMENTS']);

/**
 * What the answer must say, from the emulator's source objects alone: the balances it served on both
 * days, its transactions (our sign = −Plaid's) and investment transactions, classified by the model
 * docs/domain.md states (transfers between own accounts: exactly opposite amounts in two accounts within
 * 5 days, one leg a transfer category; a bank outflow of exactly a contribution's amount within 5 days is
 * its funding leg).
 */
function expectedAnswer(before: GroundTruth, after: GroundTruth, start: string, end: string) {
  const accounts = new Map(after.accounts.map((a) => [a.account_id, a]));
  const startBalance = new Map(before.accounts.map((a) => [a.account_id, ownerBalance(a)]));
  const posted = after.transactions
    .filter((t) => !t.pending && accounts.get(t.account_id)?.type !== 'investment')
    .map((t) => ({
      ...t,
      ours: -units(t.amount),
      category: t.personal_finance_category?.primary ?? null,
      currency: t.iso_currency_code ?? currencyOf(accounts.get(t.account_id)!),
    }));
  // Transfers between own accounts, over the whole history (a leg in range may pair with one outside).
  const pairKind = new Map<string, 'own' | 'debt'>();
  const partner = new Map<string, string>();
  const outflows = posted
    .filter((t) => t.ours < 0n)
    .sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  for (const out of outflows) {
    let best: (typeof posted)[number] | undefined;
    let distance = Infinity;
    for (const inflow of posted) {
      if (
        inflow.ours !== -out.ours ||
        inflow.currency !== out.currency ||
        inflow.account_id === out.account_id
      )
        continue;
      if (pairKind.has(inflow.transaction_id)) continue;
      if (
        !(out.category === null || TRANSFERISH.has(out.category)) &&
        !(inflow.category === null || TRANSFERISH.has(inflow.category))
      )
        continue;
      const d = Math.abs(daysBetween(out.date, inflow.date));
      if (d <= 5 && d < distance) {
        best = inflow;
        distance = d;
      }
    }
    if (!best) continue;
    const kind =
      isDebt(accounts.get(out.account_id)!) || isDebt(accounts.get(best.account_id)!) ? 'debt' : 'own';
    pairKind.set(out.transaction_id, kind);
    pairKind.set(best.transaction_id, kind);
    partner.set(out.transaction_id, best.account_id);
    partner.set(best.transaction_id, out.account_id);
  }
  const inRange = (date: string) => date > start && date <= end;
  const classOf = (t: (typeof posted)[number]): Part => {
    const pair = pairKind.get(t.transaction_id);
    if (pair) return pair === 'own' ? 'own_transfers' : 'debt_paydown';
    if (t.category === 'BANK_FEES') return 'interest_and_fees';
    if (t.ours < 0n && t.category === 'LOAN_PAYMENTS' && !isDebt(accounts.get(t.account_id)!))
      return 'debt_paydown';
    if (t.ours > 0n && (t.category === null || INCOME.has(t.category))) return 'income';
    return 'spending';
  };
  const investment = after.investment_transactions
    .filter((i) => inRange(i.date) && i.amount !== 0)
    .map((i) => ({
      ...i,
      ours: -units(i.amount),
      kind: kindOf(i),
      currency: i.iso_currency_code ?? currencyOf(accounts.get(i.account_id)!),
    }))
    .filter((i) => i.kind !== undefined);
  // Funding legs: closest bank row of exactly the opposite amount within 5 days, each used once.
  const taken = new Set<string>();
  const funding: (typeof posted)[number][] = [];
  for (const c of investment
    .filter((i) => i.kind === 'contribution')
    .sort((a, b) => (a.date < b.date ? -1 : 1))) {
    const candidates = posted
      .filter((t) => inRange(t.date) && !pairKind.has(t.transaction_id) && !taken.has(t.transaction_id))
      .filter(
        (t) => t.ours === -c.ours && t.currency === c.currency && Math.abs(daysBetween(t.date, c.date)) <= 5,
      )
      .sort((a, b) => Math.abs(daysBetween(a.date, c.date)) - Math.abs(daysBetween(b.date, c.date)));
    if (candidates[0]) {
      taken.add(candidates[0].transaction_id);
      funding.push(candidates[0]);
    }
  }

  const currencies = [...new Set(after.accounts.map(currencyOf))].sort();
  return currencies.map((currency) => {
    const parts = Object.fromEntries(PARTS.map((p) => [p, 0n])) as Record<Part, bigint>;
    let unexplained = 0n;
    let into = 0n;
    let fromOwn = 0n;
    const flowsOf = new Map<string, bigint>();
    for (const t of posted) {
      if (t.currency !== currency || !inRange(t.date)) continue;
      parts[classOf(t)] += t.ours;
      flowsOf.set(t.account_id, (flowsOf.get(t.account_id) ?? 0n) + t.ours);
    }
    for (const t of funding) {
      if (t.currency !== currency) continue;
      parts[classOf(t)] -= t.ours;
      parts.investment_contributions += t.ours;
      fromOwn -= t.ours;
    }
    for (const i of investment) {
      if (i.currency !== currency) continue;
      const part =
        i.kind === 'contribution'
          ? 'investment_contributions'
          : i.kind === 'income'
            ? 'income'
            : 'interest_and_fees';
      parts[part] += i.ours;
      if (i.kind === 'contribution') into += i.ours;
      flowsOf.set(i.account_id, (flowsOf.get(i.account_id) ?? 0n) + i.ours);
    }
    let startNetWorth = 0n;
    let endNetWorth = 0n;
    for (const account of after.accounts) {
      if (currencyOf(account) !== currency) continue;
      const s = startBalance.get(account.account_id) ?? 0n;
      const e = ownerBalance(account);
      startNetWorth += s;
      endNetWorth += e;
      const residual = e - s - (flowsOf.get(account.account_id) ?? 0n);
      if (account.type === 'investment') parts.market_movement += residual;
      else if (account.type === 'loan') parts.debt_paydown += residual;
      else unexplained += residual;
    }
    return {
      currency,
      start: text(startNetWorth),
      end: text(endNetWorth),
      change: text(endNetWorth - startNetWorth),
      parts: Object.fromEntries(PARTS.map((p) => [p, text(parts[p])])),
      into: text(into),
      fromOwn: text(fromOwn),
      unexplained: text(unexplained),
      fundingLegs: funding.filter((t) => t.currency === currency),
      cardPayments: posted.filter(
        (t) =>
          t.currency === currency &&
          inRange(t.date) &&
          pairKind.get(t.transaction_id) === 'debt' &&
          [t.account_id, partner.get(t.transaction_id)!].some((id) => accounts.get(id)!.type === 'credit'),
      ),
      ownTransfers: posted.filter(
        (t) => t.currency === currency && inRange(t.date) && pairKind.get(t.transaction_id) === 'own',
      ),
    };
  });
}

/** The model's investment cash-flow kinds, by Plaid's type and subtype (docs/domain.md). */
function kindOf(i: InvestmentTransaction): 'contribution' | 'income' | 'fee' | undefined {
  const subtype = i.subtype as string;
  if (
    i.type === 'fee' ||
    subtype.endsWith(' fee') ||
    ['margin expense', 'tax', 'tax withheld', 'non-resident tax'].includes(subtype)
  )
    return 'fee';
  if (i.type === 'cash' && /dividend|interest|capital gain|unqualified gain/.test(subtype)) return 'income';
  if (
    i.type === 'transfer' ||
    (i.type === 'cash' &&
      ['contribution', 'deposit', 'withdrawal', 'distribution', 'transfer', 'send', 'request'].includes(
        subtype,
      ))
  )
    return 'contribution';
  return undefined;
}

describe.each(databaseKinds())('GET /v1/net-worth/change against the emulator (%s)', (kind) => {
  let emulator: FastifyInstance;
  let control: ReturnType<typeof emulatorControl>;
  let plaid: PlaidClient;
  let t: TestApp;
  const jobs: JobQueue = {
    enqueueSync: async (request) => ({ itemId: request.itemId, jobId: 'job', absorbed: false, runIds: [] }),
    async enqueueWebhook() {},
  };
  // Two days in the past (ours is clamped to today), chosen off the emulator's transfer days (3-4, 15-17,
  // 20-24) so that no own transfer is cut in two by the range.
  const today = formatDate(new Date());
  const START = `${addDays(`${today.slice(0, 7)}-01`, -45).slice(0, 7)}-08`;
  const END = addDays(START, 33);
  let clock = new Date(`${START}T12:00:00Z`);
  let owner: { token: string; userId: string; writeToken: string };
  let other: { token: string };
  let before: GroundTruth;
  let after: GroundTruth;
  let ids: Map<string, string>;

  const get = async <T>(token: string, url: string, status = 200) => {
    const res = await t.app.inject({ url, headers: bearer(token) });
    expect(res.statusCode, `${url}: ${res.body}`).toBe(status);
    return res.json<T>();
  };

  beforeAll(async () => {
    emulator = await buildEmulatorApp({
      clientId: CLIENT_ID,
      secret: SECRET,
      rateLimits: false,
      today: START,
    });
    await emulator.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(emulator.server.address() as AddressInfo).port}`;
    control = emulatorControl(url);
    await control('POST', '/__emulator/webhooks/drop', { enabled: true });
    plaid = createPlaidClient({ basePath: url, clientId: CLIENT_ID, secret: SECRET, timeoutMs: 10_000 });
    t = await buildTestApp(kind, {}, createLogger('error'), { plaid, jobs });
    const db = t.database.handle.db;
    const now = () => clock;
    const repositories = t.app.services.repositories;
    const sync = createSyncService({
      db,
      repositories,
      plaid,
      cipher: t.app.services.cipher,
      materializers: createAnalyticsMaterializers({ db, repositories, now }),
      now,
    });

    const { user } = await newUser(t.app, { email: `owner-${randomUUID()}@example.com` });
    const { token } = await newAccessToken(t.app, user.id, { scope: 'read' });
    const { token: writeToken } = await newAccessToken(t.app, user.id, { scope: 'write' });
    const { public_token } = await plaid.sandboxPublicTokenCreate({
      institution_id: 'ins_109508',
      initial_products: [Products.Transactions, Products.Investments, Products.Liabilities],
      options: { override_username: 'user_good', override_password: 'pass_good' },
    });
    const exchanged = await t.app.inject({
      method: 'POST',
      url: '/v1/plaid/item/public-token/exchange',
      headers: bearer(writeToken),
      payload: { public_token },
    });
    expect(exchanged.statusCode, exchanged.body).toBe(201);
    const itemId = exchanged.json<{ item: { id: string } }>().item.id;
    const state = await control<{ items: { item_id: string; removed: boolean }[] }>(
      'GET',
      '/__emulator/state',
    );
    const plaidItemId = state.items.find((i) => !i.removed)!.item_id;
    const truth = () => control<GroundTruth>('GET', `/__emulator/items/${plaidItemId}/ground-truth`);

    expect((await sync.syncItem(user.id, itemId, { trigger: 'link' })).status).toBe('succeeded');
    before = await truth();
    await control('POST', '/__emulator/clock/advance', { days: daysBetween(START, END) });
    clock = new Date(`${END}T12:00:00Z`);
    expect((await sync.syncItem(user.id, itemId, { trigger: 'manual' })).status).toBe('succeeded');
    after = await truth();
    owner = { token, userId: user.id, writeToken };

    const accounts = await get<{
      data: { id: string; plaid_account_id?: string; name: string; mask: string | null }[];
    }>(token, '/v1/accounts');
    // Our account ids by Plaid's (mask and name identify them within the item).
    ids = new Map(
      after.accounts.map((a) => [
        a.account_id,
        accounts.data.find((o) => o.mask === a.mask && o.name === a.name)!.id,
      ]),
    );
    const second = await newUser(t.app, { email: `other-${randomUUID()}@example.com` });
    other = { token: (await newAccessToken(t.app, second.user.id, { scope: 'read' })).token };
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await emulator?.close();
  });

  const answer = () => get<Answer>(owner.token, `/v1/net-worth/change?start_date=${START}&end_date=${END}`);

  it('equals the ground truth: net worth at both ends, every part, and the identity to the cent', async () => {
    const got = await answer();
    expect(got.start_date).toBe(START);
    expect(got.end_date).toBe(END);
    const expected = expectedAnswer(before, after, START, END);
    expect(got.currencies.map((c) => c.currency)).toEqual(expected.map((e) => e.currency));
    expect(expected.length).toBeGreaterThan(1); // USD and CAD, never added together
    for (const e of expected) {
      const c = got.currencies.find((x) => x.currency === e.currency)!;
      expect([c.start.net_worth, c.end.net_worth, c.change], e.currency).toEqual([e.start, e.end, e.change]);
      expect([c.start.estimated, c.end.estimated]).toEqual([false, false]);
      expect(Object.fromEntries(PARTS.map((p) => [p, c.parts[p].amount])), e.currency).toEqual(e.parts);
      expect(c.parts.investment_contributions.into_investment_accounts).toBe(e.into);
      expect(c.parts.investment_contributions.from_own_accounts).toBe(e.fromOwn);
      expect(c.unexplained.amount, e.currency).toBe(e.unexplained);
      const sum = PARTS.reduce((s, p) => s + units(c.parts[p].amount), 0n) + units(c.unexplained.amount);
      expect(sum, `${e.currency}: Σ parts + unexplained = change`).toBe(units(c.change));
    }
    const usd = got.currencies.find((c) => c.currency === 'USD')!;
    expect(units(usd.parts.market_movement.amount)).not.toBe(0n); // prices moved over 33 days
    expect(units(usd.parts.income.amount)).toBeGreaterThan(0n);
  });

  it('shows the same net worth at both ends as GET /v1/net-worth', async () => {
    const got = await answer();
    const history = await get<{
      history: { points: { currency: string; date: string; net_worth: string }[] };
    }>(owner.token, `/v1/net-worth?start_date=${START}&end_date=${END}&interval=day`);
    for (const c of got.currencies) {
      const at = (date: string) =>
        history.history.points.find((p) => p.currency === c.currency && p.date === date)?.net_worth;
      expect([c.start.net_worth, c.end.net_worth]).toEqual([at(START), at(END)]);
    }
  });

  it('a transfer between my own accounts has no effect, and is neither income nor spending', async () => {
    const usd = (await answer()).currencies.find((c) => c.currency === 'USD')!;
    const e = expectedAnswer(before, after, START, END).find((x) => x.currency === 'USD')!;
    expect(e.ownTransfers.length).toBeGreaterThanOrEqual(2); // the monthly savings transfer, both legs
    expect(usd.parts.own_transfers.amount).toBe('0.00');
    expect(usd.parts.own_transfers.account_ids.sort()).toEqual(
      [...new Set(e.ownTransfers.map((t) => ids.get(t.account_id)!))].sort(),
    );
  });

  it('buying securities with money from checking is a contribution, not spending', async () => {
    const usd = (await answer()).currencies.find((c) => c.currency === 'USD')!;
    const e = expectedAnswer(before, after, START, END).find((x) => x.currency === 'USD')!;
    const legs = e.fundingLegs.reduce((s, t) => s - t.ours, 0n);
    expect(legs).toBeGreaterThan(0n); // the IRA contribution from checking
    expect(usd.parts.investment_contributions.from_own_accounts).toBe(text(legs));
    // Counted as spending, the figure would be lower by exactly those legs.
    expect(units(usd.parts.spending.amount)).toBe(units(e.parts.spending!));
    expect(usd.parts.investment_contributions.account_ids).toContain(ids.get(e.fundingLegs[0]!.account_id));
  });

  it('paying the card is not spending twice: its two legs cancel under debt paydown', async () => {
    const usd = (await answer()).currencies.find((c) => c.currency === 'USD')!;
    const e = expectedAnswer(before, after, START, END).find((x) => x.currency === 'USD')!;
    expect(e.cardPayments.length).toBeGreaterThanOrEqual(2);
    const cardIds = new Set(e.cardPayments.map((t) => ids.get(t.account_id)!));
    for (const id of cardIds) expect(usd.parts.debt_paydown.account_ids).toContain(id);
    const received = e.cardPayments.filter((t) => t.ours > 0n).reduce((s, t) => s + t.ours, 0n);
    expect(units(usd.parts.debt_paydown.paid_down)).toBeGreaterThanOrEqual(received);
    expect(usd.parts.spending.amount).toBe(e.parts.spending);
    expect(units(usd.parts.debt_paydown.new_debt)).toBeGreaterThan(0n); // the card's purchases
  });

  it('before the first snapshot: balances walked back as GET /v1/net-worth does; investments unmeasured', async () => {
    // The first sync was on START: every account's first snapshot. A range ending on it (start walked
    // back) and one wholly before it (both ends walked back).
    for (const [from, to] of [
      [addDays(START, -10), START],
      [addDays(START, -20), addDays(START, -10)],
    ] as const) {
      const got = await get<Answer>(owner.token, `/v1/net-worth/change?start_date=${from}&end_date=${to}`);
      const history = await get<{
        history: { points: { currency: string; date: string; net_worth: string }[] };
      }>(owner.token, `/v1/net-worth?start_date=${from}&end_date=${to}&interval=day`);
      for (const c of got.currencies) {
        const at = (date: string) =>
          history.history.points.find((p) => p.currency === c.currency && p.date === date)?.net_worth;
        expect([c.start.net_worth, c.end.net_worth], `${from} ${c.currency}`).toEqual([at(from), at(to)]);
        const sum = PARTS.reduce((s, p) => s + units(c.parts[p].amount), 0n) + units(c.unexplained.amount);
        expect(sum).toBe(units(c.change));
        // Walked back, a bank account's balance moves by its transactions exactly, and an investment
        // account keeps its first value: the only residual is the investment flows, unexplained (never
        // called market movement). Any error in the walk back would show here as a difference.
        const accounts = new Map(after.accounts.map((a) => [a.account_id, a]));
        const flows = after.investment_transactions
          .filter((i) => i.date > from && i.date <= to && i.amount !== 0 && kindOf(i) !== undefined)
          .filter((i) => currencyOf(accounts.get(i.account_id)!) === c.currency)
          .reduce((total, i) => total - units(i.amount), 0n);
        expect(units(c.unexplained.amount), `${from} ${c.currency}`).toBe(-flows);
        expect(c.parts.market_movement.amount).toBe('0.00');
      }
    }
  });

  it('the MCP tool get_net_worth_change answers what the REST route answers', async () => {
    const server = buildMcpServer(
      insightsTools(t.app.services),
      { userId: owner.userId, scopes: ['read'] },
      createLogger('silent'),
    );
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    const client = new Client({ name: 'net-worth-change-tests', version: '1.0.0' });
    await client.connect(clientSide);
    const result = (await client.callTool({
      name: 'get_net_worth_change',
      arguments: { start_date: START, end_date: END },
    })) as { isError?: boolean; content: { text: string }[]; structuredContent: Record<string, unknown> };
    expect(result.isError ?? false, JSON.stringify(result.content)).toBe(false);
    const { as_of: _a, ...tool } = result.structuredContent;
    const { as_of: _b, ...rest } = (await answer()) as unknown as Record<string, unknown>;
    expect(tool).toEqual(rest);
    const bad = (await client.callTool({
      name: 'get_net_worth_change',
      arguments: { start_date: END, end_date: START },
    })) as { isError?: boolean; content: { text: string }[] };
    expect(bad.isError).toBe(true);
    expect(bad.content[0]!.text).toMatch(/^VALIDATION_FAILED: start_date/);
    await client.close();
  });

  it('an owner recategorising a purchase moves it from spending to fees at once, and back', async () => {
    const usdOf = async () => (await answer()).currencies.find((c) => c.currency === 'USD')!;
    const original = await usdOf();
    const purchases = await get<{
      data: {
        id: string;
        account_id: string;
        amount: string;
        currency: string;
        transfer_kind: string | null;
      }[];
    }>(
      owner.token,
      `/v1/transactions?start_date=${addDays(START, 1)}&end_date=${END}&category=FOOD_AND_DRINK&direction=out&pending=false&limit=500`,
    );
    const purchase = purchases.data.find(
      (p) => p.currency === 'USD' && p.transfer_kind === null && units(p.amount) < 0n,
    )!;
    expect(purchase, 'a food purchase in dollars in the range').toBeDefined();
    const edit = async (category: string | null) => {
      const res = await t.app.inject({
        method: 'PATCH',
        url: `/v1/transactions/${purchase.id}`,
        headers: bearer(owner.writeToken),
        payload: { category },
      });
      expect(res.statusCode, res.body).toBe(200);
    };
    try {
      await edit('BANK_FEES');
      const edited = await usdOf();
      const amount = units(purchase.amount); // negative: an outflow
      expect(units(edited.parts.spending.amount)).toBe(units(original.parts.spending.amount) - amount);
      expect(units(edited.parts.interest_and_fees.amount)).toBe(
        units(original.parts.interest_and_fees.amount) + amount,
      );
      expect(edited.parts.interest_and_fees.account_ids).toContain(purchase.account_id);
      expect(edited.change).toBe(original.change);
      expect(edited.unexplained).toEqual(original.unexplained);
    } finally {
      await edit(null);
    }
    expect(await usdOf()).toEqual(original);
  });

  it("another person's answer has none of this person's figures; bad input is 400 naming the field", async () => {
    const theirs = await get<Answer>(other.token, `/v1/net-worth/change?start_date=${START}&end_date=${END}`);
    expect(theirs.currencies).toEqual([]);
    for (const [query, field] of [
      ['start_date=2026-02-30', 'query.start_date'],
      ['end_date=yesterday', 'query.end_date'],
      [`start_date=${END}&end_date=${START}`, 'query.start_date'],
      ['start_date=1950-01-01&end_date=2000-01-01', 'query.start_date'],
      ['interval=day', 'query.interval'],
    ] as const) {
      const problem = await get<{ errors?: { field: string }[] }>(
        owner.token,
        `/v1/net-worth/change?${query}`,
        400,
      );
      expect(
        problem.errors?.map((x) => x.field),
        query,
      ).toContain(field);
    }
  });
});
