import type { InsightsRepository } from '../../db/repositories/insights.js';
import { errors } from '../../errors/catalog.js';
import { addDays, addMonths, daysBetween, formatDate } from '../../lib/dates.js';
import { formatRatio, fromUnits, money, toUnits } from '../../lib/money.js';
import type { AccountsRepository } from '../../db/repositories/accounts.js';
import { toAccountView, type AccountView } from '../accounts/service.js';
import { cadences, detectRecurring, type RecurringSeries } from './recurring.js';

/**
 * Pure assembly of "what is different this month" (GET /v1/insights, docs/domain.md): each insight has a
 * type, its figures (exact decimal strings with their currency) and the ids of the transactions behind
 * it, so that an assistant can cite them. The answer is bounded: at most MAX_PER_TYPE insights of each
 * type per currency and MAX_IDS ids per insight (with the full count).
 */

export const INSIGHT_TYPES = [
  'category_spending',
  'largest_transaction',
  'new_merchant',
  'subscription_price_changed',
  'subscription_appeared',
  'subscription_lapsed',
  'income_missing',
  'fees_and_interest',
  'stale_account',
] as const;
export type InsightType = (typeof INSIGHT_TYPES)[number];

export const MAX_PER_TYPE = 8;
export const MAX_IDS = 10;
/** Trailing complete months the category medians are taken over. */
export const TRAILING_MONTHS = 6;
/** Months of history the recurring detection reads (as GET /v1/recurring). */
export const RECURRING_LOOKBACK_MONTHS = 18;

export interface Insight {
  type: InsightType;
  currency: string | null;
  category: string | null;
  merchant: string | null;
  account_ids: string[];
  /** The month's figure (spending as a positive amount; transactions and subscriptions signed). */
  amount: string | null;
  /** What it is compared with: the trailing median, the previous price, the typical amount. */
  baseline: string | null;
  deviation: string | null;
  deviation_percent: string | null;
  date: string | null;
  expected_date: string | null;
  transaction_ids: string[];
  transaction_count: number;
}

/** Spending per category and month (positive), from the cash-flow monthly sums. */
export interface CategoryMonth {
  currency: string;
  category: string;
  month: string;
  spent: string;
}

/** A posted transaction of the month that is no transfer between own accounts. */
export interface MonthTransaction {
  id: string;
  accountId: string;
  date: string;
  amount: string;
  currency: string;
  category: string;
  merchant: string;
}

export interface MerchantHistoryWithIds {
  merchant: string;
  currency: string;
  direction: 'in' | 'out';
  dates: string[];
  amounts: string[];
  account_ids: string[];
  ids: string[];
}

export interface InvestmentFee {
  id: string;
  accountId: string;
  date: string;
  amount: string;
  currency: string;
}

export interface InsightsInput {
  /** First day of the month, last day, and the day the answer is as of (≤ the last day). */
  monthStart: string;
  monthEnd: string;
  asOf: string;
  categoryMonths: CategoryMonth[];
  transactions: MonthTransaction[];
  /** (currency, merchant) first seen this month in the cash-flow sums. */
  newMerchants: { currency: string; merchant: string }[];
  histories: MerchantHistoryWithIds[];
  investmentFees: InvestmentFee[];
  accounts: Pick<AccountView, 'id' | 'name' | 'stale' | 'last_synced_at' | 'item_health'>[];
}

/** The median of exact amounts (mean of the middle two, rounded half away from zero to 1/10,000). */
export function medianUnits(values: bigint[]): bigint {
  if (values.length === 0) return 0n;
  const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length % 2 === 1) return sorted[mid]!;
  const sum = sorted[mid - 1]! + sorted[mid]!;
  return sum >= 0n ? (sum + 1n) / 2n : (sum - 1n) / 2n;
}

const blank = (type: InsightType): Insight => ({
  type,
  currency: null,
  category: null,
  merchant: null,
  account_ids: [],
  amount: null,
  baseline: null,
  deviation: null,
  deviation_percent: null,
  date: null,
  expected_date: null,
  transaction_ids: [],
  transaction_count: 0,
});

const m = (units: bigint) => money(fromUnits(units));
const percent = (delta: bigint, base: bigint) => formatRatio(delta * 100n, base, 2);
const absUnits = (u: bigint) => (u < 0n ? -u : u);

/** Largest magnitude first, then the lower id: a deterministic citation order. */
const byMagnitude = (a: MonthTransaction, b: MonthTransaction) => {
  const x = absUnits(toUnits(a.amount));
  const y = absUnits(toUnits(b.amount));
  return x !== y ? (x > y ? -1 : 1) : a.id < b.id ? -1 : 1;
};

function cite(
  rows: MonthTransaction[],
): Pick<Insight, 'transaction_ids' | 'transaction_count' | 'account_ids'> {
  const sorted = [...rows].sort(byMagnitude);
  return {
    transaction_ids: sorted.slice(0, MAX_IDS).map((r) => r.id),
    transaction_count: rows.length,
    account_ids: [...new Set(rows.map((r) => r.accountId))].sort(),
  };
}

/** The months [first of `monthStart` − n months, …, the month before], as first days. */
export function trailingMonths(monthStart: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => addMonths(monthStart, i - n));
}

export function buildInsights(input: InsightsInput): Insight[] {
  const out: Insight[] = [];
  const outflows = input.transactions.filter((t) => toUnits(t.amount) < 0n);
  const currencies = [
    ...new Set([
      ...input.categoryMonths.map((c) => c.currency),
      ...input.transactions.map((t) => t.currency),
    ]),
  ].sort();

  // Spending per category against its trailing median.
  const trailing = trailingMonths(input.monthStart, TRAILING_MONTHS);
  for (const currency of currencies) {
    const rows = input.categoryMonths.filter((c) => c.currency === currency);
    const categories = [...new Set(rows.map((r) => r.category))];
    const items = categories.map((category) => {
      const of = (month: string) =>
        rows
          .filter((r) => r.category === category && r.month === month)
          .reduce((s, r) => s + toUnits(r.spent), 0n);
      const spent = of(input.monthStart);
      const median = medianUnits(trailing.map(of));
      return { category, spent, median, delta: spent - median };
    });
    items
      .filter((i) => i.spent !== 0n || i.median !== 0n)
      .sort((a, b) =>
        absUnits(a.delta) !== absUnits(b.delta)
          ? absUnits(a.delta) > absUnits(b.delta)
            ? -1
            : 1
          : a.category < b.category
            ? -1
            : 1,
      )
      .slice(0, MAX_PER_TYPE)
      .forEach((i) =>
        out.push({
          ...blank('category_spending'),
          currency,
          category: i.category,
          amount: m(i.spent),
          baseline: m(i.median),
          deviation: m(i.delta),
          deviation_percent: percent(i.delta, i.median),
          ...cite(outflows.filter((t) => t.currency === currency && t.category === i.category)),
        }),
      );
  }

  // The largest outflows.
  for (const currency of currencies) {
    outflows
      .filter((t) => t.currency === currency)
      .sort(byMagnitude)
      .slice(0, 5)
      .forEach((t) =>
        out.push({
          ...blank('largest_transaction'),
          currency,
          category: t.category,
          merchant: t.merchant,
          account_ids: [t.accountId],
          amount: money(t.amount),
          date: t.date,
          transaction_ids: [t.id],
          transaction_count: 1,
        }),
      );
  }

  // Merchants seen for the first time.
  const fresh = input.newMerchants
    .map((n) => {
      const rows = input.transactions.filter((t) => t.currency === n.currency && t.merchant === n.merchant);
      return { ...n, rows, total: rows.reduce((s, r) => s + toUnits(r.amount), 0n) };
    })
    .filter((n) => n.rows.length > 0)
    .sort((a, b) =>
      absUnits(a.total) !== absUnits(b.total)
        ? absUnits(a.total) > absUnits(b.total)
          ? -1
          : 1
        : a.merchant < b.merchant
          ? -1
          : 1,
    );
  for (const currency of currencies) {
    fresh
      .filter((n) => n.currency === currency)
      .slice(0, MAX_PER_TYPE)
      .forEach((n) =>
        out.push({
          ...blank('new_merchant'),
          currency,
          merchant: n.merchant,
          amount: m(n.total),
          date: [...n.rows].sort((a, b) => (a.date < b.date ? -1 : 1))[0]!.date,
          ...cite(n.rows),
        }),
      );
  }

  out.push(...recurringInsights(input));

  // Fees and interest paid (BANK_FEES, investment fees), per currency.
  for (const currency of currencies) {
    const fees = input.transactions.filter((t) => t.currency === currency && t.category === 'BANK_FEES');
    const investment = input.investmentFees.filter((f) => f.currency === currency);
    if (fees.length === 0 && investment.length === 0) continue;
    const rows: MonthTransaction[] = [
      ...fees,
      ...investment.map((f) => ({ ...f, category: 'INVESTMENT_FEE', merchant: '' })),
    ];
    const total = rows.reduce((s, r) => s + toUnits(r.amount), 0n);
    out.push({ ...blank('fees_and_interest'), currency, amount: m(-total), ...cite(rows) });
  }

  // Accounts gone stale (their institution last synced over 36 hours ago, or needs its owner).
  input.accounts
    .filter((a) => a.stale)
    .sort((a, b) => (a.id < b.id ? -1 : 1))
    .forEach((a) =>
      out.push({
        ...blank('stale_account'),
        account_ids: [a.id],
        date: a.last_synced_at ? a.last_synced_at.slice(0, 10) : null,
      }),
    );
  return out;
}

/** The occurrences of `series` in its history: indexes of its accounts' rows. */
function occurrences(history: MerchantHistoryWithIds, series: RecurringSeries): number[] {
  const accounts = new Set(series.account_ids);
  return history.dates.flatMap((_, i) => (accounts.has(history.account_ids[i]!) ? [i] : []));
}

function recurringInsights(input: InsightsInput): Insight[] {
  const changed: Insight[] = [];
  const appeared: Insight[] = [];
  const lapsed: Insight[] = [];
  const missing: Insight[] = [];
  const inMonth = (date: string) => date >= input.monthStart && date <= input.monthEnd;
  const appearedSince = addMonths(input.monthStart, -2);
  for (const history of input.histories) {
    for (const series of detectRecurring(
      {
        merchant: history.merchant,
        currency: history.currency,
        direction: history.direction,
        dates: history.dates,
        amounts: history.amounts,
        accountIds: history.account_ids,
      },
      input.asOf,
    )) {
      const at = occurrences(history, series);
      const last = at[at.length - 1]!;
      const base = {
        currency: series.currency,
        merchant: series.merchant,
        account_ids: series.account_ids,
      };
      const ids = (indexes: number[]) => ({
        transaction_ids: indexes
          .slice(-MAX_IDS)
          .reverse()
          .map((i) => history.ids[i]!),
        transaction_count: indexes.length,
      });
      const tolerance = cadences[series.cadence].tolerance;
      if (series.direction === 'out') {
        const previous = at[at.length - 2];
        const lastAmount = toUnits(history.amounts[last]!);
        if (
          previous !== undefined &&
          inMonth(history.dates[last]!) &&
          lastAmount !== toUnits(history.amounts[previous]!)
        ) {
          const before = toUnits(history.amounts[previous]!);
          changed.push({
            ...blank('subscription_price_changed'),
            ...base,
            amount: m(lastAmount),
            baseline: m(before),
            deviation: m(lastAmount - before),
            deviation_percent: percent(absUnits(lastAmount) - absUnits(before), absUnits(before)),
            date: history.dates[last]!,
            ...ids([previous, last]),
          });
        }
        if (series.first_date >= appearedSince && inMonth(series.last_date)) {
          appeared.push({
            ...blank('subscription_appeared'),
            ...base,
            amount: m(lastAmount),
            baseline: money(series.typical_amount),
            date: series.first_date,
            expected_date: series.next_expected_date,
            ...ids(at),
          });
        }
        if (series.status === 'lapsed' && series.next_expected_date <= input.monthEnd) {
          const overdueSince = addDays(series.next_expected_date, tolerance);
          if (overdueSince >= addMonths(input.monthStart, -1)) {
            lapsed.push({
              ...blank('subscription_lapsed'),
              ...base,
              baseline: money(series.typical_amount),
              date: series.last_date,
              expected_date: series.next_expected_date,
              ...ids([last]),
            });
          }
        }
      } else if (
        inMonth(series.next_expected_date) &&
        daysBetween(series.next_expected_date, input.asOf) > tolerance
      ) {
        // Income expected this month (its date and tolerance passed) that did not arrive.
        missing.push({
          ...blank('income_missing'),
          ...base,
          baseline: money(series.typical_amount),
          date: series.last_date,
          expected_date: series.next_expected_date,
          ...ids([last]),
        });
      }
    }
  }
  const order = (a: Insight, b: Insight) =>
    (a.currency ?? '') < (b.currency ?? '')
      ? -1
      : (a.currency ?? '') > (b.currency ?? '')
        ? 1
        : (a.merchant ?? '') < (b.merchant ?? '')
          ? -1
          : (a.merchant ?? '') > (b.merchant ?? '')
            ? 1
            : a.account_ids.join() < b.account_ids.join()
              ? -1
              : 1;
  return [changed, appeared, lapsed, missing].flatMap((list) => list.sort(order).slice(0, MAX_PER_TYPE));
}

/** A month asked: its first and last day and the day the answer is as of (today within the month). */
export interface InsightsMonth {
  month: string;
  monthStart: string;
  monthEnd: string;
  asOf: string;
}

/** GET /v1/insights: the month's bounds, the reads, the calculator. */
export function createInsightsService(deps: {
  insights: InsightsRepository;
  accounts: Pick<AccountsRepository, 'listForUser'>;
  now?: () => Date;
}) {
  const now = deps.now ?? (() => new Date());
  return {
    /** The month asked (default: the current one) as its first and last day and the day it is as of. */
    month(given: string | undefined): InsightsMonth {
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

    async insights(userId: string, month: InsightsMonth): Promise<Insight[]> {
      const { monthStart, monthEnd, asOf } = month;
      const repo = deps.insights;
      const [categoryMonths, transactions, newMerchants, histories, investmentFees, accounts] =
        await Promise.all([
          repo.categoryMonths(userId, addMonths(monthStart, -TRAILING_MONTHS), monthStart),
          repo.monthTransactions(userId, monthStart, asOf),
          repo.newMerchants(userId, monthStart),
          repo.merchantHistories(userId, addMonths(asOf, -RECURRING_LOOKBACK_MONTHS), asOf),
          repo.investmentFees(userId, monthStart, asOf),
          deps.accounts.listForUser(userId),
        ]);
      return buildInsights({
        monthStart,
        monthEnd,
        asOf,
        categoryMonths,
        transactions,
        newMerchants,
        histories,
        investmentFees,
        accounts: accounts.map((row) => toAccountView(row, now())),
      });
    },
  };
}

export type InsightsService = ReturnType<typeof createInsightsService>;
