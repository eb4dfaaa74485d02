import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CashflowRow } from '../../src/db/repositories/analytics.js';
import type { TransferKind } from '../../src/db/schema/index.js';
import {
  buildCashflow,
  periodStarts,
  savingsRate,
  transferReasons,
} from '../../src/domain/analytics/cashflow.js';
import { addDays, startOfMonth, startOfWeek } from '../../src/lib/dates.js';
import { formatRatio, fromUnits } from '../../src/lib/money.js';

/** A categorised transaction as the cash-flow materializer sees it (its kind already decided). */
interface Flow {
  date: string;
  currency: string;
  kind: CashflowRow['kind'];
  category: string;
  detailed?: string;
  merchant: string;
  /** Integer cents, our sign. */
  cents: number;
}

const units = (cents: number) => BigInt(cents) * 100n;

/**
 * The rows AnalyticsRepository.cashflow returns for these flows: sums over the grouping sets
 * (currency, period, kind), (currency, kind, category), (currency, kind, category, merchant) and
 * (currency, kind, detailed).
 */
function rowsOf(flows: Flow[], interval: 'month' | 'week'): CashflowRow[] {
  const groups = new Map<string, CashflowRow & { sum: bigint; positive: bigint }>();
  const add = (flow: Flow, key: Partial<CashflowRow>) => {
    const row = {
      currency: flow.currency,
      kind: flow.kind,
      period: null,
      category: null,
      detailed: null,
      merchant: null,
      ...key,
    };
    const id = JSON.stringify(row);
    const entry = groups.get(id) ?? { ...row, total: '', inflow: '', count: 0, sum: 0n, positive: 0n };
    entry.sum += units(flow.cents);
    if (flow.cents > 0) entry.positive += units(flow.cents);
    entry.count += 1;
    groups.set(id, entry);
  };
  for (const flow of flows) {
    add(flow, { period: interval === 'month' ? startOfMonth(flow.date) : startOfWeek(flow.date) });
    add(flow, { category: flow.category });
    add(flow, { category: flow.category, merchant: flow.merchant });
    add(flow, { detailed: flow.detailed ?? `${flow.category}_OTHER` });
  }
  return [...groups.values()].map(({ sum, positive, ...row }) => ({
    ...row,
    total: fromUnits(sum),
    inflow: fromUnits(positive),
  }));
}

const options = {
  start: '2026-01-01',
  end: '2026-03-31',
  interval: 'month',
  detailed: false,
  topMerchants: 3,
} as const;

describe('buildCashflow', () => {
  const flows: Flow[] = [
    {
      date: '2026-01-02',
      currency: 'USD',
      kind: 'income',
      category: 'INCOME',
      merchant: 'Acme',
      cents: 400_000,
    },
    {
      date: '2026-01-03',
      currency: 'USD',
      kind: 'spending',
      category: 'RENT',
      merchant: 'Oakwood',
      cents: -180_000,
    },
    {
      date: '2026-01-09',
      currency: 'USD',
      kind: 'spending',
      category: 'FOOD',
      merchant: 'Safeway',
      cents: -12_345,
    },
    // A refund: an inflow in a spending category lowers spending.
    {
      date: '2026-01-10',
      currency: 'USD',
      kind: 'spending',
      category: 'FOOD',
      merchant: 'Safeway',
      cents: 2_345,
    },
    // Both legs of a transfer between own USD accounts, and a USD→EUR movement (one leg in each currency).
    {
      date: '2026-01-15',
      currency: 'USD',
      kind: 'internal_transfer',
      category: 'TRANSFER_OUT',
      merchant: 'x',
      cents: -50_000,
    },
    {
      date: '2026-01-16',
      currency: 'USD',
      kind: 'internal_transfer',
      category: 'TRANSFER_IN',
      merchant: 'x',
      cents: 50_000,
    },
    {
      date: '2026-01-18',
      currency: 'USD',
      kind: 'internal_transfer',
      category: 'TRANSFER_OUT',
      merchant: 'Wise',
      cents: -110_000,
    },
    {
      date: '2026-01-19',
      currency: 'EUR',
      kind: 'internal_transfer',
      category: 'TRANSFER_IN',
      merchant: 'Wise',
      cents: 99_755,
    },
    {
      date: '2026-01-25',
      currency: 'USD',
      kind: 'credit_card_payment',
      category: 'LOAN_PAYMENTS',
      merchant: 'y',
      cents: -30_000,
    },
    {
      date: '2026-01-26',
      currency: 'USD',
      kind: 'credit_card_payment',
      category: 'TRANSFER_IN',
      merchant: 'y',
      cents: 30_000,
    },
    {
      date: '2026-02-03',
      currency: 'EUR',
      kind: 'income',
      category: 'INCOME',
      merchant: 'Freelance',
      cents: 100_000,
    },
    {
      date: '2026-02-04',
      currency: 'EUR',
      kind: 'spending',
      category: 'FOOD',
      merchant: 'REWE',
      cents: -4_000,
    },
  ];

  it('reports each currency on its own, in code order, never adding them', () => {
    const result = buildCashflow(rowsOf(flows, 'month'), options);
    expect(result.map((c) => c.currency)).toEqual(['EUR', 'USD']);
    expect(result.find((c) => c.currency === 'EUR')!.totals).toEqual({
      income: '1000.00',
      spending: '40.00',
      net: '960.00',
      savings_rate: '0.9600',
    });
  });

  it('counts income, spending less refunds, net and savings rate per period, transfers in neither', () => {
    const usd = buildCashflow(rowsOf(flows, 'month'), options).find((c) => c.currency === 'USD')!;
    // Income 4,000.00; spending 1,800.00 + 123.45 − 23.45 = 1,900.00; net 2,100.00; 2,100 ÷ 4,000 = 0.525.
    expect(usd.periods).toEqual([
      {
        start: '2026-01-01',
        end: '2026-01-31',
        income: '4000.00',
        spending: '1900.00',
        net: '2100.00',
        savings_rate: '0.5250',
      },
      {
        start: '2026-02-01',
        end: '2026-02-28',
        income: '0.00',
        spending: '0.00',
        net: '0.00',
        savings_rate: null,
      },
      {
        start: '2026-03-01',
        end: '2026-03-31',
        income: '0.00',
        spending: '0.00',
        net: '0.00',
        savings_rate: null,
      },
    ]);
    expect(usd.totals).toEqual({
      income: '4000.00',
      spending: '1900.00',
      net: '2100.00',
      savings_rate: '0.5250',
    });
  });

  it('reports transfers by kind and currency: money received (inflow legs), money sent (outflow legs) and every leg', () => {
    const result = buildCashflow(rowsOf(flows, 'month'), options);
    const usd = result.find((c) => c.currency === 'USD')!;
    const eur = result.find((c) => c.currency === 'EUR')!;
    expect(usd.transfers).toEqual([
      {
        kind: 'credit_card_payment',
        reason: transferReasons.credit_card_payment,
        total: '300.00',
        total_out: '300.00',
        count: 2,
      },
      // The USD leg of the USD→EUR movement: counted, and its 1,100.00 sent is in the USD total_out (500 + 1,100).
      {
        kind: 'internal_transfer',
        reason: transferReasons.internal_transfer,
        total: '500.00',
        total_out: '1600.00',
        count: 3,
      },
    ]);
    // Its EUR leg: 997.55 received, nothing sent from a EUR account.
    expect(eur.transfers).toEqual([
      {
        kind: 'internal_transfer',
        reason: transferReasons.internal_transfer,
        total: '997.55',
        total_out: '0.00',
        count: 1,
      },
    ]);
  });

  it('takes the money sent from the stored sums (inflow − total), to the cent, in each leg currency alone', () => {
    const row = (currency: string, total: string, inflow: string, count: number): CashflowRow => ({
      currency,
      period: '2026-01-01',
      kind: 'internal_transfer',
      category: null,
      detailed: null,
      merchant: null,
      total,
      inflow,
      count,
    });
    // Four decimals as numeric stores them: 0.01 + 0.02 sent is 0.03 exactly (no binary float drift).
    const result = buildCashflow(
      [row('USD', '-0.0300', '0.0000', 2), row('JPY', '-12345', '0', 1), row('EUR', '10.00', '10.00', 1)],
      options,
    );
    expect(result.map((c) => [c.currency, c.transfers[0]!.total, c.transfers[0]!.total_out])).toEqual([
      ['EUR', '10.00', '0.00'],
      ['JPY', '0.00', '12345.00'],
      ['USD', '0.00', '0.03'],
    ]);
  });

  it('ranks spending categories and their merchants largest first (ties by name), refunds deducted', () => {
    const spend = (category: string, merchant: string, cents: number, date = '2026-03-05'): Flow => ({
      date,
      currency: 'USD',
      kind: 'spending',
      category,
      merchant,
      cents,
    });
    const [usd] = buildCashflow(
      rowsOf(
        [
          spend('FOOD', 'A', -1_000),
          spend('FOOD', 'B', -3_000),
          spend('FOOD', 'C', -2_000),
          spend('FOOD', 'D', -500),
          spend('FOOD', 'B', 2_500), // refund: B now 5.00
          spend('TRAVEL', 'Air', -5_000),
          spend('HOME', 'Ikea', -5_000),
        ],
        'month',
      ),
      options,
    );
    expect(usd!.spending_by_category.map((c) => [c.category, c.total])).toEqual([
      ['HOME', '50.00'],
      ['TRAVEL', '50.00'],
      ['FOOD', '40.00'], // 10 + 30 + 20 + 5 − 25
    ]);
    expect(usd!.spending_by_category[2]!.top_merchants).toEqual([
      { merchant: 'C', total: '20.00', count: 1 },
      { merchant: 'A', total: '10.00', count: 1 },
      { merchant: 'B', total: '5.00', count: 2 },
    ]);
    expect(usd!.spending_by_detailed_category).toBeUndefined();
    const [detailed] = buildCashflow(rowsOf([spend('FOOD', 'A', -1_000)], 'month'), {
      ...options,
      detailed: true,
    });
    expect(detailed!.spending_by_detailed_category).toEqual([{ category: 'FOOD_OTHER', total: '10.00' }]);
  });

  it('clips the first and last periods to the range, by month and by ISO week', () => {
    const flows1 = [
      { date: '2026-01-20', currency: 'USD', kind: 'income', category: 'INCOME', merchant: 'A', cents: 100 },
    ] satisfies Flow[];
    const byMonth = buildCashflow(rowsOf(flows1, 'month'), {
      ...options,
      start: '2026-01-15',
      end: '2026-03-10',
    });
    expect(byMonth[0]!.periods.map((p) => [p.start, p.end, p.income])).toEqual([
      ['2026-01-15', '2026-01-31', '1.00'],
      ['2026-02-01', '2026-02-28', '0.00'],
      ['2026-03-01', '2026-03-10', '0.00'],
    ]);
    // 2026-01-15 is a Thursday: weeks start on Mondays, the first clipped to the range.
    const byWeek = buildCashflow(rowsOf(flows1, 'week'), {
      ...options,
      interval: 'week',
      start: '2026-01-15',
      end: '2026-01-28',
    });
    expect(byWeek[0]!.periods.map((p) => [p.start, p.end, p.income])).toEqual([
      ['2026-01-15', '2026-01-18', '0.00'],
      ['2026-01-19', '2026-01-25', '1.00'],
      ['2026-01-26', '2026-01-28', '0.00'],
    ]);
  });

  it('agrees with sums taken straight from the flows, for random flows', () => {
    const kinds: CashflowRow['kind'][] = [
      'income',
      'spending',
      'internal_transfer',
      'credit_card_payment',
      'loan_payment',
    ];
    const flowArb = fc.record({
      day: fc.integer({ min: 0, max: 89 }),
      currency: fc.constantFrom('USD', 'EUR'),
      kind: fc.constantFrom(...kinds),
      category: fc.constantFrom('FOOD', 'RENT', 'TRAVEL'),
      merchant: fc.constantFrom('A', 'B', 'C', 'D'),
      cents: fc.integer({ min: -1_000_000, max: 1_000_000 }),
    });
    fc.assert(
      fc.property(fc.array(flowArb, { maxLength: 40 }), fc.constantFrom('month', 'week'), (raw, interval) => {
        const flows: Flow[] = raw.map(({ day, ...f }) => ({ ...f, date: addDays('2026-01-01', day) }));
        const result = buildCashflow(rowsOf(flows, interval), { ...options, interval });
        expect(result.map((c) => c.currency)).toEqual([...new Set(flows.map((f) => f.currency))].sort());
        for (const currency of result) {
          const mine = flows.filter((f) => f.currency === currency.currency);
          const sum = (list: Flow[]) => list.reduce((s, f) => s + BigInt(f.cents), 0n);
          const income = sum(mine.filter((f) => f.kind === 'income'));
          const spending = -sum(mine.filter((f) => f.kind === 'spending'));
          const cents = (c: bigint) => fromUnits(c * 100n).slice(0, -2);
          expect(currency.totals).toEqual({
            income: cents(income),
            spending: cents(spending),
            net: cents(income - spending),
            savings_rate: formatRatio(income - spending, income, 4),
          });
          for (const period of currency.periods) {
            expect(period.net).toBe(cents(toCents(period.income) - toCents(period.spending)));
          }
          const transfers = (['credit_card_payment', 'internal_transfer', 'loan_payment'] as TransferKind[])
            .map((kind) => {
              const legs = mine.filter((f) => f.kind === kind);
              const received = legs.filter((f) => f.cents > 0);
              const sent = legs.filter((f) => f.cents < 0);
              return {
                kind,
                reason: transferReasons[kind],
                total: cents(sum(received)),
                total_out: cents(-sum(sent)),
                count: legs.length,
              };
            })
            .filter((t) => t.count > 0);
          expect(currency.transfers).toEqual(transfers);
        }
      }),
      { numRuns: 200 },
    );
  });
});

/** "12.34" → 1234n, "-0.50" → -50n. */
function toCents(value: string): bigint {
  return BigInt(value.replace('.', ''));
}

describe('periodStarts', () => {
  it('lists the first day of each month or the Monday of each week touching the range', () => {
    expect(periodStarts('2026-01-31', '2026-03-01', 'month')).toEqual([
      '2026-01-01',
      '2026-02-01',
      '2026-03-01',
    ]);
    expect(periodStarts('2026-01-15', '2026-01-28', 'week')).toEqual([
      '2026-01-12',
      '2026-01-19',
      '2026-01-26',
    ]);
  });
});

describe('savings rate', () => {
  it('is net ÷ income with 4 decimals, negative when spending exceeds income, null without income', () => {
    expect(savingsRate(250n, 1000n)).toBe('0.2500');
    expect(savingsRate(1n, 3n)).toBe('0.3333');
    expect(savingsRate(2n, 3n)).toBe('0.6667');
    expect(savingsRate(-1500n, 1000n)).toBe('-1.5000');
    expect(savingsRate(-300n, 0n)).toBeNull();
    expect(savingsRate(100n, -5n)).toBeNull();
  });

  it('rounds half away from zero: the exact quotient, to the nearest 1/10^decimals', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }),
        fc.bigInt({ min: 1n, max: 10n ** 12n }),
        fc.integer({ min: 0, max: 6 }),
        (numerator, denominator, decimals) => {
          const text = formatRatio(numerator, denominator, decimals)!;
          expect(text).toMatch(decimals === 0 ? /^-?\d+$/ : new RegExp(`^-?\\d+\\.\\d{${decimals}}$`));
          const got = BigInt(text.replace('.', ''));
          // Reference: round |n × 10^d| ÷ den half up, then give it the sign of n.
          const scaled = numerator * 10n ** BigInt(decimals);
          const magnitude = ((scaled < 0n ? -scaled : scaled) * 2n + denominator) / (2n * denominator);
          expect(got).toBe(scaled < 0n ? -magnitude : magnitude);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
