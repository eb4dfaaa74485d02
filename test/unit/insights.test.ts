import { describe, expect, it } from 'vitest';
import {
  buildInsights,
  medianUnits,
  MAX_IDS,
  type InsightsInput,
  type MonthTransaction,
} from '../../src/domain/analytics/insights.js';
import { buildBudgetMonth, suggestBudgets } from '../../src/domain/budgets/service.js';

const input = (over: Partial<InsightsInput>): InsightsInput => ({
  monthStart: '2026-05-01',
  monthEnd: '2026-05-31',
  asOf: '2026-05-31',
  categoryMonths: [],
  transactions: [],
  newMerchants: [],
  histories: [],
  investmentFees: [],
  accounts: [],
  ...over,
});

const tx = (id: string, amount: string, over: Partial<MonthTransaction> = {}): MonthTransaction => ({
  id,
  accountId: 'card',
  date: '2026-05-10',
  amount,
  currency: 'USD',
  category: 'FOOD_AND_DRINK',
  merchant: 'Cafe',
  ...over,
});

describe('medianUnits', () => {
  it('takes the middle value, or the mean of the middle two rounded half away from zero', () => {
    expect(medianUnits([3n, 1n, 2n])).toBe(2n);
    expect(medianUnits([1n, 2n])).toBe(2n); // 1.5 units → 2
    expect(medianUnits([-1n, -2n])).toBe(-2n);
    expect(medianUnits([0n, 0n, 0n, 10n, 20n, 30n])).toBe(5n);
    expect(medianUnits([])).toBe(0n);
  });
});

describe('buildInsights', () => {
  it('compares a category with its trailing 6-month median (missing months count as 0) and cites its outflows', () => {
    const months = ['2025-11-01', '2025-12-01', '2026-01-01', '2026-02-01', '2026-03-01', '2026-04-01'];
    const [food] = buildInsights(
      input({
        categoryMonths: [
          ...months
            .slice(2)
            .map((month) => ({ currency: 'USD', category: 'FOOD_AND_DRINK', month, spent: '100.00' })),
          { currency: 'USD', category: 'FOOD_AND_DRINK', month: '2026-05-01', spent: '150.00' },
        ],
        transactions: [tx('a', '-100.00'), tx('b', '-50.00'), tx('refund', '5.00')],
      }),
    );
    expect(food).toMatchObject({
      type: 'category_spending',
      currency: 'USD',
      category: 'FOOD_AND_DRINK',
      amount: '150.00',
      baseline: '100.00',
      deviation: '50.00',
      deviation_percent: '50.00',
      transaction_ids: ['a', 'b'],
      transaction_count: 2,
    });
  });

  it('cites at most MAX_IDS transactions, largest first, with the full count', () => {
    const rows = Array.from({ length: 25 }, (_, i) => tx(`t${String(i).padStart(2, '0')}`, `-${i + 1}.00`));
    const [food] = buildInsights(
      input({
        categoryMonths: [
          { currency: 'USD', category: 'FOOD_AND_DRINK', month: '2026-05-01', spent: '325.00' },
        ],
        transactions: rows,
      }),
    );
    expect(food!.transaction_ids).toHaveLength(MAX_IDS);
    expect(food!.transaction_ids[0]).toBe('t24');
    expect(food!.transaction_count).toBe(25);
  });

  it('finds a subscription whose price changed this month, and income that did not come', () => {
    const insights = buildInsights(
      input({
        asOf: '2026-05-31',
        histories: [
          {
            merchant: 'Streamio',
            currency: 'USD',
            direction: 'out',
            dates: ['2026-02-03', '2026-03-03', '2026-04-03', '2026-05-03'],
            amounts: ['-9.99', '-9.99', '-9.99', '-12.99'],
            account_ids: ['card', 'card', 'card', 'card'],
            ids: ['s1', 's2', 's3', 's4'],
          },
          {
            merchant: 'Employer',
            currency: 'USD',
            direction: 'in',
            dates: ['2026-01-20', '2026-02-20', '2026-03-20', '2026-04-20'],
            amounts: ['3000.00', '3000.00', '3000.00', '3000.00'],
            account_ids: ['checking', 'checking', 'checking', 'checking'],
            ids: ['p1', 'p2', 'p3', 'p4'],
          },
        ],
      }),
    );
    expect(insights.find((i) => i.type === 'subscription_price_changed')).toMatchObject({
      merchant: 'Streamio',
      amount: '-12.99',
      baseline: '-9.99',
      deviation: '-3.00',
      deviation_percent: '30.03',
      transaction_ids: ['s4', 's3'],
    });
    expect(insights.find((i) => i.type === 'income_missing')).toMatchObject({
      merchant: 'Employer',
      baseline: '3000.00',
      expected_date: '2026-05-20',
      transaction_ids: ['p4'],
    });
  });
});

describe('buildBudgetMonth', () => {
  it('projects the pace of non-recurring spending plus the bills still due; rollover carries last month', () => {
    const { budgets, totals } = buildBudgetMonth({
      month: { month: '2026-05', monthStart: '2026-05-01', monthEnd: '2026-05-31', asOf: '2026-05-10' },
      budgets: [{ category: 'ENTERTAINMENT', currency: 'USD', amount: '100.0000', rollover: true }],
      spending: [
        { currency: 'USD', category: 'ENTERTAINMENT', month: '2026-05-01', pending: false, spent: '30.00' },
        { currency: 'USD', category: 'ENTERTAINMENT', month: '2026-05-01', pending: true, spent: '4.00' },
        { currency: 'USD', category: 'ENTERTAINMENT', month: '2026-04-01', pending: false, spent: '120.00' },
      ],
      histories: [
        {
          merchant: 'Streamio',
          currency: 'USD',
          direction: 'out',
          dates: ['2026-02-20', '2026-03-20', '2026-04-20'],
          amounts: ['-10.00', '-10.00', '-10.00'],
          account_ids: ['card', 'card', 'card'],
          category: 'ENTERTAINMENT',
        },
      ],
    });
    // 30 spent in 10 days → 3/day × 21 days left = 63, plus the 10.00 bill due on the 20th.
    expect(budgets[0]).toEqual({
      category: 'ENTERTAINMENT',
      currency: 'USD',
      budgeted: '100.00',
      rollover: true,
      rollover_carried: '-20.00',
      available: '80.00',
      spent: '30.00',
      pending: '4.00',
      remaining: '50.00',
      projected_spent: '103.00',
      projected_remaining: '-23.00',
      recurring_due: '10.00',
    });
    expect(totals).toHaveLength(1);
  });

  it('suggests the median of the months given, categories with none left out', () => {
    const months = ['2026-01-01', '2026-02-01', '2026-03-01'];
    expect(
      suggestBudgets(
        [
          { currency: 'USD', category: 'A', month: '2026-01-01', pending: false, spent: '10.00' },
          { currency: 'USD', category: 'A', month: '2026-03-01', pending: false, spent: '30.00' },
          { currency: 'USD', category: 'A', month: '2026-03-01', pending: true, spent: '99.00' },
          { currency: 'USD', category: 'B', month: '2026-02-01', pending: false, spent: '5.00' },
        ],
        months,
      ).map((s) => [s.category, s.suggested_amount]),
    ).toEqual([['A', '10.00']]);
  });
});
