import { z } from 'zod';
import type { AccountsService } from '../../domain/accounts/service.js';
import type { NetWorthChangeService } from '../../domain/analytics/attribution.js';
import type { InsightsService } from '../../domain/analytics/insights.js';
import type { BudgetsService } from '../../domain/budgets/service.js';
import { budgetsMonthResponse, budgetSuggestionsResponse } from '../../http/routes/budgets.js';
import { insightsQuery, insightsResponse } from '../../http/routes/insights.js';
import { netWorthChangeQuery, netWorthChangeResponse } from '../../http/routes/net-worth-change.js';
import { largestFitting } from '../budget.js';
import { truncatedField } from '../deps.js';
import { defineTool, MONEY_RULES, READ_ONLY } from '../tool.js';

/** The services these tools call: the same ones GET /v1/net-worth/change, /v1/insights and /v1/budgets call. */
export interface InsightsToolDeps {
  accounts: AccountsService;
  netWorthChange: NetWorthChangeService;
  insights: InsightsService;
  budgets: BudgetsService;
}

const leftOut = (tool: string, what: string, kept: number, all: number) =>
  kept === all ? null : `Only the first ${kept} of ${all} ${what} fit this answer; ask ${tool} about less`;

export function insightsTools(deps: InsightsToolDeps) {
  return [
    defineTool({
      name: 'get_net_worth_change',
      title: 'Why net worth changed',
      description:
        'Net worth at the close of start_date and of end_date per currency (the figures of get_net_worth) and the ' +
        'change split into parts, each a signed effect on net worth with the accounts behind it ' +
        '(GET /v1/net-worth/change): income, spending, interest_and_fees, investment_contributions (new money ' +
        'into investments; money moved from my own accounts cancels out), market_movement (between balance ' +
        'snapshots: Plaid gives no historical prices), debt_paydown, own_transfers; `unexplained` is the rest, ' +
        'so Σ parts + unexplained = change exactly. Defaults to the 30 days ending today. ' +
        MONEY_RULES,
      input: netWorthChangeQuery,
      output: netWorthChangeResponse,
      annotations: READ_ONLY,
      scope: 'read',
      async run(args, { userId }) {
        const range = deps.netWorthChange.range({ start: args.start_date, end: args.end_date });
        const [envelope, currencies] = await Promise.all([
          deps.accounts.envelope(userId),
          deps.netWorthChange.change(userId, range),
        ]);
        return { ...envelope, start_date: range.start, end_date: range.end, currencies };
      },
    }),

    defineTool({
      name: 'get_insights',
      title: 'What is different this month',
      description:
        'For a month (default: the current one; GET /v1/insights): spending per category against its median of ' +
        'the 6 months before, the largest outflows, merchants seen for the first time, subscriptions whose price ' +
        'changed, that appeared or lapsed, income that did not arrive, fees and interest paid, stale accounts. ' +
        'Each insight has its figures and the ids of the transactions behind it (cite them; get_transaction ' +
        'reads one). Spending figures are positive amounts spent; transaction and subscription amounts keep ' +
        `their sign. ${MONEY_RULES}`,
      input: insightsQuery,
      output: insightsResponse.extend({ truncated: truncatedField }),
      annotations: READ_ONLY,
      scope: 'read',
      async run(args, { userId }) {
        const month = deps.insights.month(args.month);
        const [envelope, insights] = await Promise.all([
          deps.accounts.envelope(userId),
          deps.insights.insights(userId, month),
        ]);
        const build = (n: number) => ({
          ...envelope,
          month: month.month,
          as_of_date: month.asOf,
          insights: insights.slice(0, n),
          truncated: leftOut('get_insights', 'insights', n, insights.length),
        });
        return largestFitting(Math.min(1, insights.length), insights.length, build).answer;
      },
    }),

    defineTool({
      name: 'get_budgets',
      title: 'Budgets for a month',
      description:
        'My budgets for a month (default: the current one; GET /v1/budgets): per category and currency the ' +
        'budget, what rollover carried from last month, spent (posted; pending apart), remaining, and a ' +
        'month-end projection from the pace so far plus the recurring bills still due; totals per currency. ' +
        'Spending counts as cash flow counts it (positive = spent). ' +
        MONEY_RULES,
      input: z.strictObject({ month: insightsQuery.shape.month }),
      output: budgetsMonthResponse.extend({ truncated: truncatedField }),
      annotations: READ_ONLY,
      scope: 'read',
      async run(args, { userId }) {
        const month = deps.budgets.month(args.month);
        const [envelope, answer] = await Promise.all([
          deps.accounts.envelope(userId),
          deps.budgets.forMonth(userId, month),
        ]);
        const all = answer.budgets.length;
        const build = (n: number) => ({
          ...envelope,
          month: month.month,
          as_of_date: month.asOf,
          budgets: answer.budgets.slice(0, n),
          totals: answer.totals,
          truncated: leftOut('get_budgets', 'budgets (totals cover all)', n, all),
        });
        return largestFitting(Math.min(1, all), all, build).answer;
      },
    }),

    defineTool({
      name: 'suggest_budgets',
      title: 'Suggested budgets',
      description:
        'A starting monthly budget per spending category and currency: the median of my spending over the last 6 ' +
        'complete months, with each month’s figure (GET /v1/budgets/suggest). Positive = spent. ' +
        MONEY_RULES,
      input: z.strictObject({}),
      output: budgetSuggestionsResponse.extend({ truncated: truncatedField }),
      annotations: READ_ONLY,
      scope: 'read',
      async run(_args, { userId }) {
        const [envelope, answer] = await Promise.all([
          deps.accounts.envelope(userId),
          deps.budgets.suggest(userId),
        ]);
        const all = answer.suggestions.length;
        const build = (n: number) => ({
          ...envelope,
          months: answer.months,
          suggestions: answer.suggestions.slice(0, n),
          truncated: leftOut('suggest_budgets', 'suggestions', n, all),
        });
        return largestFitting(Math.min(1, all), all, build).answer;
      },
    }),
  ];
}
