import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  calculateNetWorthHistory,
  netWorthPointJson,
  type BalancePoint,
  type NetWorthAccount,
  type PostedAmount,
} from '../../src/domain/analytics/net-worth.js';
import { addDays } from '../../src/lib/dates.js';
import { fromUnits } from '../../src/lib/money.js';

const checking: NetWorthAccount = { id: 'checking', type: 'depository', currency: 'USD' };
const card: NetWorthAccount = { id: 'card', type: 'credit', currency: 'USD' };
const loan: NetWorthAccount = { id: 'loan', type: 'loan', currency: 'USD' };
const brokerage: NetWorthAccount = { id: 'brokerage', type: 'investment', currency: 'USD' };
const euro: NetWorthAccount = { id: 'euro', type: 'depository', currency: 'EUR' };

const snap = (accountId: string, date: string, balance: string): BalancePoint => ({
  accountId,
  date,
  balance,
});
const posted = (accountId: string, date: string, amount: string): PostedAmount => ({
  accountId,
  date,
  amount,
});

/** The history as 'date currency net-worth (estimated)' lines, easy to read in a failure. */
const lines = (days: ReturnType<typeof calculateNetWorthHistory>) =>
  days.map((d) => `${d.date} ${d.currency} ${d.netWorth}${d.estimated ? ' est' : ''}`);

describe('calculateNetWorthHistory', () => {
  it('counts credit and loan balances as liabilities owed (positive), the rest as assets', () => {
    const [day] = calculateNetWorthHistory({
      accounts: [checking, card, loan, brokerage],
      snapshots: [
        snap('checking', '2026-03-10', '1000.0000'),
        snap('card', '2026-03-10', '-250.5000'),
        snap('loan', '2026-03-10', '-5000.0000'),
        snap('brokerage', '2026-03-10', '12000.2500'),
      ],
      transactions: [],
      from: '2026-03-10',
      to: '2026-03-10',
    });
    expect(day).toEqual({
      currency: 'USD',
      date: '2026-03-10',
      assets: '13000.2500',
      liabilities: '5250.5000',
      netWorth: '7749.7500',
      estimated: false,
    });
  });

  it('never adds currencies: each has its own series, in currency then date order', () => {
    const days = calculateNetWorthHistory({
      accounts: [checking, euro],
      snapshots: [snap('checking', '2026-03-01', '100.0000'), snap('euro', '2026-03-01', '70.0000')],
      transactions: [],
      from: '2026-03-01',
      to: '2026-03-02',
    });
    expect(lines(days)).toEqual([
      '2026-03-01 EUR 70.0000',
      '2026-03-02 EUR 70.0000',
      '2026-03-01 USD 100.0000',
      '2026-03-02 USD 100.0000',
    ]);
  });

  it('takes the snapshot of the day and carries the last one forward between snapshots', () => {
    const days = calculateNetWorthHistory({
      accounts: [checking],
      snapshots: [snap('checking', '2026-03-04', '300.0000'), snap('checking', '2026-03-02', '100.0000')],
      // After the first snapshot, transactions do not move the balance: snapshots do.
      transactions: [posted('checking', '2026-03-03', '-999.0000')],
      from: '2026-03-02',
      to: '2026-03-05',
    });
    expect(lines(days)).toEqual([
      '2026-03-02 USD 100.0000',
      '2026-03-03 USD 100.0000',
      '2026-03-04 USD 300.0000',
      '2026-03-05 USD 300.0000',
    ]);
  });

  it('walks back before the first snapshot through posted transactions, marking those days estimated', () => {
    const days = calculateNetWorthHistory({
      accounts: [checking],
      snapshots: [snap('checking', '2026-03-10', '1000.0000')],
      transactions: [
        posted('checking', '2026-03-10', '-100.0000'), // on the snapshot's day: before it, 100 more
        posted('checking', '2026-03-08', '50.0000'),
        posted('checking', '2026-03-05', '-20.0000'),
        posted('checking', '2026-03-12', '-5000.0000'), // after the snapshot: no effect on earlier days
      ],
      from: '2026-03-04',
      to: '2026-03-11',
    });
    expect(lines(days)).toEqual([
      '2026-03-04 USD 1070.0000 est',
      '2026-03-05 USD 1050.0000 est',
      '2026-03-06 USD 1050.0000 est',
      '2026-03-07 USD 1050.0000 est',
      '2026-03-08 USD 1100.0000 est',
      '2026-03-09 USD 1100.0000 est',
      '2026-03-10 USD 1000.0000',
      '2026-03-11 USD 1000.0000',
    ]);
  });

  it('walks back to the range from a first snapshot after it', () => {
    const days = calculateNetWorthHistory({
      accounts: [checking],
      snapshots: [snap('checking', '2026-03-10', '1000.0000')],
      transactions: [
        posted('checking', '2026-03-07', '200.0000'),
        posted('checking', '2026-03-02', '-30.0000'),
      ],
      from: '2026-03-01',
      to: '2026-03-03',
    });
    expect(lines(days)).toEqual([
      '2026-03-01 USD 830.0000 est',
      '2026-03-02 USD 800.0000 est',
      '2026-03-03 USD 800.0000 est',
    ]);
  });

  it('keeps an investment account at its first snapshot before it (prices moved, transactions do not say how)', () => {
    const days = calculateNetWorthHistory({
      accounts: [brokerage],
      snapshots: [snap('brokerage', '2026-03-03', '5000.0000')],
      transactions: [posted('brokerage', '2026-03-02', '-4000.0000')],
      from: '2026-03-01',
      to: '2026-03-03',
    });
    expect(lines(days)).toEqual([
      '2026-03-01 USD 5000.0000 est',
      '2026-03-02 USD 5000.0000 est',
      '2026-03-03 USD 5000.0000',
    ]);
  });

  it('marks a day estimated when any account of that currency is, and skips accounts without snapshots', () => {
    const days = calculateNetWorthHistory({
      accounts: [checking, card, loan],
      snapshots: [snap('checking', '2026-03-01', '100.0000'), snap('card', '2026-03-02', '-40.0000')],
      transactions: [posted('loan', '2026-03-01', '-1.0000')],
      from: '2026-03-01',
      to: '2026-03-02',
    });
    expect(days.map((d) => [d.date, d.assets, d.liabilities, d.estimated])).toEqual([
      ['2026-03-01', '100.0000', '40.0000', true],
      ['2026-03-02', '100.0000', '40.0000', false],
    ]);
  });

  it('returns nothing for an empty range or without any snapshot', () => {
    const input = {
      accounts: [checking],
      snapshots: [snap('checking', '2026-03-01', '1.0000')],
      transactions: [],
    };
    expect(calculateNetWorthHistory({ ...input, from: '2026-03-02', to: '2026-03-01' })).toEqual([]);
    expect(
      calculateNetWorthHistory({ ...input, snapshots: [], from: '2026-03-01', to: '2026-03-05' }),
    ).toEqual([]);
  });

  it('agrees with a day-by-day replay of the account (random histories and ranges)', () => {
    const day = (n: number) => addDays('2026-01-01', n);
    const arb = fc.record({
      txs: fc.array(
        fc.record({ day: fc.integer({ min: 0, max: 40 }), cents: fc.integer({ min: -50_000, max: 50_000 }) }),
        {
          maxLength: 30,
        },
      ),
      snapshots: fc.uniqueArray(
        fc.record({
          day: fc.integer({ min: 0, max: 40 }),
          cents: fc.integer({ min: -100_000, max: 100_000 }),
        }),
        { minLength: 1, maxLength: 4, selector: (s) => s.day },
      ),
      from: fc.integer({ min: 0, max: 40 }),
      length: fc.integer({ min: 0, max: 40 }),
      type: fc.constantFrom('depository', 'credit'),
    });
    fc.assert(
      fc.property(arb, ({ txs, snapshots, from, length, type }) => {
        const account = { id: 'a', type, currency: 'USD' };
        const cents = (c: number) => fromUnits(BigInt(c) * 100n);
        const days = calculateNetWorthHistory({
          accounts: [account],
          snapshots: snapshots.map((s) => snap('a', day(s.day), cents(s.cents))),
          transactions: txs.map((t) => posted('a', day(t.day), cents(t.cents))),
          from: day(from),
          to: day(from + length),
        });
        // Reference: on or after the first snapshot, the latest snapshot so far; before it, the first
        // snapshot less every transaction dated after the day, up to the snapshot's day.
        const first = Math.min(...snapshots.map((s) => s.day));
        const firstCents = snapshots.find((s) => s.day === first)!.cents;
        expect(days).toHaveLength(length + 1);
        days.forEach((point, i) => {
          const d = from + i;
          let balance: number;
          if (d >= first) {
            const latest = Math.max(...snapshots.filter((s) => s.day <= d).map((s) => s.day));
            balance = snapshots.find((s) => s.day === latest)!.cents;
          } else {
            balance =
              firstCents - txs.filter((t) => t.day > d && t.day <= first).reduce((s, t) => s + t.cents, 0);
          }
          const liability = type === 'credit';
          expect(point).toEqual({
            currency: 'USD',
            date: day(d),
            assets: cents(liability ? 0 : balance),
            liabilities: cents(liability ? -balance : 0),
            netWorth: cents(balance),
            estimated: d < first,
          });
        });
      }),
      { numRuns: 300 },
    );
  });
});

describe('netWorthPointJson', () => {
  it('renders a day as the API shows it: snake_case, amounts with 2 decimals at least', () => {
    expect(
      JSON.parse(
        netWorthPointJson({
          currency: 'USD',
          date: '2026-03-01',
          assets: '1000.5000',
          liabilities: '0.0000',
          netWorth: '1000.5000',
          estimated: true,
        }),
      ),
    ).toEqual({
      currency: 'USD',
      date: '2026-03-01',
      assets: '1000.50',
      liabilities: '0.00',
      net_worth: '1000.50',
      estimated: true,
    });
  });
});
