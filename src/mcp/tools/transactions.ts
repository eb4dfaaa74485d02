import { z } from 'zod';
import type { TransactionFilters } from '../../db/repositories/transactions.js';
import { transactionSchema, transactionsQuery } from '../../http/routes/transactions.js';
import { checkDateRange, envelopeShape } from '../../http/schemas/common.js';
import { fits, toolResult, resultChars, RESULT_TARGET_CHARS } from '../budget.js';
import { truncatedField, type McpToolDeps } from '../deps.js';
import { defineTool, MONEY_RULES, READ_ONLY } from '../tool.js';

export const SEARCH_LIMIT_DEFAULT = 25;
export const SEARCH_LIMIT_MAX = 100;

// The REST filters of GET /v1/transactions, field for field (the same schemas), with the MCP page size.
const rest = transactionsQuery.shape;
const searchInput = z
  .strictObject({
    account_id: rest.account_id,
    start_date: rest.start_date,
    end_date: rest.end_date,
    category: rest.category,
    merchant: rest.merchant,
    q: rest.q,
    min_amount: rest.min_amount,
    max_amount: rest.max_amount,
    pending: z.boolean().optional().describe('Only pending (true) or only posted (false) transactions'),
    direction: rest.direction.describe('in: money in (amount > 0); out: money out (amount < 0)'),
    limit: z
      .number()
      .int()
      .min(1)
      .max(SEARCH_LIMIT_MAX)
      .default(SEARCH_LIMIT_DEFAULT)
      .describe(`Transactions per answer, 1 to ${SEARCH_LIMIT_MAX} (default ${SEARCH_LIMIT_DEFAULT})`),
    cursor: rest.cursor,
  })
  .superRefine(checkDateRange(null))
  .superRefine((value, ctx) => {
    if (value.min_amount && value.max_amount && Number(value.max_amount) < Number(value.min_amount))
      ctx.addIssue({ code: 'custom', path: ['max_amount'], message: 'must not be less than min_amount' });
  });

export function transactionTools(deps: McpToolDeps) {
  return [
    defineTool({
      name: 'search_transactions',
      title: 'Search transactions',
      description:
        'My transactions, newest first, with the filters of GET /v1/transactions (account, dates, category, ' +
        'merchant, text, amount magnitude, pending, direction). Pass next_cursor back as cursor with the ' +
        'same filters for the next page (a cursor of the REST endpoint works too). When the page asked for ' +
        'does not fit the answer budget, fewer rows come back with next_cursor and `truncated` says so. ' +
        `transfer_kind marks movements between my own accounts. ${MONEY_RULES}`,
      input: searchInput,
      output: z.object({
        ...envelopeShape,
        data: z.array(transactionSchema),
        next_cursor: z.string().nullable().describe('Pass as cursor with the same filters; null at the end'),
        truncated: truncatedField,
      }),
      annotations: READ_ONLY,
      scope: 'read',
      async run(args, { userId }) {
        // Built as the REST route builds it: the cursor is bound to these filters.
        const filters: TransactionFilters = {
          accountIds: args.account_id,
          startDate: args.start_date,
          endDate: args.end_date,
          category: args.category,
          merchant: args.merchant,
          q: args.q,
          minAmount: args.min_amount,
          maxAmount: args.max_amount,
          pending: args.pending,
          direction: args.direction,
        };
        const envelope = await deps.accounts.envelope(userId);
        let limit = args.limit;
        for (;;) {
          const page = await deps.transactions.list(userId, filters, {
            limit,
            ...(args.cursor ? { cursor: args.cursor } : {}),
          });
          const truncated =
            limit < args.limit && page.next_cursor
              ? `${limit} of the ${args.limit} transactions asked for fit this answer; ` +
                'call again with cursor = next_cursor for the next ones'
              : null;
          const answer = { ...envelope, ...page, truncated };
          if (limit === 1 || fits(answer)) return answer;
          // Fewer rows, in proportion to the overshoot: one more query at most, in practice.
          const size = resultChars(toolResult(answer));
          limit = Math.max(1, Math.min(limit - 1, Math.floor((limit * RESULT_TARGET_CHARS) / size)));
        }
      },
    }),
  ];
}
