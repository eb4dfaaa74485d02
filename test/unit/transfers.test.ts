import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays, daysBetween } from '../../src/lib/dates.js';
import { toUnits } from '../../src/lib/money.js';
import {
  CROSS_CURRENCY_MAX_DAYS,
  NOT_ACCOUNT_TO_ACCOUNT,
  REFERENCE_RATE_BANDS,
  TRANSFER_MAX_DAYS,
  matchTransfers,
  rateBandFor,
  type TransferCandidate,
  type TransferMatch,
} from '../../src/domain/analytics/transfers.js';

const accounts = {
  checking: { accountId: 'acc-checking', accountType: 'depository', currency: 'USD' },
  savings: { accountId: 'acc-savings', accountType: 'depository', currency: 'USD' },
  card: { accountId: 'acc-card', accountType: 'credit', currency: 'USD' },
  loan: { accountId: 'acc-loan', accountType: 'loan', currency: 'USD' },
  euro: { accountId: 'acc-euro', accountType: 'depository', currency: 'EUR' },
  euro2: { accountId: 'acc-euro-2', accountType: 'depository', currency: 'EUR' },
  zloty: { accountId: 'acc-zloty', accountType: 'depository', currency: 'PLN' },
} as const;
type AccountKey = keyof typeof accounts;

/** One transaction; its currency is its account's unless given (a transaction carries its own). */
function leg(
  id: string,
  account: AccountKey,
  date: string,
  amount: string,
  category: string | null,
  currency?: string,
  detailed: string | null = null,
): TransferCandidate {
  return { id, ...accounts[account], ...(currency ? { currency } : {}), date, amount, category, detailed };
}

const sorted = (matches: TransferMatch[]) =>
  [...matches].sort((a, b) => (a.outflowId < b.outflowId ? -1 : a.outflowId > b.outflowId ? 1 : 0));

describe('matchTransfers: one currency', () => {
  it('pairs exactly opposite amounts between two accounts, as an internal transfer by amount', () => {
    const rows = [
      leg('out', 'checking', '2026-03-15', '-500.0000', 'TRANSFER_OUT'),
      leg('in', 'savings', '2026-03-16', '500.00', 'TRANSFER_IN'),
    ];
    expect(matchTransfers(rows)).toEqual([
      { outflowId: 'out', inflowId: 'in', kind: 'internal_transfer', reason: 'same_currency_amount' },
    ]);
  });

  it('does not pair amounts one cent apart, legs in the same account, or legs more than 5 days apart', () => {
    expect(
      matchTransfers([
        leg('out', 'checking', '2026-03-15', '-500.00', 'TRANSFER_OUT'),
        leg('in', 'savings', '2026-03-16', '500.01', 'TRANSFER_IN'),
      ]),
    ).toEqual([]);
    expect(
      matchTransfers([
        leg('out', 'checking', '2026-03-15', '-500.00', 'TRANSFER_OUT'),
        leg('in', 'checking', '2026-03-16', '500.00', 'TRANSFER_IN'),
      ]),
    ).toEqual([]);
    const far = addDays('2026-03-15', TRANSFER_MAX_DAYS + 1);
    expect(
      matchTransfers([
        leg('out', 'checking', '2026-03-15', '-500.00', 'TRANSFER_OUT'),
        leg('in', 'savings', far, '500.00', 'TRANSFER_IN'),
      ]),
    ).toEqual([]);
    const edge = addDays('2026-03-15', TRANSFER_MAX_DAYS);
    expect(
      matchTransfers([
        leg('out', 'checking', '2026-03-15', '-500.00', 'TRANSFER_OUT'),
        leg('in', 'savings', edge, '500.00', 'TRANSFER_IN'),
      ]),
    ).toHaveLength(1);
  });

  it('needs one leg categorised as a transfer or loan payment (or uncategorised), not both', () => {
    const purchaseAndRefund = [
      leg('out', 'checking', '2026-03-15', '-42.00', 'FOOD_AND_DRINK'),
      leg('in', 'savings', '2026-03-15', '42.00', 'FOOD_AND_DRINK'),
    ];
    expect(matchTransfers(purchaseAndRefund)).toEqual([]);
    expect(
      matchTransfers([
        leg('out', 'checking', '2026-03-15', '-42.00', 'FOOD_AND_DRINK'),
        leg('in', 'savings', '2026-03-15', '42.00', null),
      ]),
    ).toHaveLength(1);
  });

  it('takes the kind from the accounts: a card makes a card payment, a loan a loan payment', () => {
    const matches = matchTransfers([
      leg('card-out', 'checking', '2026-03-25', '-812.34', 'LOAN_PAYMENTS'),
      leg('card-in', 'card', '2026-03-27', '812.34', 'TRANSFER_IN'),
      leg('loan-out', 'checking', '2026-03-10', '-250.00', 'LOAN_PAYMENTS'),
      leg('loan-in', 'loan', '2026-03-10', '250.00', 'LOAN_PAYMENTS'),
    ]);
    expect(sorted(matches).map((m) => [m.outflowId, m.kind])).toEqual([
      ['card-out', 'credit_card_payment'],
      ['loan-out', 'loan_payment'],
    ]);
  });

  it('gives an outflow the closest inflow, and two equal outflows one inflow each', () => {
    const rows = [
      leg('out-1', 'checking', '2026-03-10', '-100.00', 'TRANSFER_OUT'),
      leg('out-2', 'checking', '2026-03-12', '-100.00', 'TRANSFER_OUT'),
      leg('in-far', 'savings', '2026-03-14', '100.00', 'TRANSFER_IN'),
      leg('in-near', 'savings', '2026-03-11', '100.00', 'TRANSFER_IN'),
    ];
    expect(sorted(matchTransfers(rows)).map((m) => [m.outflowId, m.inflowId])).toEqual([
      ['out-1', 'in-near'],
      ['out-2', 'in-far'],
    ]);
  });

  it('never pairs a zero amount', () => {
    expect(
      matchTransfers([
        leg('out', 'checking', '2026-03-15', '-0.00', 'TRANSFER_OUT'),
        leg('in', 'savings', '2026-03-15', '0.0000', 'TRANSFER_IN'),
      ]),
    ).toEqual([]);
  });
});

describe('matchTransfers: across currencies', () => {
  it('pairs a USD transfer out with a EUR transfer in at a plausible rate, as an internal transfer', () => {
    // Funding a EUR account through Wise: 1,100.00 USD less a 6.20 fee at 0.9120 EUR per USD, 1 day later.
    const rows = [
      leg('usd-out', 'checking', '2026-03-18', '-1100.00', 'TRANSFER_OUT'),
      leg('eur-in', 'euro', '2026-03-19', '997.55', 'TRANSFER_IN'),
    ];
    expect(matchTransfers(rows)).toEqual([
      {
        outflowId: 'usd-out',
        inflowId: 'eur-in',
        kind: 'internal_transfer',
        reason: 'cross_currency_category_rate',
      },
    ]);
  });

  it('uses the same band in both directions (EUR→USD as USD→EUR)', () => {
    const rows = [
      leg('eur-out', 'euro', '2026-03-18', '-1000.00', 'TRANSFER_OUT'),
      leg('usd-in', 'checking', '2026-03-20', '1085.10', 'TRANSFER_IN'),
    ];
    expect(matchTransfers(rows).map((m) => m.reason)).toEqual(['cross_currency_category_rate']);
  });

  it('refuses an implied rate outside the band, bounds included exactly', () => {
    const band = rateBandFor('EUR', 'USD')!;
    expect(band).toMatchObject({ base: 'EUR', quote: 'USD' });
    const pair = (usd: string) =>
      matchTransfers([
        leg('eur-out', 'euro', '2026-03-18', '-1000.00', 'TRANSFER_OUT'),
        leg('usd-in', 'checking', '2026-03-18', usd, 'TRANSFER_IN'),
      ]);
    // 1,000 EUR at the band's low and high rates, and one cent beyond each.
    const atLow = (toUnits(band.low) * 1000n) / 10_000n;
    const atHigh = (toUnits(band.high) * 1000n) / 10_000n;
    expect(pair(`${atLow}.00`)).toHaveLength(1);
    expect(pair(`${atHigh}.00`)).toHaveLength(1);
    expect(pair(`${atLow - 1n}.99`)).toEqual([]);
    expect(pair(`${atHigh}.01`)).toEqual([]);
    // An unrelated small amount: 40.00 USD is no conversion of 1,000.00 EUR.
    expect(pair('40.00')).toEqual([]);
  });

  it('requires TRANSFER_OUT on the outflow and TRANSFER_IN on the inflow (not merely uncategorised)', () => {
    for (const [outCategory, inCategory] of [
      [null, 'TRANSFER_IN'],
      ['TRANSFER_OUT', null],
      ['LOAN_PAYMENTS', 'TRANSFER_IN'],
      ['TRANSFER_OUT', 'INCOME'],
      ['TRANSFER_IN', 'TRANSFER_OUT'],
    ] as const) {
      const rows = [
        leg('usd-out', 'checking', '2026-03-18', '-1100.00', outCategory),
        leg('eur-in', 'euro', '2026-03-18', '1000.00', inCategory),
      ];
      expect(matchTransfers(rows), `${outCategory} → ${inCategory}`).toEqual([]);
    }
  });

  it('never takes a cash withdrawal, a cash deposit or a loan disbursement for a cross-currency leg', () => {
    const pair = (outDetailed: string | null, inDetailed: string | null) =>
      matchTransfers([
        leg('usd-out', 'checking', '2026-03-02', '-200.00', 'TRANSFER_OUT', undefined, outDetailed),
        leg('eur-in', 'euro', '2026-03-02', '180.00', 'TRANSFER_IN', undefined, inDetailed),
      ]);
    expect(pair('TRANSFER_OUT_ACCOUNT_TRANSFER', 'TRANSFER_IN_ACCOUNT_TRANSFER')).toHaveLength(1);
    expect(pair('TRANSFER_OUT_WITHDRAWAL', 'TRANSFER_IN_ACCOUNT_TRANSFER')).toEqual([]);
    expect(pair('TRANSFER_OUT_ACCOUNT_TRANSFER', 'TRANSFER_IN_DEPOSIT')).toEqual([]);
    expect(pair(null, 'TRANSFER_IN_CASH_ADVANCES_AND_LOANS')).toEqual([]);
  });

  it('never pairs two legs of one account, even in different currencies', () => {
    const rows = [
      leg('usd-out', 'checking', '2026-03-18', '-1100.00', 'TRANSFER_OUT'),
      leg('eur-in', 'checking', '2026-03-18', '1000.00', 'TRANSFER_IN', 'EUR'),
    ];
    expect(matchTransfers(rows)).toEqual([]);
  });

  it(`pairs legs at most ${CROSS_CURRENCY_MAX_DAYS} days apart, before or after`, () => {
    const pair = (days: number) =>
      matchTransfers([
        leg('usd-out', 'checking', '2026-03-18', '-1100.00', 'TRANSFER_OUT'),
        leg('eur-in', 'euro', addDays('2026-03-18', days), '1000.00', 'TRANSFER_IN'),
      ]);
    expect(pair(CROSS_CURRENCY_MAX_DAYS)).toHaveLength(1);
    expect(pair(-CROSS_CURRENCY_MAX_DAYS)).toHaveLength(1);
    expect(pair(CROSS_CURRENCY_MAX_DAYS + 1)).toEqual([]);
    expect(pair(-CROSS_CURRENCY_MAX_DAYS - 1)).toEqual([]);
  });

  it('pairs a currency pair without a band by categories and dates alone, whatever the amounts', () => {
    expect(rateBandFor('USD', 'PLN')).toBeUndefined();
    const rows = [
      leg('usd-out', 'checking', '2026-03-18', '-250.00', 'TRANSFER_OUT'),
      leg('pln-in', 'zloty', '2026-03-20', '987.65', 'TRANSFER_IN'),
    ];
    expect(matchTransfers(rows)).toEqual([
      {
        outflowId: 'usd-out',
        inflowId: 'pln-in',
        kind: 'internal_transfer',
        reason: 'cross_currency_category_date',
      },
    ]);
  });

  it('prefers an exact same-currency pair to a cross-currency one for the same outflow', () => {
    const rows = [
      leg('usd-out', 'checking', '2026-03-18', '-1000.00', 'TRANSFER_OUT'),
      leg('eur-in', 'euro', '2026-03-18', '910.00', 'TRANSFER_IN'),
      leg('usd-in', 'savings', '2026-03-21', '1000.00', 'TRANSFER_IN'),
    ];
    expect(matchTransfers(rows)).toEqual([
      { outflowId: 'usd-out', inflowId: 'usd-in', kind: 'internal_transfer', reason: 'same_currency_amount' },
    ]);
  });

  it('prefers a pair whose rate is checked by a band to one without a band, even a closer one', () => {
    const rows = [
      leg('usd-out', 'checking', '2026-03-18', '-1000.00', 'TRANSFER_OUT'),
      leg('pln-in', 'zloty', '2026-03-18', '3900.00', 'TRANSFER_IN'),
      leg('eur-in', 'euro', '2026-03-21', '910.00', 'TRANSFER_IN'),
    ];
    expect(matchTransfers(rows).map((m) => [m.inflowId, m.reason])).toEqual([
      ['eur-in', 'cross_currency_category_rate'],
    ]);
  });

  describe('ambiguous candidates', () => {
    it('takes the closest date first, even when a farther inflow converts at a more typical rate', () => {
      const rows = [
        leg('usd-out', 'checking', '2026-03-18', '-1000.00', 'TRANSFER_OUT'),
        leg('eur-near-odd-rate', 'euro', '2026-03-19', '700.00', 'TRANSFER_IN'),
        leg('eur-far-typical', 'euro2', '2026-03-21', '909.09', 'TRANSFER_IN'),
      ];
      expect(matchTransfers(rows).map((m) => m.inflowId)).toEqual(['eur-near-odd-rate']);
    });

    it('on the same date distance, takes the implied rate closest to the typical one', () => {
      const band = rateBandFor('EUR', 'USD')!;
      expect(band.typical).toBe('1.10');
      const rows = [
        leg('usd-out', 'checking', '2026-03-18', '-1100.00', 'TRANSFER_OUT'),
        // 1,100 USD → 1,000 EUR is the typical 1.10; 800 EUR implies 1.375 USD per EUR.
        leg('eur-a-odd', 'euro', '2026-03-17', '800.00', 'TRANSFER_IN'),
        leg('eur-b-typical', 'euro2', '2026-03-19', '1000.00', 'TRANSFER_IN'),
      ];
      expect(matchTransfers(rows).map((m) => m.inflowId)).toEqual(['eur-b-typical']);
    });

    it('on equal dates and rates, takes the lowest outflow id, then the lowest inflow id', () => {
      const rows = [
        leg('usd-out-b', 'checking', '2026-03-18', '-1100.00', 'TRANSFER_OUT'),
        leg('usd-out-a', 'savings', '2026-03-18', '-1100.00', 'TRANSFER_OUT'),
        leg('eur-in-z', 'euro', '2026-03-18', '1000.00', 'TRANSFER_IN'),
        leg('eur-in-y', 'euro2', '2026-03-18', '1000.00', 'TRANSFER_IN'),
      ];
      expect(sorted(matchTransfers(rows)).map((m) => [m.outflowId, m.inflowId])).toEqual([
        ['usd-out-a', 'eur-in-y'],
        ['usd-out-b', 'eur-in-z'],
      ]);
    });

    it('leaves the extra leg unmatched: two transfers in for one transfer out give one pair', () => {
      const rows = [
        leg('usd-out', 'checking', '2026-03-18', '-250.00', 'TRANSFER_OUT'),
        leg('pln-in-2', 'zloty', '2026-03-19', '990.00', 'TRANSFER_IN'),
        leg('pln-in-1', 'zloty', '2026-03-17', '40.00', 'TRANSFER_IN'),
      ];
      // Without a band nothing tells the amounts apart: the tie goes to the lowest inflow id.
      expect(matchTransfers(rows).map((m) => m.inflowId)).toEqual(['pln-in-1']);
    });
  });

  it('has a band for each major pair, with low < typical < high, and at most one band per pair', () => {
    const seen = new Set<string>();
    for (const band of REFERENCE_RATE_BANDS) {
      const key = [band.base, band.quote].sort().join('/');
      expect(seen.has(key), key).toBe(false);
      seen.add(key);
      expect(toUnits(band.low) < toUnits(band.typical), key).toBe(true);
      expect(toUnits(band.typical) < toUnits(band.high), key).toBe(true);
    }
    for (const pair of ['EUR/USD', 'GBP/USD', 'EUR/GBP', 'USD/JPY', 'USD/CHF', 'USD/CAD']) {
      const [a, b] = pair.split('/') as [string, string];
      expect(rateBandFor(a, b), pair).toBeDefined();
      expect(rateBandFor(b, a), pair).toBe(rateBandFor(a, b));
    }
  });
});

describe('the documented rate bands', () => {
  it('are the ones the matcher uses (docs/domain.md table = REFERENCE_RATE_BANDS)', () => {
    const doc = readFileSync(new URL('../../docs/domain.md', import.meta.url), 'utf8');
    const documented = [
      ...doc.matchAll(/^\s*\| ([A-Z]{3})\/([A-Z]{3}) \| ([\d.]+) – ([\d.]+)\s*\| ([\d.]+)\s*\|$/gm),
    ].map(([, base, quote, low, high, typical]) => ({ base, quote, low, high, typical }));
    expect(documented).toEqual([...REFERENCE_RATE_BANDS]);
  });
});

describe('matchTransfers properties', () => {
  const keys = Object.keys(accounts) as AccountKey[];
  // Transfer categories weigh more, so that rival cross-currency candidates are common.
  const categories = [
    'TRANSFER_IN',
    'TRANSFER_IN',
    'TRANSFER_OUT',
    'TRANSFER_OUT',
    'LOAN_PAYMENTS',
    'FOOD_AND_DRINK',
    'INCOME',
    null,
  ];
  // Few distinct amounts and days, so that equal amounts, ties and cross-currency candidates are common.
  const amounts = ['100.00', '250.00', '910.00', '1000.00', '1100.00', '3900.00', '0.00'];
  const rowArb = fc.record({
    account: fc.constantFrom(...keys),
    day: fc.integer({ min: 0, max: 12 }),
    amount: fc.constantFrom(...amounts),
    out: fc.boolean(),
    category: fc.constantFrom(...categories),
    // Now and then a transaction in another currency than its account's.
    currency: fc.option(fc.constantFrom('USD', 'EUR', 'PLN'), { freq: 4 }),
    detailed: fc.constantFrom(
      null,
      'TRANSFER_OUT_WITHDRAWAL',
      'TRANSFER_IN_DEPOSIT',
      'TRANSFER_IN_ACCOUNT_TRANSFER',
    ),
  });
  const rowsArb = fc
    .uniqueArray(fc.tuple(fc.uuid(), rowArb), {
      maxLength: 24,
      selector: ([id]) => id,
    })
    .map((list) =>
      list.map(([id, r]) =>
        leg(
          id,
          r.account,
          addDays('2026-03-10', r.day),
          `${r.out ? '-' : ''}${r.amount}`,
          r.category,
          r.currency ?? undefined,
          r.detailed,
        ),
      ),
    );

  const byId = (rows: TransferCandidate[]) => new Map(rows.map((r) => [r.id, r]));

  it('pairs an outflow with an inflow in another account, each transaction in at most one pair', () => {
    fc.assert(
      fc.property(rowsArb, (rows) => {
        const rowOf = byId(rows);
        const used = new Set<string>();
        for (const m of matchTransfers(rows)) {
          const out = rowOf.get(m.outflowId)!;
          const inflow = rowOf.get(m.inflowId)!;
          expect(toUnits(out.amount) < 0n).toBe(true);
          expect(toUnits(inflow.amount) > 0n).toBe(true);
          expect(out.accountId).not.toBe(inflow.accountId);
          expect(used.has(out.id) || used.has(inflow.id)).toBe(false);
          used.add(out.id);
          used.add(inflow.id);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('gives each pair the reason whose rule it meets', () => {
    fc.assert(
      fc.property(rowsArb, (rows) => {
        const rowOf = byId(rows);
        for (const m of matchTransfers(rows)) {
          const out = rowOf.get(m.outflowId)!;
          const inflow = rowOf.get(m.inflowId)!;
          const days = Math.abs(daysBetween(out.date, inflow.date));
          if (m.reason === 'same_currency_amount') {
            expect(inflow.currency).toBe(out.currency);
            expect(toUnits(inflow.amount)).toBe(-toUnits(out.amount));
            expect(days).toBeLessThanOrEqual(TRANSFER_MAX_DAYS);
          } else {
            expect(inflow.currency).not.toBe(out.currency);
            expect([out.category, inflow.category]).toEqual(['TRANSFER_OUT', 'TRANSFER_IN']);
            expect(NOT_ACCOUNT_TO_ACCOUNT.has(out.detailed ?? '')).toBe(false);
            expect(NOT_ACCOUNT_TO_ACCOUNT.has(inflow.detailed ?? '')).toBe(false);
            expect(days).toBeLessThanOrEqual(CROSS_CURRENCY_MAX_DAYS);
            expect(m.reason).toBe(
              rateBandFor(out.currency, inflow.currency)
                ? 'cross_currency_category_rate'
                : 'cross_currency_category_date',
            );
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('does not depend on the order of the input', () => {
    const arb = rowsArb.chain((rows) =>
      fc.tuple(fc.constant(rows), fc.shuffledSubarray(rows, { minLength: rows.length })),
    );
    fc.assert(
      fc.property(arb, ([rows, shuffled]) => {
        expect(sorted(matchTransfers(shuffled))).toEqual(sorted(matchTransfers(rows)));
      }),
      { numRuns: 500 },
    );
  });

  it('leaves no two unmatched legs that the same-currency rule would pair (matching is maximal)', () => {
    fc.assert(
      fc.property(rowsArb, (rows) => {
        const matched = new Set(matchTransfers(rows).flatMap((m) => [m.outflowId, m.inflowId]));
        const left = rows.filter((r) => !matched.has(r.id));
        const transferish = (r: TransferCandidate) =>
          r.category === null || ['TRANSFER_IN', 'TRANSFER_OUT', 'LOAN_PAYMENTS'].includes(r.category);
        for (const out of left.filter((r) => toUnits(r.amount) < 0n)) {
          for (const inflow of left.filter((r) => toUnits(r.amount) > 0n)) {
            const pairable =
              out.accountId !== inflow.accountId &&
              out.currency === inflow.currency &&
              toUnits(out.amount) === -toUnits(inflow.amount) &&
              Math.abs(daysBetween(out.date, inflow.date)) <= TRANSFER_MAX_DAYS &&
              (transferish(out) || transferish(inflow));
            expect(pairable, `${out.id} ↔ ${inflow.id}`).toBe(false);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
