import { z } from 'zod';
import type { AccountBalancesService } from '../../domain/accounts/balances.js';
import type { AccountsService } from '../../domain/accounts/service.js';
import type { InvestmentsService } from '../../domain/investments/service.js';
import type { LiabilitiesService } from '../../domain/liabilities/service.js';
import type { CategoriesService } from '../../domain/categories/service.js';
import type { SecuritiesService } from '../../domain/securities/service.js';
import type { TransactionDetailService } from '../../domain/transactions/detail.js';
import { categoriesData } from '../../http/routes/categories.js';
import { securityDetailSchema } from '../../http/routes/securities.js';
import { accountBalancesQuery, accountBalancesResponse } from '../../http/routes/account-balances.js';
import {
  investmentTransactionSchema,
  investmentTransactionsQuery,
} from '../../http/routes/investment-transactions.js';
import { liabilitiesQuery, liabilitySchema } from '../../http/routes/liabilities.js';
import { transactionDetailSchema } from '../../http/routes/transaction-detail.js';
import { checkDateRange, envelopeShape, idParams } from '../../http/schemas/common.js';
import { fits, resultChars, RESULT_TARGET_CHARS, toolResult } from '../budget.js';
import { cursorArgument, nextCursorField, truncatedField } from '../deps.js';
import { pageToBudget } from '../paging.js';
import { defineTool, MONEY_RULES, READ_ONLY } from '../tool.js';

/** The services these tools call: the same ones the REST routes of issue 13's reads call. */
export interface DataSurfaceToolDeps {
  accounts: AccountsService;
  liabilities: LiabilitiesService;
  investments: InvestmentsService;
  accountBalances: AccountBalancesService;
  transactionDetail: TransactionDetailService;
  categories: CategoriesService;
  securities: SecuritiesService;
}

const LIMIT_MAX = 100;
const investmentRest = investmentTransactionsQuery.shape;
const balancesRest = accountBalancesQuery.shape;

export function dataSurfaceTools(deps: DataSurfaceToolDeps) {
  return [
    defineTool({
      name: 'list_liabilities',
      title: 'List liabilities',
      description:
        'My credit cards, student loans, mortgages and loans (GET /v1/liabilities): APRs by type, statement ' +
        'balance, minimum payment, next due date, last payment, overdue, interest rate, principal, payoff ' +
        'date, escrow, PMI. UNLIKE every other tool, what is owed or was paid is POSITIVE here. ' +
        MONEY_RULES,
      input: z.strictObject({ account_id: liabilitiesQuery.shape.account_id, cursor: cursorArgument }),
      output: z.object({
        ...envelopeShape,
        data: z.array(liabilitySchema),
        next_cursor: nextCursorField,
        truncated: truncatedField,
      }),
      annotations: READ_ONLY,
      scope: 'read',
      async run({ account_id, cursor }, { userId }) {
        const [envelope, rows] = await Promise.all([
          deps.accounts.envelope(userId),
          deps.liabilities.list(userId, account_id),
        ]);
        return pageToBudget('list_liabilities', rows, cursor, (data, next_cursor, truncated) => ({
          ...envelope,
          data,
          next_cursor,
          truncated,
        }));
      },
    }),

    defineTool({
      name: 'search_investment_transactions',
      title: 'Search investment transactions',
      description:
        'Buys, sells, dividends, interest, fees and transfers in my investment accounts, newest first ' +
        '(GET /v1/investment-transactions), by account, security, type, subtype and dates. amount is the ' +
        'cash effect on the account; quantity keeps Plaid’s sign (negative = sold). Pass next_cursor back ' +
        `as cursor with the same filters (a cursor of the REST endpoint works too). ${MONEY_RULES}`,
      input: z
        .strictObject({
          account_id: investmentRest.account_id,
          security_id: investmentRest.security_id,
          type: investmentRest.type,
          subtype: investmentRest.subtype,
          start_date: investmentRest.start_date,
          end_date: investmentRest.end_date,
          limit: z
            .number()
            .int()
            .min(1)
            .max(LIMIT_MAX)
            .default(25)
            .describe(`Rows per answer, 1 to ${LIMIT_MAX} (default 25)`),
          cursor: investmentRest.cursor,
        })
        .superRefine(checkDateRange(null)),
      output: z.object({
        ...envelopeShape,
        data: z.array(investmentTransactionSchema),
        next_cursor: z.string().nullable().describe('Pass as cursor with the same filters; null at the end'),
        truncated: truncatedField,
      }),
      annotations: READ_ONLY,
      scope: 'read',
      async run(args, { userId }) {
        // Built as the REST route builds it: the cursor is bound to these filters.
        const filters = {
          accountIds: args.account_id,
          securityId: args.security_id,
          type: args.type,
          subtype: args.subtype,
          startDate: args.start_date,
          endDate: args.end_date,
        };
        const envelope = await deps.accounts.envelope(userId);
        let limit = args.limit;
        for (;;) {
          const page = await deps.investments.listTransactions(userId, filters, {
            limit,
            cursor: args.cursor,
          });
          const truncated =
            limit < args.limit && page.next_cursor
              ? `${limit} of the ${args.limit} rows asked for fit this answer; call again with cursor = next_cursor`
              : null;
          const answer = { ...envelope, ...page, truncated };
          if (limit === 1 || fits(answer)) return answer;
          const size = resultChars(toolResult(answer));
          limit = Math.max(1, Math.min(limit - 1, Math.floor((limit * RESULT_TARGET_CHARS) / size)));
        }
      },
    }),

    defineTool({
      name: 'get_account_balances',
      title: 'Account balance history',
      description:
        'One account’s end-of-day balance history (GET /v1/accounts/{id}/balances): daily snapshots, and ' +
        'earlier days walked back through posted transactions, marked estimated. interval week or month ' +
        'gives each period’s last day; default the last 90 days. Balances are on the owner’s side ' +
        `(negative = owed). ${MONEY_RULES}`,
      input: z
        .strictObject({
          account_id: idParams.shape.id.describe('The account (from list_accounts)'),
          start_date: balancesRest.start_date,
          end_date: balancesRest.end_date,
          interval: balancesRest.interval,
          cursor: cursorArgument,
        })
        .superRefine(checkDateRange(null)),
      output: accountBalancesResponse.extend({ next_cursor: nextCursorField, truncated: truncatedField }),
      annotations: READ_ONLY,
      scope: 'read',
      async run(args, { userId }) {
        const [envelope, history] = await Promise.all([
          deps.accounts.envelope(userId),
          deps.accountBalances.history(userId, args.account_id, {
            start: args.start_date,
            end: args.end_date,
            interval: args.interval,
          }),
        ]);
        return pageToBudget(
          'get_account_balances',
          history.data,
          args.cursor,
          (data, next_cursor, truncated) => ({
            ...envelope,
            ...history,
            data,
            next_cursor,
            truncated,
          }),
        );
      },
    }),

    defineTool({
      name: 'get_transaction',
      title: 'Get one transaction',
      description:
        'One transaction by id (GET /v1/transactions/{id}): its fields, Plaid’s own category, the other ' +
        `leg when it is a transfer between my accounts, and the pending transaction it posted from. ${MONEY_RULES}`,
      input: z.strictObject({ id: idParams.shape.id.describe('The transaction (from search_transactions)') }),
      output: z.object({ ...envelopeShape, data: transactionDetailSchema }),
      annotations: READ_ONLY,
      scope: 'read',
      async run({ id }, { userId }) {
        const [envelope, data] = await Promise.all([
          deps.accounts.envelope(userId),
          deps.transactionDetail.get(userId, id),
        ]);
        return { ...envelope, data };
      },
    }),
    defineTool({
      name: 'list_categories',
      title: 'List categories',
      description:
        'The categories in use in my transactions (GET /v1/categories): Plaid’s primary and detailed ' +
        'categories with counts (as Plaid gave them), my own categories (overrides) with counts, and how ' +
        'many transactions are uncategorized. Use a name from here as the category filter of ' +
        `search_transactions. ${MONEY_RULES}`,
      input: z.strictObject({}),
      output: z.object({ ...envelopeShape, data: categoriesData }),
      annotations: READ_ONLY,
      scope: 'read',
      async run(_args, { userId }) {
        const [envelope, data] = await Promise.all([
          deps.accounts.envelope(userId),
          deps.categories.list(userId),
        ]);
        return { ...envelope, data };
      },
    }),

    defineTool({
      name: 'get_security',
      title: 'Get one security',
      description:
        'A security I hold or traded (GET /v1/securities/{id}): ticker, name, type, ISIN, CUSIP, last close ' +
        `price and its date, and my positions in it as get_holdings shows them. ${MONEY_RULES}`,
      input: z.strictObject({
        id: idParams.shape.id.describe(
          'The security (security_id from get_holdings or search_investment_transactions)',
        ),
      }),
      output: z.object({ ...envelopeShape, data: securityDetailSchema }),
      annotations: READ_ONLY,
      scope: 'read',
      async run({ id }, { userId }) {
        const [envelope, data] = await Promise.all([
          deps.accounts.envelope(userId),
          deps.securities.get(userId, id),
        ]);
        return { ...envelope, data };
      },
    }),
  ];
}
