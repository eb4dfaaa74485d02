import type { CashflowRow } from '../../db/repositories/analytics.js';
import type { TransferKind } from '../../db/schema/index.js';
import { addDays, addMonths, startOfMonth, startOfWeek } from '../../lib/dates.js';
import { formatRatio, fromUnits, largestFirst, money, toUnits } from '../../lib/money.js';

/**
 * Pure assembly of the cash-flow summary from grouped sums (see AnalyticsRepository.cashflow: per
 * period and kind, per category and merchant, and per detailed category when asked).
 * income = inflows categorised as income; spending = outflows, less refunds (inflows in a spending
 * category), as a positive amount; net = income − spending; savings rate = net ÷ income.
 * Movements between the owner's own accounts are excluded from both and reported under `transfers`.
 */
export const transferReasons: Record<TransferKind, string> = {
  internal_transfer: 'moved between your own accounts',
  credit_card_payment: 'payment to your own credit card',
  loan_payment: 'payment to your own loan',
};

export interface CashflowPeriod {
  start: string;
  end: string;
  income: string;
  spending: string;
  net: string;
  savings_rate: string | null;
}

export interface CashflowCurrency {
  currency: string;
  totals: Omit<CashflowPeriod, 'start' | 'end'>;
  periods: CashflowPeriod[];
  spending_by_category: {
    category: string;
    total: string;
    top_merchants: { merchant: string; total: string; count: number }[];
  }[];
  spending_by_detailed_category?: { category: string; total: string }[];
  /**
   * Per kind, in this currency: `total` the money received (inflow legs), `total_out` the money sent
   * (outflow legs, positive), `count` the legs. A cross-currency movement adds one leg to each currency.
   */
  transfers: { kind: TransferKind; reason: string; total: string; total_out: string; count: number }[];
}

/** net ÷ income with 4 decimals (0.2500 = 25%); null without income. */
export function savingsRate(net: bigint, income: bigint): string | null {
  return formatRatio(net, income, 4);
}

const byUnitsThenCategory = largestFirst<{ units: bigint; category: string }>(
  (row) => row.units,
  (row) => row.category,
);

export function periodStarts(start: string, end: string, interval: 'month' | 'week'): string[] {
  const starts: string[] = [];
  let cursor = interval === 'month' ? startOfMonth(start) : startOfWeek(start);
  while (cursor <= end) {
    starts.push(cursor);
    cursor = interval === 'month' ? addMonths(cursor, 1) : addDays(cursor, 7);
  }
  return starts;
}

function summarise(income: bigint, spending: bigint) {
  return {
    income: money(fromUnits(income)),
    spending: money(fromUnits(spending)),
    net: money(fromUnits(income - spending)),
    savings_rate: savingsRate(income - spending, income),
  };
}

export function buildCashflow(
  rows: CashflowRow[],
  options: {
    start: string;
    end: string;
    interval: 'month' | 'week';
    detailed: boolean;
    topMerchants: number;
  },
): CashflowCurrency[] {
  const currencies = [...new Set(rows.map((r) => r.currency))].sort();
  const starts = periodStarts(options.start, options.end, options.interval);
  return currencies.map((currency) => {
    const mine = rows.filter((r) => r.currency === currency);
    const byPeriod = new Map<string, { income: bigint; spending: bigint }>();
    for (const row of mine) {
      if (row.period === null || row.category !== null || row.detailed !== null) continue;
      const entry = byPeriod.get(row.period) ?? { income: 0n, spending: 0n };
      if (row.kind === 'income') entry.income += toUnits(row.total);
      if (row.kind === 'spending') entry.spending -= toUnits(row.total);
      byPeriod.set(row.period, entry);
    }
    let income = 0n;
    let spending = 0n;
    const periods = starts.map((start, i) => {
      const entry = byPeriod.get(start) ?? { income: 0n, spending: 0n };
      income += entry.income;
      spending += entry.spending;
      const next = starts[i + 1];
      const periodEnd = next
        ? addDays(next, -1)
        : options.interval === 'month'
          ? addDays(addMonths(start, 1), -1)
          : addDays(start, 6);
      return {
        start: start < options.start ? options.start : start,
        end: periodEnd > options.end ? options.end : periodEnd,
        ...summarise(entry.income, entry.spending),
      };
    });

    // Spending per category and merchant; a category's total is the sum of its merchants' (exact units).
    const byCategory = new Map<
      string,
      { units: bigint; merchants: { merchant: string; units: bigint; count: number }[] }
    >();
    for (const r of mine) {
      if (r.kind !== 'spending' || r.category === null || r.merchant === null) continue;
      const units = -toUnits(r.total);
      const entry = byCategory.get(r.category) ?? { units: 0n, merchants: [] };
      entry.units += units;
      entry.merchants.push({ merchant: r.merchant, units, count: r.count });
      byCategory.set(r.category, entry);
    }
    const spendingByCategory = [...byCategory]
      .map(([category, { units, merchants }]) => ({ category, units, merchants }))
      .sort(byUnitsThenCategory)
      .map(({ category, units, merchants }) => ({
        category,
        total: money(fromUnits(units)),
        top_merchants: merchants
          .sort(
            largestFirst(
              (m) => m.units,
              (m) => m.merchant,
            ),
          )
          .slice(0, options.topMerchants)
          .map(({ merchant, units: u, count }) => ({ merchant, total: money(fromUnits(u)), count })),
      }));

    // The stored sums give, per group, total = inflows − outflows and inflow = inflows: outflows = inflow − total.
    const transfers = new Map<TransferKind, { received: bigint; sent: bigint; count: number }>();
    for (const r of mine) {
      if (r.kind === 'income' || r.kind === 'spending' || r.period === null || r.category !== null) continue;
      const entry = transfers.get(r.kind) ?? { received: 0n, sent: 0n, count: 0 };
      const inflow = toUnits(r.inflow);
      entry.received += inflow;
      entry.sent += inflow - toUnits(r.total);
      entry.count += r.count;
      transfers.set(r.kind, entry);
    }

    return {
      currency,
      totals: summarise(income, spending),
      periods,
      spending_by_category: spendingByCategory,
      ...(options.detailed
        ? {
            spending_by_detailed_category: mine
              .filter((r) => r.kind === 'spending' && r.detailed !== null)
              .map((r) => ({ category: r.detailed!, units: -toUnits(r.total) }))
              .sort(byUnitsThenCategory)
              .map(({ category, units }) => ({ category, total: money(fromUnits(units)) })),
          }
        : {}),
      transfers: [...transfers]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([kind, { received, sent, count }]) => ({
          kind,
          reason: transferReasons[kind],
          total: money(fromUnits(received)),
          total_out: money(fromUnits(sent)),
          count,
        })),
    };
  });
}
