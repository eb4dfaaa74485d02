import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cadences,
  detectRecurring,
  detectSeries,
  nextDate,
  type Cadence,
  type MerchantHistory,
} from '../../src/domain/analytics/recurring.js';
import { addDays, addMonths } from '../../src/lib/dates.js';

function history(dates: string[], amounts: string[] | string, accountIds?: string[]): MerchantHistory {
  return {
    merchant: 'Netflix',
    currency: 'USD',
    direction: 'out',
    dates,
    amounts: typeof amounts === 'string' ? dates.map(() => amounts) : amounts,
    accountIds: accountIds ?? dates.map(() => 'card'),
  };
}

const monthly = (first: string, n: number) => Array.from({ length: n }, (_, i) => addMonths(first, i));

describe('detectSeries', () => {
  it('finds a monthly series with its typical amount, dates and next expected date', () => {
    const series = detectSeries(history(monthly('2026-01-05', 4), '-15.4900'), '2026-04-20');
    expect(series).toEqual({
      merchant: 'Netflix',
      currency: 'USD',
      direction: 'out',
      cadence: 'monthly',
      typical_amount: '-15.4900',
      occurrences: 4,
      first_date: '2026-01-05',
      last_date: '2026-04-05',
      next_expected_date: '2026-05-05',
      status: 'active',
      account_ids: ['card'],
    });
  });

  it.each([
    ['weekly', 7, 4],
    ['biweekly', 14, 3],
    ['monthly', 30, 3],
    ['quarterly', 91, 3],
    ['annual', 365, 2],
  ] as const)('needs %s occurrences every %i days at least %i times', (cadence, days, minimum) => {
    const dates = (n: number) => Array.from({ length: n }, (_, i) => addDays('2024-01-01', i * days));
    const asOf = (n: number) => dates(n)[n - 1]!;
    expect(detectSeries(history(dates(minimum), '-10.00'), asOf(minimum))?.cadence).toBe(cadence);
    expect(detectSeries(history(dates(minimum - 1), '-10.00'), asOf(minimum - 1))).toBeUndefined();
  });

  it('accepts gaps within the cadence tolerance and refuses a typical gap just outside it', () => {
    const { days, tolerance } = cadences.monthly;
    const spaced = (gap: number) => [0, 1, 2].map((i) => addDays('2026-01-01', i * gap));
    expect(detectSeries(history(spaced(days + tolerance), '-9.99'), '2026-03-10')?.cadence).toBe('monthly');
    expect(detectSeries(history(spaced(days - tolerance), '-9.99'), '2026-03-10')?.cadence).toBe('monthly');
    expect(detectSeries(history(spaced(days + tolerance + 1), '-9.99'), '2026-03-10')).toBeUndefined();
  });

  it('needs 75% of the gaps to fit the cadence', () => {
    // Gaps 30, 30, 30, 60: 3 of 4 fit (75%) → monthly. Gaps 30, 30, 60, 60, 30 → 3 of 5 (60%) → none.
    const fits = ['2026-01-01', '2026-01-31', '2026-03-02', '2026-04-01', '2026-05-31'];
    expect(detectSeries(history(fits, '-20.00'), '2026-06-01')?.cadence).toBe('monthly');
    const irregular = ['2026-01-01', '2026-01-31', '2026-03-02', '2026-05-01', '2026-06-30', '2026-07-30'];
    expect(detectSeries(history(irregular, '-20.00'), '2026-08-01')).toBeUndefined();
  });

  it('needs 75% of the amounts within 30% of the median, bounds included', () => {
    const dates = monthly('2026-01-10', 4);
    // Median -100.00 (the lower middle value); -130.00 and -70.00 are exactly 30% away.
    expect(
      detectSeries(history(dates, ['-100.00', '-130.00', '-70.00', '-100.00']), '2026-04-10'),
    ).toBeDefined();
    // Two of four beyond 30% (-130.01 and -69.99): only 50% stable.
    expect(
      detectSeries(history(dates, ['-100.00', '-130.01', '-69.99', '-100.00']), '2026-04-10'),
    ).toBeUndefined();
    // One of four beyond: 75% stable.
    expect(
      detectSeries(history(dates, ['-100.00', '-500.00', '-100.00', '-100.00']), '2026-04-10'),
    ).toBeDefined();
  });

  it('is lapsed once the next expected date is more than the tolerance in the past', () => {
    const dates = monthly('2026-01-05', 3); // next expected 2026-04-05, tolerance 4 days
    expect(detectSeries(history(dates, '-5.00'), '2026-04-09')?.status).toBe('active');
    expect(detectSeries(history(dates, '-5.00'), '2026-04-10')?.status).toBe('lapsed');
  });

  it('lists each account once, sorted', () => {
    const series = detectSeries(history(monthly('2026-01-05', 3), '-5.00', ['b', 'a', 'b']), '2026-03-05');
    expect(series?.account_ids).toEqual(['a', 'b']);
  });

  it('finds the cadence of any evenly spaced, constant series long enough for it', () => {
    const arb = fc.record({
      cadence: fc.constantFrom(...(Object.keys(cadences) as Cadence[])),
      extra: fc.integer({ min: 0, max: 6 }),
      offset: fc.integer({ min: 0, max: 2000 }),
      cents: fc.integer({ min: 1, max: 1_000_000 }),
      direction: fc.constantFrom('in', 'out'),
    });
    fc.assert(
      fc.property(arb, ({ cadence, extra, offset, cents, direction }) => {
        const rule = cadences[cadence];
        const n = rule.minOccurrences + extra;
        const first = addDays('2020-01-01', offset);
        const dates = Array.from({ length: n }, (_, i) => addDays(first, i * rule.days));
        const amount = `${direction === 'out' ? '-' : ''}${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
        const series = detectSeries({ ...history(dates, amount), direction }, dates[n - 1]!);
        expect(series?.cadence).toBe(cadence);
        expect(series?.occurrences).toBe(n);
        expect(series?.status).toBe('active');
        expect(series?.next_expected_date).toBe(nextDate(dates[n - 1]!, cadence));
      }),
      { numRuns: 300 },
    );
  });
});

describe('nextDate', () => {
  it('adds calendar months for monthly and longer (clamping the day), days otherwise', () => {
    expect(nextDate('2026-01-31', 'monthly')).toBe('2026-02-28');
    expect(nextDate('2024-01-31', 'monthly')).toBe('2024-02-29');
    expect(nextDate('2026-11-30', 'quarterly')).toBe('2027-02-28');
    expect(nextDate('2024-02-29', 'annual')).toBe('2025-02-28');
    expect(nextDate('2026-12-28', 'weekly')).toBe('2027-01-04');
    expect(nextDate('2026-12-28', 'biweekly')).toBe('2027-01-11');
  });
});

describe('detectRecurring', () => {
  it('finds one series per account when the same merchant arrives on the same dates at two accounts', () => {
    const dates = monthly('2026-01-25', 6);
    const both = dates.flatMap((d) => [d, d]);
    const split = history(
      both,
      both.map((_, i) => (i % 2 === 0 ? '2500.0000' : '1200.0000')),
      both.map((_, i) => (i % 2 === 0 ? 'checking-a' : 'checking-b')),
    );
    split.direction = 'in';
    // Together the gaps alternate 0 and ~30 days: no single series.
    expect(detectSeries(split, '2026-07-01')).toBeUndefined();
    const found = detectRecurring(split, '2026-07-01');
    expect(found.map((s) => [s.account_ids, s.cadence, s.typical_amount, s.occurrences])).toEqual([
      [['checking-a'], 'monthly', '2500.0000', 6],
      [['checking-b'], 'monthly', '1200.0000', 6],
    ]);
  });

  it('keeps a bill that moved from one card to another as one series', () => {
    const dates = monthly('2026-01-05', 6);
    const moved = history(dates, '-15.4900', [
      'card-old',
      'card-old',
      'card-old',
      'card-new',
      'card-new',
      'card-new',
    ]);
    const found = detectRecurring(moved, '2026-06-20');
    expect(found).toHaveLength(1);
    expect(found[0]!.account_ids).toEqual(['card-new', 'card-old']);
    expect(found[0]!.occurrences).toBe(6);
  });

  it('finds nothing in an irregular history, whole or per account', () => {
    const dates = ['2026-01-01', '2026-01-03', '2026-02-20', '2026-02-21', '2026-05-30', '2026-06-02'];
    expect(
      detectRecurring(
        history(
          dates,
          '-9.0000',
          dates.map((_, i) => `a${i % 2}`),
        ),
        '2026-06-10',
      ),
    ).toEqual([]);
  });
});
