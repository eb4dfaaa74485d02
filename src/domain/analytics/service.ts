import type { AnalyticsRepository } from '../../db/repositories/analytics.js';
import { errors } from '../../errors/catalog.js';
import { JsonText } from '../../lib/json-text.js';
import { addDays, addMonths, formatDate, spanProblem, startOfMonth, type Interval } from '../../lib/dates.js';
import { formatQuantity, formatRatio, fromUnits, largestFirst, money, toUnits } from '../../lib/money.js';
import { buildCashflow, type CashflowCurrency } from './cashflow.js';
import { holdingTotals } from './holdings.js';
import { isLiability } from './net-worth.js';
import { detectRecurring, type RecurringSeries } from './recurring.js';

/**
 * The longest ranges the analytics answer, in periods of each interval: 20 years at every interval
 * (docs/security.md). Each period is a row of the answer, so these bound its size and its CPU.
 */
export const CASHFLOW_MAX_PERIODS = { week: 1_045, month: 240 } as const;
export const NET_WORTH_MAX_PERIODS = { day: 7_305, week: 1_045, month: 240 } as const;

/**
 * A range whose missing bounds were filled in: the order, and the span (a start_date alone can reach
 * back further than its route allows: the schema checked it only when both bounds were given).
 */
function checkedRange(
  given: { start?: string },
  range: { start: string; end: string },
  interval: Interval,
  maxPeriods: number,
): { start: string; end: string } {
  const { start, end } = range;
  if (end < start)
    throw errors.validationFailed([{ field: 'query.start_date', message: 'must not be after end_date' }]);
  const problem = spanProblem(start, end, interval, maxPeriods);
  if (problem)
    throw errors.validationFailed([
      { field: given.start ? 'query.start_date' : 'query.end_date', message: problem },
    ]);
  return range;
}

/** The read side of analytics: answers from the read model, formatted for the wire. */
export function createAnalyticsService(deps: { analytics: AnalyticsRepository; now?: () => Date }) {
  const now = deps.now ?? (() => new Date());
  const today = () => formatDate(now());

  return {
    /** Missing bounds: the 12 calendar months ending with end_date (default today). */
    cashflowRange(given: { start?: string; end?: string; interval: 'month' | 'week' }): {
      start: string;
      end: string;
    } {
      const end = given.end ?? today();
      const start = given.start ?? addMonths(startOfMonth(end), -11);
      return checkedRange(given, { start, end }, given.interval, CASHFLOW_MAX_PERIODS[given.interval]);
    },

    async cashflow(
      userId: string,
      q: {
        start: string;
        end: string;
        interval: 'month' | 'week';
        includePending: boolean;
        detailed: boolean;
      },
    ): Promise<CashflowCurrency[]> {
      const rows = await deps.analytics.cashflow(userId, q);
      return buildCashflow(rows, { ...q, topMerchants: 5 });
    },

    async netWorthNow(userId: string) {
      const accounts = await deps.analytics.accountsOfUser(userId);
      const byCurrency = new Map<
        string,
        {
          assets: bigint;
          liabilities: bigint;
          byType: Map<string, bigint>;
          accounts: { account_id: string; name: string; type: string; balance: string }[];
        }
      >();
      for (const account of accounts) {
        const balance =
          account.currentBalance ?? (isLiability(account.type) ? null : account.availableBalance);
        if (balance === null) continue;
        const units = toUnits(balance);
        const entry = byCurrency.get(account.currency) ?? {
          assets: 0n,
          liabilities: 0n,
          byType: new Map<string, bigint>(),
          accounts: [] as { account_id: string; name: string; type: string; balance: string }[],
        };
        if (isLiability(account.type)) entry.liabilities -= units;
        else entry.assets += units;
        entry.byType.set(account.type, (entry.byType.get(account.type) ?? 0n) + units);
        entry.accounts.push({
          account_id: account.id,
          name: account.name,
          type: account.type,
          balance: money(balance),
        });
        byCurrency.set(account.currency, entry);
      }
      return [...byCurrency]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([currency, e]) => ({
          currency,
          assets: money(fromUnits(e.assets)),
          liabilities: money(fromUnits(e.liabilities)),
          net_worth: money(fromUnits(e.assets - e.liabilities)),
          by_type: [...e.byType]
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(([type, units]) => ({ type, total: money(fromUnits(units)) })),
          by_account: e.accounts,
        }));
    },

    /** The history points, rendered by the materializer (see netWorthPointJson), as a JSON array. */
    async netWorthHistory(
      userId: string,
      q: { start: string; end: string; interval: 'day' | 'week' | 'month' },
    ): Promise<JsonText> {
      return new JsonText(await deps.analytics.netWorthHistoryJson(userId, q));
    },

    /** Missing bounds: the 90 days ending with end_date (default today). */
    netWorthRange(given: { start?: string; end?: string; interval: 'day' | 'week' | 'month' }): {
      start: string;
      end: string;
    } {
      const end = given.end ?? today();
      const start = given.start ?? addDays(end, -89);
      return checkedRange(given, { start, end }, given.interval, NET_WORTH_MAX_PERIODS[given.interval]);
    },

    async recurring(userId: string, lookbackMonths = 18): Promise<RecurringSeries[]> {
      const asOf = today();
      const histories = await deps.analytics.merchantHistories(userId, addMonths(asOf, -lookbackMonths));
      return histories
        .flatMap((h) =>
          detectRecurring(
            {
              merchant: h.merchant,
              currency: h.currency,
              direction: h.direction,
              dates: h.dates,
              amounts: h.amounts,
              accountIds: h.account_ids,
            },
            asOf,
          ),
        )
        .map((s) => ({ ...s, typical_amount: money(s.typical_amount) }))
        .sort(
          (a, b) =>
            compareText(a.direction, b.direction) ||
            compareText(a.merchant, b.merchant) ||
            compareText(a.currency, b.currency) ||
            compareText(a.account_ids.join(','), b.account_ids.join(',')),
        );
    },

    async holdings(userId: string) {
      const positions = await deps.analytics.holdingPositions(userId);
      const totals = holdingTotals(positions);
      const currencies = [...new Set(totals.map((t) => t.currency))].sort();
      const pct = (part: string, whole: string) => formatRatio(toUnits(part) * 100n, toUnits(whole), 2);
      const byValue = <T extends { value: string }>(label: (row: T) => string) =>
        largestFirst((row: T) => toUnits(row.value), label);
      const accountNames = new Map(positions.map((p) => [p.accountId, p.accountName]));
      return {
        positions: positions.map((p) => ({
          account_id: p.accountId,
          account_name: p.accountName,
          security_id: p.securityId,
          ticker: p.ticker,
          name: p.securityName,
          security_type: p.securityType,
          is_cash_equivalent: p.isCashEquivalent,
          quantity: formatQuantity(p.quantity),
          price: formatQuantity(p.price),
          price_as_of: p.priceAsOf,
          value: money(p.value),
          cost_basis: p.costBasis === null ? null : money(p.costBasis),
          unrealized_gain: p.gain === null ? null : money(p.gain),
          unrealized_gain_percent: p.gainPercent,
          currency: p.currency,
        })),
        totals: currencies.map((currency) => {
          const total = totals.find(
            (t) => t.currency === currency && t.securityType === null && t.accountId === null,
          )!;
          const gain =
            total.costBasis === null
              ? null
              : fromUnits(toUnits(total.valueWithBasis ?? '0') - toUnits(total.costBasis));
          return {
            currency,
            value: money(total.value),
            cost_basis: total.costBasis === null ? null : money(total.costBasis),
            unrealized_gain: gain === null ? null : money(gain),
            unrealized_gain_percent:
              gain === null || total.costBasis === null ? null : pct(gain, total.costBasis),
            allocation_by_security_type: totals
              .filter((t) => t.currency === currency && t.securityType !== null)
              .sort(byValue((t) => t.securityType!))
              .map((t) => ({
                security_type: t.securityType!,
                value: money(t.value),
                percent: pct(t.value, total.value),
              })),
            allocation_by_account: totals
              .filter((t) => t.currency === currency && t.accountId !== null)
              .sort(byValue((t) => t.accountId!))
              .map((t) => ({
                account_id: t.accountId!,
                account_name: accountNames.get(t.accountId!) ?? null,
                value: money(t.value),
                percent: pct(t.value, total.value),
              })),
          };
        }),
      };
    },
  };
}

export type AnalyticsService = ReturnType<typeof createAnalyticsService>;

/** Code-unit order, for a deterministic list. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
