/**
 * The data surface's reads (issue 13) against ground truth: an item linked through the emulator with the
 * official Plaid client (our Link exchange, a real sync), then every answer held against the figures the
 * emulator itself serves (its /liabilities/get and its ground truth), computed here without our code, on
 * both databases. Cross-user ids are 404 and bad input a 400 naming the field.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import type { FastifyInstance } from 'fastify';
import type { APR, CreditCardLiability, LiabilitiesObject, MortgageLiability, StudentLoan } from 'plaid';
import { Products } from 'plaid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectRows } from '../../src/db/client.js';
import type { JobQueue } from '../../src/domain/sync/queue.js';
import { buildEmulatorApp, type GroundTruth } from '../../src/emulator/index.js';
import { addDays, formatDate } from '../../src/lib/dates.js';
import { createLogger } from '../../src/lib/logger.js';
import { createPlaidClient, type PlaidClient } from '../../src/plaid/client.js';
import { buildMcpServer } from '../../src/mcp/server.js';
import { dataSurfaceTools } from '../../src/mcp/tools/data-surface.js';
import { bearer, newAccessToken, newUser } from '../factories/users.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { databaseKinds } from '../helpers/database.js';
import { emulatorControl } from '../helpers/emulator-control.js';

const CLIENT_ID = 'data-surface-client';
const SECRET = 'data-surface-secret-7d8e9f0a';

/**
 * A JSON number as the API writes decimals: rounded to 4 places (our columns' scale), at least 2 shown.
 * The emulator's amounts are cents and its rates have at most 3 decimals, so toFixed(4) is exact here.
 */
function decimal(value: number | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const text = value
    .toFixed(4)
    .replace(/(\.\d\d\d?)0+$/, '$1')
    .replace(/(\.\d\d)0$/, '$1');
  return text === '-0.00' ? '0.00' : text;
}

/** What GET /v1/liabilities must say of one Plaid liability object (owed and paid positive). */
function expectedLiability(
  kind: 'credit' | 'mortgage' | 'student',
  plaid: CreditCardLiability | MortgageLiability | StudentLoan,
  truth: GroundTruth,
) {
  const account = truth.accounts.find((a) => a.account_id === plaid.account_id)!;
  const p = plaid as Partial<CreditCardLiability & MortgageLiability & StudentLoan>;
  const aprs: APR[] = p.aprs ?? [];
  const purchase = aprs.find((a) => a.apr_type === 'purchase_apr') ?? aprs[0];
  return {
    kind,
    account_name: account.name,
    mask: account.mask,
    currency: account.balances.iso_currency_code,
    // Plaid reports a credit or loan balance as the positive amount owed: exactly our sign here.
    balance_owed: decimal(account.balances.current),
    credit_limit: decimal(account.balances.limit),
    interest_rate_percentage: decimal(
      kind === 'credit'
        ? purchase?.apr_percentage
        : kind === 'mortgage'
          ? p.interest_rate?.percentage
          : p.interest_rate_percentage,
    ),
    interest_rate_type: kind === 'mortgage' ? (p.interest_rate?.type ?? null) : null,
    aprs: aprs.map((a) => ({
      type: a.apr_type,
      percentage: decimal(a.apr_percentage),
      balance_subject_to_apr: decimal(a.balance_subject_to_apr),
      interest_charge_amount: decimal(a.interest_charge_amount),
    })),
    last_statement_balance: decimal(p.last_statement_balance),
    last_statement_issue_date: p.last_statement_issue_date ?? null,
    minimum_payment_amount: decimal(kind === 'mortgage' ? p.next_monthly_payment : p.minimum_payment_amount),
    next_payment_due_date: p.next_payment_due_date ?? null,
    last_payment_amount: decimal(p.last_payment_amount),
    last_payment_date: p.last_payment_date ?? null,
    is_overdue: p.is_overdue ?? null,
    past_due_amount: decimal(p.past_due_amount),
    origination_principal_amount: decimal(p.origination_principal_amount),
    origination_date: p.origination_date ?? null,
    outstanding_interest_amount: decimal(p.outstanding_interest_amount),
    payoff_date: (kind === 'student' ? p.expected_payoff_date : p.maturity_date) ?? null,
    escrow_balance: decimal(p.escrow_balance),
    has_pmi: p.has_pmi ?? null,
    ytd_interest_paid: decimal(p.ytd_interest_paid),
    ytd_principal_paid: decimal(p.ytd_principal_paid),
  };
}

function expectedLiabilities(liabilities: LiabilitiesObject, truth: GroundTruth) {
  return [
    ...(liabilities.credit ?? []).map((l) => expectedLiability('credit', l, truth)),
    ...(liabilities.mortgage ?? []).map((l) => expectedLiability('mortgage', l, truth)),
    ...(liabilities.student ?? []).map((l) => expectedLiability('student', l, truth)),
  ].sort((a, b) => (a.kind + a.account_name < b.kind + b.account_name ? -1 : 1));
}

/** Our ids of the rows that came from Plaid's ids (the figures themselves come from the emulator). */
async function idMaps(t: TestApp, userId: string) {
  const db = t.database.handle.db;
  const rows = async (query: ReturnType<typeof sql>) =>
    new Map((await selectRows<{ plaid: string; id: string }>(db, query)).map((r) => [r.plaid, r.id]));
  return {
    transactions: await rows(
      sql`select plaid_investment_transaction_id as plaid, id from investment_transactions where user_id = ${userId}`,
    ),
    accounts: await rows(sql`select plaid_account_id as plaid, id from accounts where user_id = ${userId}`),
    securities: await rows(sql`select plaid_security_id as plaid, id from securities`),
  };
}

/** A quantity or price as the API writes them: the shortest decimal, no trailing zeros. */
const quantity = (value: number) => (Object.is(value, -0) ? '0' : String(value));

type Problem = { code: string; status: number; errors?: { field: string }[] };

describe.each(databaseKinds())('the data surface, against the emulator (%s)', (kind) => {
  let emulator: FastifyInstance;
  let control: ReturnType<typeof emulatorControl>;
  let plaid: PlaidClient;
  let t: TestApp;
  const jobs: JobQueue = {
    enqueueSync: async (request) => ({ itemId: request.itemId, jobId: 'job', absorbed: false, runIds: [] }),
    async enqueueWebhook() {},
  };
  /** The person who linked the item, and another one. */
  let owner: { userId: string; token: string; itemId: string; plaidItemId: string };
  let other: { token: string };

  const get = async <T>(token: string, url: string, status = 200) => {
    const res = await t.app.inject({ url, headers: bearer(token) });
    expect(res.statusCode, `${url}: ${res.body}`).toBe(status);
    return res.json<T>();
  };
  const truthOf = () => control<GroundTruth>('GET', `/__emulator/items/${owner.plaidItemId}/ground-truth`);

  beforeAll(async () => {
    emulator = await buildEmulatorApp({ clientId: CLIENT_ID, secret: SECRET, rateLimits: false });
    await emulator.listen({ host: '127.0.0.1', port: 0 });
    const emulatorUrl = `http://127.0.0.1:${(emulator.server.address() as AddressInfo).port}`;
    control = emulatorControl(emulatorUrl);
    await control('POST', '/__emulator/webhooks/drop', { enabled: true });
    plaid = createPlaidClient({
      basePath: emulatorUrl,
      clientId: CLIENT_ID,
      secret: SECRET,
      timeoutMs: 10_000,
    });
    t = await buildTestApp(kind, {}, createLogger('error'), { plaid, jobs });

    const { user } = await newUser(t.app, { email: `owner-${randomUUID()}@example.com` });
    const { token } = await newAccessToken(t.app, user.id, { scope: 'write' });
    const { public_token } = await plaid.sandboxPublicTokenCreate({
      institution_id: 'ins_109508',
      initial_products: [Products.Transactions, Products.Investments, Products.Liabilities],
      options: { override_username: 'user_good', override_password: 'pass_good' },
    });
    const exchanged = await t.app.inject({
      method: 'POST',
      url: '/v1/plaid/item/public-token/exchange',
      headers: bearer(token),
      payload: { public_token },
    });
    expect(exchanged.statusCode, exchanged.body).toBe(201);
    const itemId = exchanged.json<{ item: { id: string } }>().item.id;
    const synced = await t.app.services.sync.syncItem(user.id, itemId, { trigger: 'link' });
    expect(synced.status, JSON.stringify(synced.products)).toBe('succeeded');
    const state = await control<{ items: { item_id: string; removed: boolean }[] }>(
      'GET',
      '/__emulator/state',
    );
    const plaidItemId = state.items.find((i) => !i.removed)!.item_id;
    owner = { userId: user.id, token, itemId, plaidItemId };

    const second = await newUser(t.app, { email: `other-${randomUUID()}@example.com` });
    other = { token: (await newAccessToken(t.app, second.user.id, { scope: 'read' })).token };
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await emulator?.close();
  });

  describe('GET /v1/liabilities', () => {
    type Answer = {
      data: (ReturnType<typeof expectedLiability> & {
        account: { id: string; item_id: string; name: string; mask: string | null; currency: string };
        updated_at: string;
      })[];
      freshness: { items: { item_id: string }[] };
    };
    const comparable = (answer: Answer) =>
      answer.data.map(({ account, updated_at: _updatedAt, ...rest }) => ({
        ...rest,
        account_name: account.name,
        mask: account.mask,
        currency: account.currency,
      }));

    it("equals the emulator's /liabilities/get, field by field, with what is owed positive", async () => {
      const state = await control<{ items: { item_id: string; access_tokens: string[] }[] }>(
        'GET',
        '/__emulator/state',
      );
      const accessToken = state.items.find((i) => i.item_id === owner.plaidItemId)!.access_tokens[0]!;
      const source = await plaid.liabilitiesGet({ access_token: accessToken });
      const truth = await truthOf();
      const expected = expectedLiabilities(source.liabilities, truth);
      expect(expected.map((l) => l.kind).sort()).toEqual(['credit', 'mortgage', 'student']);

      const answer = await get<Answer>(owner.token, '/v1/liabilities');
      expect(comparable(answer)).toEqual(expected);
      // Every figure owed is positive (the emulator's card carries a balance; loans are owed).
      for (const l of answer.data) expect(Number(l.balance_owed)).toBeGreaterThan(0);
      expect(answer.data.every((l) => l.account.item_id === owner.itemId)).toBe(true);
      expect(answer.freshness.items.map((i) => i.item_id)).toEqual([owner.itemId]);
      // Plaid's free text (a loan's name, a servicer's address) is never served.
      expect(JSON.stringify(answer)).not.toMatch(/Consolidation|Relaxation Road|Cameron Road/);
    });

    it("filters by account_id; another person's account is 404, bad ids 400 naming the field", async () => {
      const all = await get<Answer>(owner.token, '/v1/liabilities');
      const card = all.data.find((l) => l.kind === 'credit')!;
      const one = await get<Answer>(owner.token, `/v1/liabilities?account_id=${card.account.id}`);
      expect(one.data).toEqual([card]);

      const accounts = await get<{ data: { id: string; type: string }[] }>(owner.token, '/v1/accounts');
      const checking = accounts.data.find((a) => a.type === 'depository')!;
      expect((await get<Answer>(owner.token, `/v1/liabilities?account_id=${checking.id}`)).data).toEqual([]);

      const missing = await get<Problem>(other.token, `/v1/liabilities?account_id=${card.account.id}`, 404);
      expect(missing.code).toBe('NOT_FOUND');
      expect((await get<Answer>(other.token, '/v1/liabilities')).data).toEqual([]);
      for (const bad of ['account_id=nope', 'account_id=', 'kind=credit']) {
        const problem = await get<Problem>(owner.token, `/v1/liabilities?${bad}`, 400);
        expect(problem.errors?.map((e) => e.field)).toContain(
          bad.startsWith('kind') ? 'query.kind' : 'query.account_id',
        );
      }
    });
  });

  describe('GET /v1/investment-transactions', () => {
    type Row = {
      id: string;
      account_id: string;
      date: string;
      name: string;
      type: string;
      subtype: string | null;
      security: { id: string; ticker: string | null; name: string | null; type: string | null } | null;
      quantity: string;
      price: string;
      amount: string;
      fees: string | null;
      currency: string;
    };
    type Page = { data: Row[]; next_cursor: string | null };

    /** Every investment transaction of the emulator as the API must show it, newest first. */
    async function expectedRows() {
      const truth = await truthOf();
      const ids = await idMaps(t, owner.userId);
      const securities = new Map(truth.securities.map((s) => [s.security_id, s]));
      return truth.investment_transactions
        .map((p) => ({
          id: ids.transactions.get(p.investment_transaction_id)!,
          account_id: ids.accounts.get(p.account_id)!,
          date: p.date,
          name: p.name,
          type: p.type as string,
          subtype: (p.subtype as string | null) ?? null,
          security: p.security_id
            ? {
                id: ids.securities.get(p.security_id)!,
                ...(securities.has(p.security_id)
                  ? {
                      ticker: securities.get(p.security_id)!.ticker_symbol,
                      name: securities.get(p.security_id)!.name,
                      type: securities.get(p.security_id)!.type,
                    }
                  : { ticker: expect.anything(), name: expect.anything(), type: expect.anything() }),
              }
            : null,
          quantity: quantity(p.quantity),
          price: quantity(p.price),
          amount: decimal(-p.amount)!, // Plaid: positive = cash out; ours: negative = cash out
          fees: decimal(p.fees),
          currency: p.iso_currency_code ?? p.unofficial_currency_code ?? 'XXX',
        }))
        .sort((a, b) => (a.date !== b.date ? (a.date < b.date ? 1 : -1) : a.id < b.id ? 1 : -1));
    }

    /** Every page of a query, following next_cursor. */
    async function allPages(token: string, query: string, limit: number) {
      const rows: Row[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const url = `/v1/investment-transactions?${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const page: Page = await get<Page>(token, url);
        expect(page.data.length).toBeLessThanOrEqual(limit);
        rows.push(...page.data);
        cursor = page.next_cursor;
        pages += 1;
      } while (cursor && pages < 100);
      return { rows, pages };
    }

    it("equals the emulator's investment transactions, newest first, page by page", async () => {
      const expected = await expectedRows();
      expect(expected.length).toBeGreaterThan(10);
      expect(new Set(expected.map((r) => r.type)).size).toBeGreaterThan(1);
      const { rows, pages } = await allPages(owner.token, 'start_date=1900-01-01', 7);
      expect(pages).toBe(Math.ceil(expected.length / 7));
      expect(rows).toEqual(expected);
      expect(rows.map((r) => r.subtype)).toEqual(expected.map((r) => r.subtype));
    });

    it('filters by account, security, type, subtype and dates like the ground truth', async () => {
      const expected = await expectedRows();
      const sample = expected.find((r) => r.security)!;
      const dates = [...new Set(expected.map((r) => r.date))].sort();
      const middle = dates[Math.floor(dates.length / 2)]!;
      const cases: [string, (r: (typeof expected)[number]) => boolean][] = [
        [`account_id=${sample.account_id}`, (r) => r.account_id === sample.account_id],
        [`account_ids=${sample.account_id},${randomUUID()}`, (r) => r.account_id === sample.account_id],
        [`security_id=${sample.security!.id}`, (r) => r.security?.id === sample.security!.id],
        [`type=${sample.type}`, (r) => r.type === sample.type],
        [`subtype=${encodeURIComponent(sample.subtype!)}`, (r) => r.subtype === sample.subtype],
        [`start_date=${middle}`, (r) => r.date >= middle],
        [`end_date=${middle}&type=${sample.type}`, (r) => r.date <= middle && r.type === sample.type],
      ];
      for (const [query, keep] of cases) {
        const want = expected.filter(keep);
        expect(want.length, query).toBeGreaterThan(0);
        expect((await allPages(owner.token, query, 5)).rows, query).toEqual(want);
      }
    });

    it("shows nothing of another person's; refuses foreign cursors and bad input naming the field", async () => {
      const expected = await expectedRows();
      const other_ = await get<Page>(
        other.token,
        `/v1/investment-transactions?account_id=${expected[0]!.account_id}`,
      );
      expect(other_.data).toEqual([]);
      expect((await get<Page>(other.token, '/v1/investment-transactions')).data).toEqual([]);

      const first = await get<Page>(owner.token, '/v1/investment-transactions?limit=2');
      expect(first.next_cursor).toBeTruthy();
      const cursor = encodeURIComponent(first.next_cursor!);
      const stolen = await get<Problem>(
        other.token,
        `/v1/investment-transactions?limit=2&cursor=${cursor}`,
        400,
      );
      expect(stolen.errors?.map((e) => e.field)).toEqual(['query.cursor']);
      const otherQuery = await get<Problem>(
        owner.token,
        `/v1/investment-transactions?type=buy&limit=2&cursor=${cursor}`,
        400,
      );
      expect(otherQuery.errors?.map((e) => e.field)).toEqual(['query.cursor']);
      // A cursor of GET /v1/transactions is not one of this resource.
      const tx = await get<{ next_cursor: string }>(owner.token, '/v1/transactions?limit=1');
      const crossed = await get<Problem>(
        owner.token,
        `/v1/investment-transactions?limit=1&cursor=${encodeURIComponent(tx.next_cursor)}`,
        400,
      );
      expect(crossed.errors?.map((e) => e.field)).toEqual(['query.cursor']);

      for (const [query, field] of [
        ['account_id=nope', 'query.account_id'],
        ['account_ids=a,b', 'query.account_ids.0'],
        ['security_id=1', 'query.security_id'],
        ['type=dividend', 'query.type'],
        ['subtype=DROP%20TABLE', 'query.subtype'],
        ['start_date=2024-02-30', 'query.start_date'],
        ['start_date=2024-03-01&end_date=2024-02-01', 'query.end_date'],
        ['limit=0', 'query.limit'],
        ['limit=501', 'query.limit'],
        ['sort=asc', 'query.sort'],
      ]) {
        const problem = await get<Problem>(owner.token, `/v1/investment-transactions?${query}`, 400);
        expect(
          problem.errors?.map((e) => e.field),
          query,
        ).toContain(field);
      }
    });
  });

  describe('GET /v1/accounts/{id}/balances', () => {
    type History = {
      account_id: string;
      currency: string;
      interval: string;
      data: { date: string; balance: string; estimated: boolean }[];
    };
    const units = (value: number) => BigInt(Math.round(value * 100)); // the emulator's amounts are cents
    const fromCents = (cents: bigint) => {
      const negative = cents < 0n;
      const abs = negative ? -cents : cents;
      const text = `${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
      return negative && abs !== 0n ? `-${text}` : text;
    };

    /** Day by day from the emulator: today's balance (our sign), walked back through posted amounts. */
    async function expectedDays(plaidAccountId: string, start: string, today: string) {
      const truth = await truthOf();
      const account = truth.accounts.find((a) => a.account_id === plaidAccountId)!;
      const owed = account.type === 'credit' || account.type === 'loan';
      const current = units(account.balances.current!) * (owed ? -1n : 1n);
      const posted = truth.transactions.filter((p) => p.account_id === plaidAccountId && !p.pending);
      const first = posted.map((p) => p.date).sort()[0] ?? today;
      const days: History['data'] = [];
      for (let d = first > start ? first : start; d <= today; d = addDays(d, 1)) {
        // Plaid: positive = money out; the balance at the end of d lacks what was posted after d.
        const later = posted
          .filter((p) => p.date > d && p.date <= today)
          .reduce((sum, p) => sum - units(p.amount), 0n);
        days.push({ date: d, balance: fromCents(current - later), estimated: d !== today });
      }
      return days;
    }

    it('walks back from the snapshot like the ground truth, per day and per month, for every account type', async () => {
      const today = formatDate(new Date());
      const start = addDays(today, -120);
      const ids = await idMaps(t, owner.userId);
      const truth = await truthOf();
      const chosen = ['depository', 'credit', 'loan'].map((type) =>
        truth.accounts.find((a) => a.type === type)!,
      );
      for (const account of chosen) {
        const id = ids.accounts.get(account.account_id)!;
        const expected = await expectedDays(account.account_id, start, today);
        expect(expected.length, account.type).toBeGreaterThan(30);
        const daily = await get<History>(
          owner.token,
          `/v1/accounts/${id}/balances?start_date=${start}&end_date=${today}`,
        );
        expect(daily).toMatchObject({
          account_id: id,
          currency: account.balances.iso_currency_code,
          interval: 'day',
        });
        expect(daily.data, account.type).toEqual(expected);

        const monthly = await get<History>(
          owner.token,
          `/v1/accounts/${id}/balances?start_date=${start}&end_date=${today}&interval=month`,
        );
        const lastOfMonth = expected.filter(
          (d, i) => expected[i + 1]?.date.slice(0, 7) !== d.date.slice(0, 7),
        );
        expect(monthly.data, account.type).toEqual(lastOfMonth);
      }
      // The default range: the 90 days ending today (fewer when less is known).
      const checking = ids.accounts.get(chosen[0]!.account_id)!;
      const byDefault = await get<History>(owner.token, `/v1/accounts/${checking}/balances`);
      expect(byDefault.data).toEqual(await expectedDays(chosen[0]!.account_id, addDays(today, -89), today));
    });

    it("is 404 for another person's account and 400 naming the field for bad input", async () => {
      const accounts = await get<{ data: { id: string }[] }>(owner.token, '/v1/accounts');
      const id = accounts.data[0]!.id;
      expect((await get<Problem>(other.token, `/v1/accounts/${id}/balances`, 404)).code).toBe('NOT_FOUND');
      expect((await get<Problem>(owner.token, `/v1/accounts/${randomUUID()}/balances`, 404)).code).toBe(
        'NOT_FOUND',
      );
      for (const [query, field] of [
        ['interval=year', 'query.interval'],
        ['start_date=2024-02-30', 'query.start_date'],
        ['start_date=2024-03-01&end_date=2024-02-01', 'query.end_date'],
        ['start_date=1900-01-01&end_date=2199-12-31', 'query.start_date'],
        ['start_date=1900-01-01', 'query.start_date'],
        ['foo=1', 'query.foo'],
      ]) {
        const problem = await get<Problem>(owner.token, `/v1/accounts/${id}/balances?${query}`, 400);
        expect(
          problem.errors?.map((e) => e.field),
          query,
        ).toContain(field);
      }
      const badId = await get<Problem>(owner.token, '/v1/accounts/nope/balances', 400);
      expect(badId.errors?.map((e) => e.field)).toContain('path.id');
    });
  });

  describe('GET /v1/categories', () => {
    type Categories = {
      data: {
        plaid: {
          primary: string;
          transaction_count: number;
          detailed: { detailed: string; transaction_count: number }[];
        }[];
        own: { category: string; transaction_count: number }[];
        uncategorized_count: number;
      };
    };

    it("counts Plaid's categories like the ground truth, and the owner's own beside them", async () => {
      const truth = await truthOf();
      const primaries = new Map<string, Map<string, number>>();
      let uncategorized = 0;
      for (const p of truth.transactions) {
        const pfc = p.personal_finance_category;
        if (!pfc?.primary) {
          uncategorized += 1;
          continue;
        }
        const detailed = primaries.get(pfc.primary) ?? new Map<string, number>();
        detailed.set(pfc.detailed, (detailed.get(pfc.detailed) ?? 0) + 1);
        primaries.set(pfc.primary, detailed);
      }
      const expected = [...primaries.keys()].sort().map((primary) => {
        const detailed = [...primaries.get(primary)!].sort(([a], [b]) => (a < b ? -1 : 1));
        return {
          primary,
          transaction_count: detailed.reduce((sum, [, n]) => sum + n, 0),
          detailed: detailed.map(([name, n]) => ({ detailed: name, transaction_count: n })),
        };
      });
      expect(expected.length).toBeGreaterThan(3);

      // Two transactions the owner recategorized (as an edit would store it): Plaid's counts stay.
      const [a, b] = (await get<{ data: { id: string }[] }>(owner.token, '/v1/transactions?limit=2')).data;
      await t.database.handle.db.execute(
        sql`update transactions set user_category = 'Reimbursed' where user_id = ${owner.userId} and id in (${a!.id}::uuid, ${b!.id}::uuid)`,
      );
      const answer = await get<Categories>(owner.token, '/v1/categories');
      expect(answer.data.plaid).toEqual(expected);
      expect(answer.data.uncategorized_count).toBe(uncategorized);
      expect(answer.data.own).toEqual([{ category: 'Reimbursed', transaction_count: 2 }]);

      expect((await get<Categories>(other.token, '/v1/categories')).data).toEqual({
        plaid: [],
        own: [],
        uncategorized_count: 0,
      });
      const bad = await get<Problem>(owner.token, '/v1/categories?primary=FOOD', 400);
      expect(bad.errors?.map((e) => e.field)).toContain('query.primary');
    });
  });

  describe('GET /v1/securities/{id}', () => {
    type Detail = {
      data: {
        security: {
          id: string;
          ticker: string | null;
          name: string | null;
          type: string | null;
          close_price: string | null;
          currency: string;
        };
        positions: {
          account_id: string;
          security_id: string;
          quantity: string;
          value: string;
          cost_basis: string | null;
        }[];
      };
    };

    it('is the security as the emulator has it, with my positions in it; 404 for anyone else', async () => {
      const truth = await truthOf();
      const ids = await idMaps(t, owner.userId);
      const held = truth.holdings[0]!;
      const security = truth.securities.find((x) => x.security_id === held.security_id)!;
      const id = ids.securities.get(held.security_id)!;
      const answer = await get<Detail>(owner.token, `/v1/securities/${id}`);
      expect(answer.data.security).toMatchObject({
        id,
        ticker: security.ticker_symbol,
        name: security.name,
        type: security.type,
        close_price: security.close_price === null ? null : quantity(security.close_price),
        currency: security.iso_currency_code ?? security.unofficial_currency_code,
      });
      const expected = truth.holdings
        .filter((h) => h.security_id === held.security_id)
        .map((h) => ({
          account_id: ids.accounts.get(h.account_id)!,
          security_id: id,
          quantity: quantity(h.quantity),
          value: decimal(h.institution_value),
          cost_basis: decimal(h.cost_basis),
        }))
        .sort((a, b) => (a.account_id < b.account_id ? -1 : 1));
      const positions = answer.data.positions
        .map(({ account_id, security_id, quantity: q, value, cost_basis }) => ({
          account_id,
          security_id,
          quantity: q,
          value,
          cost_basis,
        }))
        .sort((a, b) => (a.account_id < b.account_id ? -1 : 1));
      expect(positions).toEqual(expected);
      const holdings = await get<{ positions: { security_id: string }[] }>(owner.token, '/v1/holdings');
      expect(answer.data.positions).toEqual(holdings.positions.filter((p) => p.security_id === id));

      expect((await get<Problem>(other.token, `/v1/securities/${id}`, 404)).code).toBe('NOT_FOUND');
      expect((await get<Problem>(owner.token, `/v1/securities/${randomUUID()}`, 404)).code).toBe('NOT_FOUND');
      expect(
        (await get<Problem>(owner.token, '/v1/securities/x', 400)).errors?.map((e) => e.field),
      ).toContain('path.id');
    });
  });

  // The MCP tools of these reads, through the official client (in memory: the tools are not yet in
  // /mcp's list, see src/mcp/tools/data-surface.ts); each answer is the REST answer held above.
  describe('MCP tools', () => {
    const connect = async (userId: string) => {
      const tools = dataSurfaceTools(t.app.services);
      const server = buildMcpServer(tools, { userId, scopes: ['read'] }, createLogger('silent'));
      const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
      await server.connect(serverSide);
      const client = new Client({ name: 'data-surface-tests', version: '1.0.0' });
      await client.connect(clientSide);
      return client;
    };
    const structured = <T>(result: unknown): T => {
      const r = result as { isError?: boolean; content: { text: string }[]; structuredContent: T };
      expect(r.isError ?? false, JSON.stringify(r.content)).toBe(false);
      expect(JSON.parse(r.content[0]!.text)).toEqual(r.structuredContent);
      return r.structuredContent;
    };
    const withoutAsOf = <T extends { as_of?: string }>({ as_of: _asOf, ...rest }: T) => rest;

    it('lists read-only tools with output schemas, answering as the REST reads do', async () => {
      const client = await connect(owner.userId);
      const listed = await client.listTools();
      expect(listed.tools.map((tool) => tool.name)).toEqual([
        'list_liabilities',
        'search_investment_transactions',
        'get_account_balances',
        'get_transaction',
        'list_categories',
        'get_security',
      ]);
      for (const tool of listed.tools) {
        expect(tool.annotations, tool.name).toMatchObject({ readOnlyHint: true, openWorldHint: false });
        expect(tool.outputSchema, tool.name).toBeDefined();
        expect(tool.title, tool.name).toBeTruthy();
      }
      const call = (name: string, args: Record<string, unknown> = {}) =>
        client.callTool({ name, arguments: args });

      const liabilities = structured<{ data: unknown[]; next_cursor: null; truncated: null }>(
        await call('list_liabilities'),
      );
      const restLiabilities = await get<{ data: unknown[] }>(owner.token, '/v1/liabilities');
      expect(liabilities.data).toEqual(restLiabilities.data);
      expect(liabilities).toMatchObject({ next_cursor: null, truncated: null });

      const investments = structured<{ data: unknown[]; next_cursor: string }>(
        await call('search_investment_transactions', { type: 'buy', limit: 3 }),
      );
      const restInvestments = await get<{ data: unknown[]; next_cursor: string }>(
        owner.token,
        '/v1/investment-transactions?type=buy&limit=3',
      );
      expect(investments.data).toEqual(restInvestments.data);
      expect(investments.next_cursor).toBe(restInvestments.next_cursor);

      const accounts = await get<{ data: { id: string; type: string }[] }>(owner.token, '/v1/accounts');
      const card = accounts.data.find((a) => a.type === 'credit')!;
      const balances = structured<{ data: unknown[]; truncated: null }>(
        await call('get_account_balances', { account_id: card.id, interval: 'week' }),
      );
      const restBalances = await get<{ data: unknown[] }>(
        owner.token,
        `/v1/accounts/${card.id}/balances?interval=week`,
      );
      expect(withoutAsOf(balances as never)).toEqual({
        ...withoutAsOf(restBalances as never),
        next_cursor: null,
        truncated: null,
      });

      const list = await get<{ data: { id: string }[] }>(owner.token, '/v1/transactions?limit=1');
      const one = structured<{ data: unknown }>(await call('get_transaction', { id: list.data[0]!.id }));
      expect(one.data).toEqual(
        (await get<{ data: unknown }>(owner.token, `/v1/transactions/${list.data[0]!.id}`)).data,
      );
      const categories = structured<{ data: unknown }>(await call('list_categories'));
      expect(categories.data).toEqual((await get<{ data: unknown }>(owner.token, '/v1/categories')).data);
      const holdings = await get<{ positions: { security_id: string }[] }>(owner.token, '/v1/holdings');
      const securityId = holdings.positions[0]!.security_id;
      const security = structured<{ data: unknown }>(await call('get_security', { id: securityId }));
      expect(security.data).toEqual(
        (await get<{ data: unknown }>(owner.token, `/v1/securities/${securityId}`)).data,
      );
      await client.close();
    });

    it("answers another person's ids as unknown and names bad arguments", async () => {
      const client = await connect(owner.userId);
      const stranger = await connect((await newUser(t.app)).user.id);
      const accounts = await get<{ data: { id: string }[] }>(owner.token, '/v1/accounts');
      const errorOf = (result: unknown) => {
        const r = result as { isError?: boolean; content: { text: string }[] };
        expect(r.isError).toBe(true);
        return r.content.map((c) => c.text).join('\n');
      };
      expect(
        errorOf(
          await stranger.callTool({
            name: 'get_account_balances',
            arguments: { account_id: accounts.data[0]!.id },
          }),
        ),
      ).toMatch(/NOT_FOUND/);
      expect(
        errorOf(
          await stranger.callTool({
            name: 'list_liabilities',
            arguments: { account_id: accounts.data[0]!.id },
          }),
        ),
      ).toMatch(/NOT_FOUND/);
      const holdings = await get<{ positions: { security_id: string }[] }>(owner.token, '/v1/holdings');
      expect(
        errorOf(
          await stranger.callTool({
            name: 'get_security',
            arguments: { id: holdings.positions[0]!.security_id },
          }),
        ),
      ).toMatch(/NOT_FOUND/);
      const bad = await client.callTool({ name: 'get_account_balances', arguments: { account_id: 'nope' } });
      expect(errorOf(bad)).toMatch(/account_id/);
      const badType = await client.callTool({
        name: 'search_investment_transactions',
        arguments: { type: 'x' },
      });
      expect(errorOf(badType)).toMatch(/type/);
      await client.close();
      await stranger.close();
    });
  });

  // Last: it advances the emulator's clock.
  describe('GET /v1/transactions/{id}', () => {
    type Tx = {
      id: string;
      amount: string;
      date: string;
      name: string;
      pending: boolean;
      transfer_pair_id: string | null;
      category: { primary: string | null; detailed: string | null };
    };
    type Detail = Tx & {
      plaid_category: { primary: string | null; detailed: string | null; confidence: string | null };
      transfer_counterpart: Tx | null;
      pending_transaction_id: string | null;
      pending_predecessor: Tx | null;
    };
    const transactionIds = async () =>
      new Map(
        (
          await selectRows<{ plaid: string; id: string }>(
            t.database.handle.db,
            sql`select plaid_transaction_id as plaid, id from transactions where user_id = ${owner.userId}`,
          )
        ).map((r) => [r.id, r.plaid]),
      );
    const expectLikeTruth = (detail: Detail, plaid: GroundTruth['transactions'][number]) =>
      expect(detail).toMatchObject({
        date: plaid.date,
        amount: decimal(-plaid.amount),
        pending: plaid.pending,
        plaid_category: {
          primary: plaid.personal_finance_category?.primary ?? null,
          detailed: plaid.personal_finance_category?.detailed ?? null,
          confidence: plaid.personal_finance_category?.confidence_level ?? null,
        },
        pending_transaction_id: plaid.pending_transaction_id ?? null,
      });

    it('is the transaction as the emulator has it, with the other leg of a transfer', async () => {
      const truth = new Map((await truthOf()).transactions.map((p) => [p.transaction_id, p]));
      const plaidIdOf = await transactionIds();
      const list = await get<{ data: Tx[] }>(owner.token, '/v1/transactions?limit=500');
      const leg = list.data.find((tx) => tx.transfer_pair_id)!;
      expect(leg, 'the emulator pays its card from checking').toBeDefined();
      const detail = (await get<{ data: Detail }>(owner.token, `/v1/transactions/${leg.id}`)).data;
      expectLikeTruth(detail, truth.get(plaidIdOf.get(leg.id)!)!);
      const pair = list.data.find((tx) => tx.id === leg.transfer_pair_id)!;
      expect(detail.transfer_counterpart).toEqual(pair);
      expect(detail.transfer_counterpart!.transfer_pair_id).toBe(leg.id);
      expect(decimal(-Number(detail.transfer_counterpart!.amount))).toBe(detail.amount);
      // Every transaction of a page answers as the list shows it, and as the emulator has it.
      for (const tx of list.data.slice(0, 20)) {
        const one = (await get<{ data: Detail }>(owner.token, `/v1/transactions/${tx.id}`)).data;
        expect(one).toMatchObject(tx);
        expectLikeTruth(one, truth.get(plaidIdOf.get(tx.id)!)!);
      }

      expect((await get<Problem>(other.token, `/v1/transactions/${leg.id}`, 404)).code).toBe('NOT_FOUND');
      expect((await get<Problem>(owner.token, `/v1/transactions/${randomUUID()}`, 404)).code).toBe(
        'NOT_FOUND',
      );
      const bad = await get<Problem>(owner.token, '/v1/transactions/nope', 400);
      expect(bad.errors?.map((e) => e.field)).toContain('path.id');
    });

    it('names the pending transaction a posted one came from', async () => {
      await control('POST', '/__emulator/clock/advance', { days: 5 });
      const synced = await t.app.services.sync.syncItem(owner.userId, owner.itemId, { trigger: 'manual' });
      expect(synced.status, JSON.stringify(synced.products)).toBe('succeeded');
      const truth = (await truthOf()).transactions;
      const posted = truth.filter((p) => p.pending_transaction_id);
      expect(posted.length, 'pending transactions posted in 5 days').toBeGreaterThan(0);
      const plaidIdOf = await transactionIds();
      const ourIdOf = new Map([...plaidIdOf].map(([id, plaid]) => [plaid, id]));
      for (const plaid of posted) {
        const detail = (
          await get<{ data: Detail }>(owner.token, `/v1/transactions/${ourIdOf.get(plaid.transaction_id)}`)
        ).data;
        expectLikeTruth(detail, plaid);
        const pendingStillThere = truth.find((p) => p.transaction_id === plaid.pending_transaction_id);
        if (pendingStillThere)
          expect(detail.pending_predecessor?.id).toBe(ourIdOf.get(pendingStillThere.transaction_id));
        else expect(detail.pending_predecessor).toBeNull();
      }
    });
  });
});
