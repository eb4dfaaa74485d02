import { z } from 'zod';
import { chooseHistoryInterval } from '../../domain/analytics/history-interval.js';
import { CASHFLOW_MAX_PERIODS, NET_WORTH_MAX_PERIODS } from '../../domain/analytics/service.js';
import { cashflowResponse } from '../../http/routes/cashflow.js';
import { holdingsResponse } from '../../http/routes/holdings.js';
import { netWorthResponse } from '../../http/routes/net-worth.js';
import { recurringSeriesSchema } from '../../http/routes/recurring.js';
import { checkDateRange, envelopeShape, optionalDateParam } from '../../http/schemas/common.js';
import {
  addDays,
  addMonths,
  periodsBetween,
  startOfMonth,
  startOfWeek,
  type Interval,
} from '../../lib/dates.js';
import { fits, resultChars, RESULT_TARGET_CHARS, toolResult } from '../budget.js';
import { cursorArgument, nextCursorField, truncatedField, type McpToolDeps } from '../deps.js';
import { pageToBudget } from '../paging.js';
import { defineTool, MONEY_RULES, READ_ONLY } from '../tool.js';

/** Net-worth history points per answer when the interval is left to us (all currencies together). */
export const MCP_HISTORY_MAX_POINTS = 100;

/** The first day of the last `count` periods ending with `end`'s period (day, Monday week, month). */
function lastPeriodsStart(end: string, interval: Interval, count: number): string {
  if (interval === 'day') return addDays(end, -(count - 1));
  if (interval === 'week') return addDays(startOfWeek(end), -7 * (count - 1));
  return addMonths(startOfMonth(end), -(count - 1));
}

/** How many of `periods` to keep so that an answer of `size` characters would fit (at least 1, fewer). */
function periodsThatFit(periods: number, size: number): number {
  return Math.max(1, Math.min(periods - 1, Math.floor((periods * RESULT_TARGET_CHARS) / size)));
}

const earlierNote = (tool: string, start: string, requested: string) =>
  `Only ${start} onwards fit this answer (${requested} was asked): call ${tool} again with ` +
  `end_date = ${addDays(start, -1)} for the earlier part`;

export function analyticsTools(deps: McpToolDeps) {
  return [
    defineTool({
      name: 'get_cash_flow',
      title: 'Cash flow',
      description:
        'Income, spending, net and savings rate per month or week, spending by category with top merchants, ' +
        'and transfers between my own accounts reported apart (GET /v1/cashflow/summary). Defaults to the ' +
        'last 12 months by month; pending transactions excluded unless include_pending. spending is a ' +
        'positive total of outflows less refunds; income and net are signed. When the range does not fit ' +
        `the answer budget, its most recent part comes back and \`truncated\` says so. ${MONEY_RULES}`,
      input: z
        .strictObject({
          start_date: optionalDateParam(
            'First day (default: the first day of the 12 calendar months ending with end_date)',
          ),
          end_date: optionalDateParam('Last day (default: today)'),
          interval: z.enum(['month', 'week']).optional().describe('month (default) or week'),
          include_pending: z.boolean().default(false).describe('Count pending transactions too'),
          detailed: z.boolean().default(false).describe('Add spending by detailed category'),
        })
        .superRefine(checkDateRange(CASHFLOW_MAX_PERIODS)),
      output: cashflowResponse.extend({ truncated: truncatedField }),
      annotations: READ_ONLY,
      scope: 'read',
      async run(args, { userId }) {
        const interval = args.interval ?? 'month';
        const range = deps.analytics.cashflowRange({
          start: args.start_date,
          end: args.end_date,
          interval,
        });
        const envelope = await deps.accounts.envelope(userId);
        let start = range.start;
        let truncated: string | null = null;
        for (;;) {
          const currencies = await deps.analytics.cashflow(userId, {
            start,
            end: range.end,
            interval,
            includePending: args.include_pending,
            detailed: args.detailed,
          });
          const answer = {
            ...envelope,
            start_date: start,
            end_date: range.end,
            interval,
            include_pending: args.include_pending,
            currencies,
            truncated,
          };
          const periods = periodsBetween(start, range.end, interval);
          if (periods <= 1 || fits(answer)) return answer;
          start = lastPeriodsStart(
            range.end,
            interval,
            periodsThatFit(periods, resultChars(toolResult(answer))),
          );
          truncated = earlierNote('get_cash_flow', start, `${range.start} to ${range.end}`);
        }
      },
    }),

    defineTool({
      name: 'get_net_worth',
      title: 'Net worth',
      description:
        'Assets, liabilities and net worth now per currency (by account type and by account), and their ' +
        'history (GET /v1/net-worth). History defaults to the last 90 days; without interval the finest of ' +
        `day, week and month that keeps it within ${MCP_HISTORY_MAX_POINTS} points is chosen (the answer ` +
        'names it in history.interval); for week and month each point is the last known day of the period. ' +
        'liabilities are what is owed, as a positive amount; net_worth = assets − liabilities. When even ' +
        `the coarsest history does not fit, its most recent part comes back and \`truncated\` says so. ${MONEY_RULES}`,
      input: z
        .strictObject({
          start_date: optionalDateParam('First day of the history (default: 89 days before end_date)'),
          end_date: optionalDateParam('Last day of the history (default: today)'),
          interval: z
            .enum(['day', 'week', 'month'])
            .optional()
            .describe('day, week or month (default: chosen to fit, see the description)'),
        })
        .superRefine(checkDateRange(NET_WORTH_MAX_PERIODS)),
      output: netWorthResponse.extend({ truncated: truncatedField }),
      annotations: READ_ONLY,
      scope: 'read',
      async run(args, { userId }) {
        const asked = args.interval;
        const range = deps.analytics.netWorthRange({
          start: args.start_date,
          end: args.end_date,
          interval: asked ?? 'day',
        });
        const [envelope, currencies] = await Promise.all([
          deps.accounts.envelope(userId),
          deps.analytics.netWorthNow(userId),
        ]);
        const perCurrency = Math.max(1, Math.floor(MCP_HISTORY_MAX_POINTS / Math.max(1, currencies.length)));
        let interval: Interval = asked ?? chooseHistoryInterval(range, perCurrency);
        let start = range.start;
        let truncated: string | null = null;
        for (;;) {
          const points = JSON.parse(
            (await deps.analytics.netWorthHistory(userId, { start, end: range.end, interval })).text,
          ) as z.input<typeof netWorthResponse>['history']['points'];
          const answer = {
            ...envelope,
            currencies,
            history: { start_date: start, end_date: range.end, interval, points },
            truncated,
          };
          if (fits(answer)) return answer;
          if (!asked && interval !== 'month') {
            interval = interval === 'day' ? 'week' : 'month';
            continue;
          }
          const periods = periodsBetween(start, range.end, interval);
          if (periods <= 1) return answer;
          start = lastPeriodsStart(
            range.end,
            interval,
            periodsThatFit(periods, resultChars(toolResult(answer))),
          );
          truncated = earlierNote('get_net_worth', start, `${range.start} to ${range.end}`);
        }
      },
    }),

    defineTool({
      name: 'get_holdings',
      title: 'Investment holdings',
      description:
        'My investment positions (quantity, price and its date, value, cost basis, unrealized gain) and, per ' +
        'currency, totals with allocation by security type and by account (GET /v1/holdings). Totals always ' +
        'cover every position; positions that do not fit the answer come with next_cursor. cost_basis is ' +
        `the total cost of a position, not per share. ${MONEY_RULES}`,
      input: z.strictObject({ cursor: cursorArgument }),
      output: holdingsResponse.extend({ next_cursor: nextCursorField, truncated: truncatedField }),
      annotations: READ_ONLY,
      scope: 'read',
      async run({ cursor }, { userId }) {
        const [envelope, holdings] = await Promise.all([
          deps.accounts.envelope(userId),
          deps.analytics.holdings(userId),
        ]);
        return pageToBudget(
          'get_holdings',
          holdings.positions,
          cursor,
          (positions, next_cursor, truncated) => ({
            ...envelope,
            positions,
            totals: holdings.totals,
            next_cursor,
            truncated,
          }),
        );
      },
    }),

    defineTool({
      name: 'get_recurring',
      title: 'Recurring payments and income',
      description:
        'Subscriptions, bills and salary found in the last 18 months of posted transactions, transfers ' +
        'between my own accounts excluded (GET /v1/recurring): merchant, cadence, typical (median) amount, ' +
        `occurrences, last and next expected dates, active or lapsed. typical_amount is negative for money out. ${MONEY_RULES}`,
      input: z.strictObject({ cursor: cursorArgument }),
      output: z.object({
        ...envelopeShape,
        data: z.array(recurringSeriesSchema),
        next_cursor: nextCursorField,
        truncated: truncatedField,
      }),
      annotations: READ_ONLY,
      scope: 'read',
      async run({ cursor }, { userId }) {
        const [envelope, series] = await Promise.all([
          deps.accounts.envelope(userId),
          deps.analytics.recurring(userId),
        ]);
        return pageToBudget('get_recurring', series, cursor, (data, next_cursor, truncated) => ({
          ...envelope,
          data,
          next_cursor,
          truncated,
        }));
      },
    }),
  ];
}
