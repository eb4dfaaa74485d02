import { Products } from 'plaid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plaidFailure, startEmulator } from './support/harness.js';
import type { Harness } from './support/harness.js';
import { expectPlaidShape } from './support/shape-matchers.js';

let h: Harness;
let token: string;
let itemId: string;

beforeAll(async () => {
  h = await startEmulator();
  ({ accessToken: token, itemId } = await h.link({ daysRequested: 365 }));
});
afterAll(async () => {
  await h.close();
});

const cents = (n: number | null | undefined) => Math.round((n ?? 0) * 100);

describe('accounts', () => {
  it('serves every kind of account, one in a second currency, with balances that follow the transactions', async () => {
    const res = await h.plaid.accountsGet({ access_token: token });
    expectPlaidShape(res.data, 'AccountsGetResponse');
    const kinds = res.data.accounts.map((a) => `${a.type}/${a.subtype}`);
    expect(kinds).toEqual(
      expect.arrayContaining([
        'depository/checking',
        'depository/savings',
        'credit/credit card',
        'loan/mortgage',
        'loan/student',
        'investment/brokerage',
        'investment/ira',
        'investment/401k',
      ]),
    );
    expect(res.data.accounts.some((a) => a.balances.iso_currency_code === 'CAD')).toBe(true);
    const truth = await h.groundTruth(itemId);
    await h.control('POST', `/__emulator/items/${itemId}/transactions`, {
      transactions: [{ amount: 10, name: 'balance check' }],
    });
    const after = await h.plaid.accountsGet({ access_token: token });
    const checking = (list: typeof res.data.accounts) =>
      list.find((a) => a.subtype === 'checking' && a.balances.iso_currency_code === 'USD')!;
    expect(
      cents(checking(truth.accounts).balances.current) -
        cents(checking(after.data.accounts).balances.current),
    ).toBe(1000);
    const card = after.data.accounts.find((a) => a.type === 'credit')!;
    expect(card.balances.limit).toBe(10_000);
    expect(card.balances.current).toBeGreaterThan(0);
  });

  it('filters by account_ids and refuses unknown ids', async () => {
    const all = await h.plaid.accountsGet({ access_token: token });
    const first = all.data.accounts[0]!.account_id;
    const one = await h.plaid.accountsGet({ access_token: token, options: { account_ids: [first] } });
    expect(one.data.accounts.map((a) => a.account_id)).toEqual([first]);
    const bad = await plaidFailure(
      h.plaid.accountsGet({ access_token: token, options: { account_ids: ['nope'] } }),
    );
    expect(bad.error).toMatchObject({ error_type: 'INVALID_INPUT', error_code: 'INVALID_ACCOUNT_ID' });
  });

  it('stamps live balances from /accounts/balance/get', async () => {
    const res = await h.plaid.accountsBalanceGet({ access_token: token });
    expectPlaidShape(res.data, 'AccountsGetResponse');
    expect(res.data.accounts.every((a) => typeof a.balances.last_updated_datetime === 'string')).toBe(true);
  });
});

describe('investments', () => {
  it('serves holdings consistent with prices, investment transactions and a cash position', async () => {
    const res = await h.plaid.investmentsHoldingsGet({ access_token: token });
    expectPlaidShape(res.data, 'InvestmentsHoldingsGetResponse');
    const securities = new Map(res.data.securities.map((s) => [s.security_id, s]));
    expect(securities.size).toBe(res.data.securities.length);
    for (const holding of res.data.holdings) {
      const security = securities.get(holding.security_id)!;
      expect(security).toBeDefined();
      expect(holding.institution_price).toBe(security.close_price);
      expect(
        Math.abs(
          cents(holding.institution_value) - Math.round(holding.quantity * holding.institution_price * 100),
        ),
      ).toBeLessThanOrEqual(1);
    }
    expect(res.data.securities.some((s) => s.type === 'cash' && s.is_cash_equivalent)).toBe(true);
    for (const account of res.data.accounts) {
      const sum = res.data.holdings
        .filter((x) => x.account_id === account.account_id)
        .reduce((t, x) => t + cents(x.institution_value), 0);
      expect(cents(account.balances.current)).toBe(sum);
    }

    const start = '2024-03-01';
    const all: Array<{
      type: string;
      subtype: string;
      quantity: number;
      security_id: string | null;
      account_id: string;
    }> = [];
    let total = Infinity;
    while (all.length < total) {
      const page = await h.plaid.investmentsTransactionsGet({
        access_token: token,
        start_date: start,
        end_date: '2025-03-14',
        options: { count: 50, offset: all.length },
      });
      expectPlaidShape(page.data, 'InvestmentsTransactionsGetResponse');
      total = page.data.total_investment_transactions;
      all.push(...page.data.investment_transactions);
      if (page.data.investment_transactions.length === 0) break;
    }
    expect(all.length).toBe(total);
    const kinds = new Set(all.map((t) => `${t.type}/${t.subtype}`));
    for (const k of ['buy/buy', 'cash/dividend', 'cash/contribution', 'fee/account fee'])
      expect(kinds).toContain(k);
    const truth = await h.groundTruth(itemId);
    expect(truth.investment_transactions.length).toBeGreaterThanOrEqual(total);
  });

  it('pages investment transactions newest first and validates the range', async () => {
    const page = await h.plaid.investmentsTransactionsGet({
      access_token: token,
      start_date: '2024-01-01',
      end_date: '2025-12-31',
      options: { count: 20 },
    });
    const dates = page.data.investment_transactions.map((t) => t.date);
    expect([...dates].sort().reverse()).toEqual(dates);
    const inverted = await plaidFailure(
      h.plaid.investmentsTransactionsGet({
        access_token: token,
        start_date: '2025-01-02',
        end_date: '2025-01-01',
      }),
    );
    expect(inverted.error.error_code).toBe('INVALID_FIELD');
    const badCount = await plaidFailure(
      h.plaid.investmentsTransactionsGet({
        access_token: token,
        start_date: '2025-01-01',
        end_date: '2025-01-02',
        options: { count: 501 },
      }),
    );
    expect(badCount.error.error_code).toBe('INVALID_FIELD');
    const badDate = await plaidFailure(
      h.plaid.investmentsTransactionsGet({
        access_token: token,
        start_date: '2025-13-01',
        end_date: '2025-12-31',
      }),
    );
    expect(badDate.error.error_code).toBe('INVALID_FIELD');
  });

  it('answers PRODUCTS_NOT_SUPPORTED where the institution lacks investments', async () => {
    const other = await h.link({ institutionId: 'ins_109512', products: [Products.Auth] });
    const res = await plaidFailure(h.plaid.investmentsHoldingsGet({ access_token: other.accessToken }));
    expect(res.error.error_code).toBe('PRODUCTS_NOT_SUPPORTED');
  });
});

describe('liabilities', () => {
  it('serves the card, the mortgage and the student loan', async () => {
    const res = await h.plaid.liabilitiesGet({ access_token: token });
    expectPlaidShape(res.data, 'LiabilitiesGetResponse');
    const { credit, mortgage, student } = res.data.liabilities;
    expect(credit).toHaveLength(1);
    expect(mortgage).toHaveLength(1);
    expect(student).toHaveLength(1);
    const card = res.data.accounts.find((a) => a.account_id === credit![0]!.account_id)!;
    expect(credit![0]!.aprs[0]!.balance_subject_to_apr).toBe(card.balances.current);
    expect(credit![0]!.last_payment_amount).toBeGreaterThan(0);
    expect(mortgage![0]!.ytd_principal_paid).toBeGreaterThan(0);
    const loan = res.data.accounts.find((a) => a.subtype === 'mortgage')!;
    expect(loan.balances.current).toBeLessThan(mortgage![0]!.origination_principal_amount!);
  });
});
