import { addDays, addMonths, daysBetween } from '../../lib/dates.js';
import { fromUnits, toUnits } from '../../lib/money.js';

/**
 * Pure detector of recurring series (subscriptions, bills, salary) in one merchant's history.
 * A series is recurring when the typical gap between occurrences matches a cadence, at least 75% of
 * the gaps are within that cadence's tolerance, and at least 75% of the amounts are within 30% of the
 * typical (median) amount.
 */
export const cadences = {
  weekly: { days: 7, tolerance: 2, minOccurrences: 4 },
  biweekly: { days: 14, tolerance: 3, minOccurrences: 3 },
  monthly: { days: 30, tolerance: 4, minOccurrences: 3 },
  quarterly: { days: 91, tolerance: 8, minOccurrences: 3 },
  annual: { days: 365, tolerance: 12, minOccurrences: 2 },
} as const;
export type Cadence = keyof typeof cadences;

export interface MerchantHistory {
  merchant: string;
  currency: string;
  direction: 'in' | 'out';
  /** Ascending dates and their amounts (exact decimal strings, our sign). */
  dates: string[];
  amounts: string[];
  accountIds: string[];
}

export interface RecurringSeries {
  merchant: string;
  currency: string;
  direction: 'in' | 'out';
  cadence: Cadence;
  typical_amount: string;
  occurrences: number;
  first_date: string;
  last_date: string;
  next_expected_date: string;
  status: 'active' | 'lapsed';
  account_ids: string[];
}

function median(values: bigint[]): bigint {
  const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

export function nextDate(last: string, cadence: Cadence): string {
  if (cadence === 'monthly') return addMonths(last, 1);
  if (cadence === 'quarterly') return addMonths(last, 3);
  if (cadence === 'annual') return addMonths(last, 12);
  return addDays(last, cadences[cadence].days);
}

export function detectSeries(history: MerchantHistory, asOf: string): RecurringSeries | undefined {
  const n = history.dates.length;
  if (n < 2) return undefined;
  const gaps = history.dates.slice(1).map((date, i) => daysBetween(history.dates[i]!, date));
  const typicalGap = [...gaps].sort((a, b) => a - b)[Math.floor((gaps.length - 1) / 2)]!;
  const cadence = (Object.keys(cadences) as Cadence[]).find(
    (name) => Math.abs(typicalGap - cadences[name].days) <= cadences[name].tolerance,
  );
  if (!cadence) return undefined;
  const rule = cadences[cadence];
  if (n < rule.minOccurrences) return undefined;
  const regular = gaps.filter((gap) => Math.abs(gap - rule.days) <= rule.tolerance).length;
  if (regular < Math.ceil(gaps.length * 0.75)) return undefined;

  const units = history.amounts.map(toUnits);
  const typical = median(units);
  const absTypical = typical < 0n ? -typical : typical;
  const stable = units.filter((u) => {
    const diff = u - typical;
    return (diff < 0n ? -diff : diff) * 10n <= absTypical * 3n;
  }).length;
  if (stable < Math.ceil(n * 0.75)) return undefined;

  const last = history.dates[n - 1]!;
  const next = nextDate(last, cadence);
  return {
    merchant: history.merchant,
    currency: history.currency,
    direction: history.direction,
    cadence,
    typical_amount: fromUnits(typical),
    occurrences: n,
    first_date: history.dates[0]!,
    last_date: last,
    next_expected_date: next,
    status: daysBetween(next, asOf) <= rule.tolerance ? 'active' : 'lapsed',
    account_ids: [...new Set(history.accountIds)].sort(),
  };
}

/**
 * The recurring series in one merchant's history (same merchant, currency and direction): the whole
 * history as one series when it is one (a bill that moved from one card to another stays one series);
 * otherwise each account's part on its own. A salary split between two accounts, or the same
 * subscription paid from two banks, arrives twice on the same dates: together its gaps alternate between
 * 0 and the cadence and nothing would be found, while each account holds a regular series.
 */
export function detectRecurring(history: MerchantHistory, asOf: string): RecurringSeries[] {
  const whole = detectSeries(history, asOf);
  if (whole) return [whole];
  const accounts = [...new Set(history.accountIds)].sort();
  if (accounts.length < 2) return [];
  return accounts.flatMap((accountId) => {
    const at = history.accountIds.flatMap((id, i) => (id === accountId ? [i] : []));
    const series = detectSeries(
      {
        ...history,
        dates: at.map((i) => history.dates[i]!),
        amounts: at.map((i) => history.amounts[i]!),
        accountIds: at.map(() => accountId),
      },
      asOf,
    );
    return series ? [series] : [];
  });
}
