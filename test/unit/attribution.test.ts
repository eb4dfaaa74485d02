import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ATTRIBUTION_PARTS,
  attributeNetWorthChange,
  balancesAtEnds,
  type AccountFacts,
  matchFundingLegs,
  type AttributionAccount,
  type AttributionInput,
  type FundingCandidate,
  type InvestmentFlow,
  type TransactionClass,
  type TransactionFlow,
} from '../../src/domain/analytics/attribution.js';
import { fromUnits, toUnits } from '../../src/lib/money.js';

const START = '2026-03-31';
const END = '2026-04-30';

const account = (
  id: string,
  type: string,
  startBalance: string,
  endBalance: string,
  currency = 'USD',
  measured = true,
): AttributionAccount => ({
  id,
  type,
  currency,
  startBalance,
  endBalance,
  startMeasured: measured,
  endMeasured: measured,
});

/** One transaction as the repository sums it (one row per account and class). */
const flow = (accountId: string, cls: TransactionClass, amount: string): TransactionFlow => ({
  accountId,
  class: cls,
  total: amount,
  inflow: amount.startsWith('-') ? '0' : amount,
  count: 1,
});

const input = (over: Partial<AttributionInput>): AttributionInput => ({
  start: START,
  end: END,
  accounts: [],
  flows: [],
  fundingCandidates: [],
  investmentFlows: [],
  netWorthAtStart: [],
  netWorthAtEnd: [],
  ...over,
});

/** Σ parts + unexplained, in units. */
const total = (answer: ReturnType<typeof attributeNetWorthChange>[number]) =>
  ATTRIBUTION_PARTS.reduce((sum, part) => sum + toUnits(answer.parts[part].amount), 0n) +
  toUnits(answer.unexplained.amount);

describe('attributeNetWorthChange', () => {
  it('a transfer between my own accounts has no effect: no income, no spending', () => {
    const [usd] = attributeNetWorthChange(
      input({
        accounts: [
          account('checking', 'depository', '1000', '800'),
          account('savings', 'depository', '0', '200'),
        ],
        flows: [flow('checking', 'own_transfers', '-200.00'), flow('savings', 'own_transfers', '200.00')],
      }),
    );
    expect(usd!.change).toBe('0.00');
    expect(usd!.parts.own_transfers).toEqual({ amount: '0.00', account_ids: ['checking', 'savings'] });
    expect(usd!.parts.income.amount).toBe('0.00');
    expect(usd!.parts.spending.amount).toBe('0.00');
    expect(usd!.unexplained).toEqual({ amount: '0.00', account_ids: [] });
  });

  it('buying securities with money from checking is a contribution, not spending', () => {
    // 500 leave checking (classed as spending by cash flow), arrive in the IRA and buy a fund (a buy moves
    // nothing out of the account); the fund then gains 12.34.
    const contribution: InvestmentFlow = {
      id: 'c1',
      accountId: 'ira',
      currency: 'USD',
      date: '2026-04-04',
      amount: '500.0000',
      kind: 'contribution',
    };
    const leg: FundingCandidate = {
      id: 't1',
      accountId: 'checking',
      currency: 'USD',
      date: '2026-04-03',
      amount: '-500.0000',
      class: 'spending',
    };
    const [usd] = attributeNetWorthChange(
      input({
        accounts: [
          account('checking', 'depository', '2000', '1460'),
          account('ira', 'investment', '10000', '10512.34'),
        ],
        flows: [flow('checking', 'spending', '-540.00')],
        fundingCandidates: [leg],
        investmentFlows: [contribution],
      }),
    );
    expect(usd!.change).toBe('-27.66');
    expect(usd!.parts.spending).toEqual({ amount: '-40.00', account_ids: ['checking'] });
    expect(usd!.parts.investment_contributions).toEqual({
      amount: '0.00',
      account_ids: ['checking', 'ira'],
      into_investment_accounts: '500.00',
      from_own_accounts: '500.00',
    });
    expect(usd!.parts.market_movement).toEqual({ amount: '12.34', account_ids: ['ira'] });
    expect(usd!.unexplained.amount).toBe('0.00');
  });

  it('a payroll 401(k) contribution is new money; dividends are income, fees are fees', () => {
    const [usd] = attributeNetWorthChange(
      input({
        accounts: [account('k401', 'investment', '5000', '5795')],
        investmentFlows: [
          {
            id: 'a',
            accountId: 'k401',
            currency: 'USD',
            date: '2026-04-15',
            amount: '750',
            kind: 'contribution',
          },
          { id: 'b', accountId: 'k401', currency: 'USD', date: '2026-04-15', amount: '20', kind: 'income' },
          { id: 'c', accountId: 'k401', currency: 'USD', date: '2026-04-01', amount: '-5', kind: 'fee' },
        ],
      }),
    );
    expect(usd!.parts.investment_contributions.amount).toBe('750.00');
    expect(usd!.parts.investment_contributions.from_own_accounts).toBe('0.00');
    expect(usd!.parts.income.amount).toBe('20.00');
    expect(usd!.parts.interest_and_fees.amount).toBe('-5.00');
    expect(usd!.parts.market_movement.amount).toBe('30.00');
    expect(total(usd!)).toBe(toUnits(usd!.change));
  });

  it('paying a card is not spending twice: the purchases are spending, the payment cancels out', () => {
    // 300 of purchases on the card, then 300 paid from checking (both legs a credit_card_payment pair).
    const [usd] = attributeNetWorthChange(
      input({
        accounts: [
          account('checking', 'depository', '1000', '700'),
          account('card', 'credit', '-300', '-300'),
        ],
        flows: [
          flow('card', 'spending', '-300.00'),
          flow('checking', 'debt_paydown', '-300.00'),
          flow('card', 'debt_paydown', '300.00'),
        ],
      }),
    );
    expect(usd!.change).toBe('-300.00');
    expect(usd!.parts.spending.amount).toBe('-300.00');
    expect(usd!.parts.debt_paydown).toEqual({
      amount: '0.00',
      account_ids: ['card', 'checking'],
      paid_down: '300.00',
      new_debt: '300.00',
    });
    expect(usd!.unexplained.amount).toBe('0.00');
  });

  it("a loan's principal shown only in its balance is debt paid down; the interest part stays negative", () => {
    const [usd] = attributeNetWorthChange(
      input({
        accounts: [
          account('checking', 'depository', '5000', '3500'),
          account('mortgage', 'loan', '-200000', '-199000'),
        ],
        flows: [flow('checking', 'debt_paydown', '-1500.00')],
      }),
    );
    expect(usd!.change).toBe('-500.00');
    expect(usd!.parts.debt_paydown).toEqual({
      amount: '-500.00',
      account_ids: ['checking', 'mortgage'],
      paid_down: '1000.00',
      new_debt: '0.00',
    });
    expect(usd!.unexplained.amount).toBe('0.00');
  });

  it('what no flow explains is unexplained, with its accounts; an unmeasured investment too', () => {
    const [usd] = attributeNetWorthChange(
      input({
        accounts: [
          account('checking', 'depository', '100', '150'),
          account('broker', 'investment', '1000', '1100', 'USD', false),
        ],
        flows: [flow('checking', 'income', '40.00')],
      }),
    );
    expect(usd!.unexplained).toEqual({ amount: '110.00', account_ids: ['broker', 'checking'] });
    expect(usd!.parts.market_movement.amount).toBe('0.00');
  });

  it('uses the stored net worth at both ends; a difference from the accounts is unexplained', () => {
    const [usd] = attributeNetWorthChange(
      input({
        accounts: [account('checking', 'depository', '100', '150')],
        flows: [flow('checking', 'income', '50.00')],
        netWorthAtStart: [{ currency: 'USD', netWorth: '100.0000', estimated: false }],
        netWorthAtEnd: [{ currency: 'USD', netWorth: '151.0000', estimated: true }],
      }),
    );
    expect(usd!.start).toEqual({ date: START, net_worth: '100.00', estimated: false });
    expect(usd!.end).toEqual({ date: END, net_worth: '151.00', estimated: true });
    expect(usd!.unexplained.amount).toBe('1.00');
  });

  it('never adds currencies: a USD→EUR move leaves USD and enters EUR', () => {
    const answer = attributeNetWorthChange(
      input({
        accounts: [
          account('usd', 'depository', '1000', '900'),
          account('eur', 'depository', '0', '92', 'EUR'),
        ],
        flows: [flow('usd', 'own_transfers', '-100.00'), flow('eur', 'own_transfers', '92.00')],
      }),
    );
    expect(
      answer.map((a) => [a.currency, a.change, a.parts.own_transfers.amount, a.unexplained.amount]),
    ).toEqual([
      ['EUR', '92.00', '92.00', '0.00'],
      ['USD', '-100.00', '-100.00', '0.00'],
    ]);
  });

  it('holds Σ parts + unexplained = change to the unit for any input', () => {
    const amount = fc.bigInt({ min: -10_000_000_000n, max: 10_000_000_000n }).map(fromUnits);
    const classes: TransactionClass[] = [
      'income',
      'spending',
      'interest_and_fees',
      'debt_paydown',
      'own_transfers',
    ];
    const ids = ['a', 'b', 'c', 'd'];
    const types = ['depository', 'credit', 'loan', 'investment', 'other'];
    fc.assert(
      fc.property(
        fc.tuple(
          ...ids.map(() =>
            fc.tuple(fc.constantFrom(...types), amount, amount, fc.constantFrom('USD', 'EUR'), fc.boolean()),
          ),
        ),
        fc.array(fc.tuple(fc.constantFrom(...ids), fc.constantFrom(...classes), amount), { maxLength: 12 }),
        fc.array(
          fc.tuple(
            fc.constantFrom(...ids),
            fc.constantFrom('contribution', 'income', 'fee' as const),
            amount,
          ),
          {
            maxLength: 6,
          },
        ),
        fc.option(amount),
        (accounts, flows, investment, stored) => {
          const answer = attributeNetWorthChange(
            input({
              accounts: accounts.map(([type, s, e, currency, measured], i) =>
                account(ids[i]!, type, s, e, currency, measured),
              ),
              flows: flows.map(([id, cls, a]) => flow(id, cls, a)),
              investmentFlows: investment.map(([id, kind, a], i) => ({
                id: `i${i}`,
                accountId: id,
                currency: 'USD',
                date: '2026-04-10',
                amount: a,
                kind,
              })),
              netWorthAtEnd: stored === null ? [] : [{ currency: 'USD', netWorth: stored, estimated: false }],
            }),
          );
          for (const currency of answer) expect(total(currency)).toBe(toUnits(currency.change));
        },
      ),
    );
  });
});

describe('matchFundingLegs', () => {
  const contribution = (id: string, date: string, amount: string): InvestmentFlow => ({
    id,
    accountId: 'ira',
    currency: 'USD',
    date,
    amount,
    kind: 'contribution',
  });
  const candidate = (id: string, date: string, amount: string, currency = 'USD'): FundingCandidate => ({
    id,
    accountId: 'checking',
    currency,
    date,
    amount,
    class: 'spending',
  });

  it('pairs exact opposite amounts within 5 days, closest first, each leg once', () => {
    const matched = matchFundingLegs(
      [contribution('c1', '2026-04-04', '500'), contribution('c2', '2026-04-05', '500.00')],
      [
        candidate('far', '2026-04-01', '-500'),
        candidate('near', '2026-04-03', '-500.0000'),
        candidate('other', '2026-04-03', '-499.99'),
        candidate('eur', '2026-04-04', '-500', 'EUR'),
      ],
    );
    expect(Object.fromEntries([...matched].map(([k, v]) => [k, v.id]))).toEqual({ c1: 'near', c2: 'far' });
  });

  it('pairs a withdrawal with the inflow it became', () => {
    const matched = matchFundingLegs(
      [contribution('w', '2026-04-04', '-250')],
      [candidate('in', '2026-04-06', '250')],
    );
    expect(matched.get('w')?.id).toBe('in');
  });
});

describe('balancesAtEnds', () => {
  const facts = (over: Partial<AccountFacts>): AccountFacts => ({
    id: 'checking',
    type: 'depository',
    currency: 'USD',
    firstDate: '2026-04-10',
    firstBalance: '1000.0000',
    startSnapshot: null,
    endSnapshot: '1200.0000',
    betweenFirstAndEnd: '0',
    ...over,
  });
  // 300 in over the range: 100 before the first snapshot (Apr 1–10), 200 after it (Apr 11–30).
  const flows = [flow('checking', 'income', '300.00')];

  it('walks a bank balance back from its first snapshot through the flows of the range', () => {
    const [a] = balancesAtEnds([facts({ betweenFirstAndEnd: '200.0000' })], flows, START, END);
    expect(a).toMatchObject({
      startBalance: '900.0000',
      endBalance: '1200.0000',
      startMeasured: false,
      endMeasured: true,
    });
  });

  it('walks both ends back when the range is wholly before the first snapshot', () => {
    // First snapshot on May 10 with 1000; 50 came in between Apr 30 and May 10.
    const [a] = balancesAtEnds(
      [facts({ firstDate: '2026-05-10', endSnapshot: null, betweenFirstAndEnd: '50.0000' })],
      flows,
      START,
      END,
    );
    expect(a).toMatchObject({
      startBalance: '650.0000',
      endBalance: '950.0000',
      startMeasured: false,
      endMeasured: false,
    });
  });

  it('takes the snapshots when both ends have one; an investment account keeps its first value before it', () => {
    const [bank, broker] = balancesAtEnds(
      [
        facts({ firstDate: '2026-03-01', startSnapshot: '800.0000', endSnapshot: '1200.0000' }),
        facts({ id: 'broker', type: 'investment', firstBalance: '5000.0000', endSnapshot: '5100.0000' }),
      ],
      flows,
      START,
      END,
    );
    expect(bank).toMatchObject({ startBalance: '800.0000', endBalance: '1200.0000', startMeasured: true });
    expect(broker).toMatchObject({
      startBalance: '5000.0000',
      endBalance: '5100.0000',
      startMeasured: false,
    });
  });

  it('knows nothing of an account without any balance', () => {
    const [a] = balancesAtEnds([facts({ firstDate: null, firstBalance: null })], flows, START, END);
    expect(a).toMatchObject({ startBalance: null, endBalance: null });
  });
});
