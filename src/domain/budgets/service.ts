import type { BudgetRow, BudgetsRepository } from '../../db/repositories/budgets.js';
import { errors } from '../../errors/catalog.js';
import { addDays, addMonths, daysBetween, formatDate } from '../../lib/dates.js';
import { fromUnits, largestFirst, money, toUnits } from '../../lib/money.js';
import { detectRecurring } from '../analytics/recurring.js';
import { medianUnits } from '../analytics/insights.js';

/**
 * Budgets (docs/domain.md, "Budgets"): a monthly limit per category and currency. Spending counts as cash
 * flow counts it (the cash-flow monthly sums: transfers and excluded transactions out, the owner's
 * category overrides in), posted and pending apart. With rollover, what was left of last month's budget
 * (or overspent: negative) at this amount is carried into this month.
 *
 * The month-end projection = spent + the pace of the spending that is not a recurring bill (per day so
 * far) × the days left + the recurring bills of the category still due this month (the recurring
 * detection of GET /v1/recurring; a bill's category is the one of its latest payment).
 */

/** Months the suggestion's median is taken over (complete months before the current one). */
export const SUGGEST_MONTHS = 6;
export const RECURRING_LOOKBACK_MONTHS = 18;

export interface SpendingRow {
  currency: string;
  category: string;
  month: string;
  pending: boolean;
  /** Positive = spent. */
  spent: string;
}

export interface CategorizedHistory {
  merchant: string;
  currency: string;
  direction: 'in' | 'out';
  dates: string[];
  amounts: string[];
  account_ids: string[];
  /** The category of the latest payment (the owner's override, else Plaid's primary). */
  category: string;
}

export interface BudgetMonth {
  month: string;
  monthStart: string;
  monthEnd: string;
  /** The last day counted: the month's last day, or today within the current month. */
  asOf: string;
}

export interface BudgetLine {
  category: string;
  currency: string;
  budgeted: string;
  rollover: boolean;
  rollover_carried: string;
  available: string;
  spent: string;
  pending: string;
  remaining: string;
  projected_spent: string;
  projected_remaining: string;
  recurring_due: string;
}

const m = (u: bigint) => money(fromUnits(u));

/** a × b ÷ c rounded half away from zero (c > 0). */
function scale(a: bigint, b: bigint, c: bigint): bigint {
  const doubled = (a * b * 2n) / c;
  return (doubled + (doubled >= 0n ? 1n : -1n)) / 2n;
}

/** Pure: the budget lines of one month, and their totals per currency. */
export function buildBudgetMonth(input: {
  month: BudgetMonth;
  budgets: Pick<BudgetRow, 'category' | 'currency' | 'amount' | 'rollover'>[];
  spending: SpendingRow[];
  histories: CategorizedHistory[];
}) {
  const { monthStart, monthEnd, asOf } = input.month;
  const previous = addMonths(monthStart, -1);
  const sum = (currency: string, category: string, month: string, pending: boolean) =>
    input.spending
      .filter(
        (s) =>
          s.currency === currency && s.category === category && s.month === month && s.pending === pending,
      )
      .reduce((total, s) => total + toUnits(s.spent), 0n);
  const elapsed = BigInt(daysBetween(monthStart, asOf) + 1);
  const left = BigInt(daysBetween(asOf, monthEnd));

  // Recurring bills per (currency, category): paid this month so far, and still due this month.
  const bills = new Map<string, { paid: bigint; due: bigint }>();
  for (const history of input.histories) {
    if (history.direction !== 'out') continue;
    for (const series of detectRecurring({ ...history, accountIds: history.account_ids }, asOf)) {
      if (series.status !== 'active') continue;
      const key = `${history.currency}|${history.category}`;
      const entry = bills.get(key) ?? { paid: 0n, due: 0n };
      const accounts = new Set(series.account_ids);
      history.dates.forEach((date, i) => {
        if (accounts.has(history.account_ids[i]!) && date >= monthStart && date <= asOf)
          entry.paid -= toUnits(history.amounts[i]!);
      });
      if (series.next_expected_date > asOf && series.next_expected_date <= monthEnd)
        entry.due -= toUnits(series.typical_amount);
      bills.set(key, entry);
    }
  }

  const lines = input.budgets
    .map((b) => {
      const amount = toUnits(b.amount);
      const spent = sum(b.currency, b.category, monthStart, false);
      const pending = sum(b.currency, b.category, monthStart, true);
      const carried = b.rollover ? amount - sum(b.currency, b.category, previous, false) : 0n;
      const available = amount + carried;
      const bill = bills.get(`${b.currency}|${b.category}`) ?? { paid: 0n, due: 0n };
      const paceBase = spent - bill.paid;
      const projected =
        left === 0n ? spent : spent + (paceBase > 0n ? scale(paceBase, left, elapsed) : 0n) + bill.due;
      return {
        category: b.category,
        currency: b.currency,
        units: { amount, carried, available, spent, pending, projected, due: left === 0n ? 0n : bill.due },
        rollover: b.rollover,
      };
    })
    .sort((a, b) =>
      a.currency !== b.currency ? (a.currency < b.currency ? -1 : 1) : a.category < b.category ? -1 : 1,
    );

  const toLine = (l: (typeof lines)[number]): BudgetLine => ({
    category: l.category,
    currency: l.currency,
    budgeted: m(l.units.amount),
    rollover: l.rollover,
    rollover_carried: m(l.units.carried),
    available: m(l.units.available),
    spent: m(l.units.spent),
    pending: m(l.units.pending),
    remaining: m(l.units.available - l.units.spent),
    projected_spent: m(l.units.projected),
    projected_remaining: m(l.units.available - l.units.projected),
    recurring_due: m(l.units.due),
  });
  const totals = [...new Set(lines.map((l) => l.currency))].map((currency) => {
    const mine = lines.filter((l) => l.currency === currency);
    const total = (pick: (u: (typeof lines)[number]['units']) => bigint) =>
      mine.reduce((s, l) => s + pick(l.units), 0n);
    return {
      currency,
      budgeted: m(total((u) => u.amount)),
      rollover_carried: m(total((u) => u.carried)),
      available: m(total((u) => u.available)),
      spent: m(total((u) => u.spent)),
      pending: m(total((u) => u.pending)),
      remaining: m(total((u) => u.available - u.spent)),
      projected_spent: m(total((u) => u.projected)),
      projected_remaining: m(total((u) => u.available - u.projected)),
      recurring_due: m(total((u) => u.due)),
    };
  });
  return { budgets: lines.map(toLine), totals };
}

/** Pure: a starting budget per currency and category, the median of the given complete months. */
export function suggestBudgets(spending: SpendingRow[], months: string[]) {
  const groups = new Map<string, { currency: string; category: string; byMonth: Map<string, bigint> }>();
  for (const row of spending) {
    if (row.pending || !months.includes(row.month)) continue;
    const key = `${row.currency}|${row.category}`;
    const group = groups.get(key) ?? { currency: row.currency, category: row.category, byMonth: new Map() };
    group.byMonth.set(row.month, (group.byMonth.get(row.month) ?? 0n) + toUnits(row.spent));
    groups.set(key, group);
  }
  return [...groups.values()]
    .map((g) => {
      const values = months.map((month) => g.byMonth.get(month) ?? 0n);
      return { ...g, median: medianUnits(values), values };
    })
    .filter((g) => g.median > 0n)
    .sort((a, b) =>
      a.currency !== b.currency
        ? a.currency < b.currency
          ? -1
          : 1
        : largestFirst<typeof a>(
            (x) => x.median,
            (x) => x.category,
          )(a, b),
    )
    .map((g) => ({
      currency: g.currency,
      category: g.category,
      suggested_amount: m(g.median),
      monthly_spending: g.values.map((u, i) => ({ month: months[i]!.slice(0, 7), spent: m(u) })),
    }));
}

export function createBudgetsService(deps: { budgets: BudgetsRepository; now?: () => Date }) {
  const now = deps.now ?? (() => new Date());
  const view = (row: BudgetRow) => ({
    category: row.category,
    currency: row.currency,
    amount: money(row.amount),
    rollover: row.rollover,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  });
  return {
    async put(
      userId: string,
      category: string,
      body: { amount: string; currency: string; rollover?: boolean | undefined },
    ) {
      return view(
        await deps.budgets.upsert(userId, {
          category,
          currency: body.currency,
          amount: body.amount,
          rollover: body.rollover ?? false,
        }),
      );
    },

    async delete(userId: string, category: string, currency: string): Promise<void> {
      if (!(await deps.budgets.delete(userId, category, currency))) throw errors.notFound('budget');
    },

    month(given: string | undefined): BudgetMonth {
      const today = formatDate(now());
      const month = given ?? today.slice(0, 7);
      const monthStart = `${month}-01`;
      if (monthStart > today)
        throw errors.validationFailed([
          { field: 'query.month', message: 'must not be after the current month' },
        ]);
      const monthEnd = addDays(addMonths(monthStart, 1), -1);
      return { month, monthStart, monthEnd, asOf: monthEnd < today ? monthEnd : today };
    },

    async forMonth(userId: string, month: BudgetMonth) {
      const [budgets, spending, histories] = await Promise.all([
        deps.budgets.list(userId),
        deps.budgets.spending(userId, addMonths(month.monthStart, -1), month.monthStart),
        deps.budgets.categorizedHistories(
          userId,
          addMonths(month.asOf, -RECURRING_LOOKBACK_MONTHS),
          month.asOf,
        ),
      ]);
      return buildBudgetMonth({ month, budgets, spending, histories });
    },

    async suggest(userId: string) {
      const current = `${formatDate(now()).slice(0, 7)}-01`;
      const months = Array.from({ length: SUGGEST_MONTHS }, (_, i) => addMonths(current, i - SUGGEST_MONTHS));
      const spending = await deps.budgets.spending(userId, months[0]!, months[months.length - 1]!);
      return {
        months: months.map((month) => month.slice(0, 7)),
        suggestions: suggestBudgets(spending, months),
      };
    },
  };
}

export type BudgetsService = ReturnType<typeof createBudgetsService>;
