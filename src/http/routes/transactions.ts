import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountsService } from '../../domain/accounts/service.js';
import type { TransactionsService } from '../../domain/transactions/service.js';
import { transferKinds, transferMatchReasons } from '../../db/schema/index.js';
import { replyWithRead, type ReadCache } from '../read-cache.js';
import { bearerSecurity, principalOf } from '../plugins/auth.js';
import {
  accountFilterShape,
  booleanQuery,
  checkDateRange,
  dateSchema,
  envelopeShape,
  moneySchema,
  optionalDateParam,
  requestedAccountIds,
} from '../schemas/common.js';
import { problemResponses } from '../schemas/problem.js';

const amountParam = z
  .string()
  .regex(/^\d{1,15}(\.\d{1,4})?$/, { message: 'expected a non-negative decimal like 25 or 25.50' });

export const transactionsQuery = z
  .strictObject({
    ...accountFilterShape,
    start_date: optionalDateParam('Transactions on or after this date'),
    end_date: optionalDateParam('Transactions on or before this date'),
    category: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .optional()
      .describe('Primary or detailed category (or your override)'),
    merchant: z.string().trim().min(1).max(200).optional().describe('Merchant name, case-insensitive'),
    q: z.string().trim().min(1).max(200).optional().describe('Text search in name and merchant'),
    min_amount: amountParam.optional().describe('Smallest magnitude (use direction for in/out)'),
    max_amount: amountParam.optional().describe('Largest magnitude'),
    pending: booleanQuery.optional(),
    direction: z.enum(['in', 'out'], { message: 'expected in or out' }).optional(),
    limit: z.coerce
      .number({ message: 'expected a whole number from 1 to 500' })
      .int({ message: 'expected a whole number from 1 to 500' })
      .min(1, { message: 'expected a whole number from 1 to 500' })
      .max(500, { message: 'expected a whole number from 1 to 500' })
      .default(50),
    cursor: z
      .string()
      .max(2000)
      .optional()
      .describe('next_cursor of the previous page, with the same filters'),
  })
  // No span limit: a page holds at most `limit` rows whatever the range.
  .superRefine(checkDateRange(null))
  .superRefine((value, ctx) => {
    if (value.min_amount && value.max_amount && Number(value.max_amount) < Number(value.min_amount)) {
      ctx.addIssue({ code: 'custom', path: ['max_amount'], message: 'must not be less than min_amount' });
    }
  });

export const transactionSchema = z
  .object({
    id: z.uuid(),
    account_id: z.uuid(),
    date: dateSchema,
    authorized_date: dateSchema.nullable(),
    name: z.string(),
    merchant_name: z.string().nullable(),
    amount: moneySchema,
    currency: z.string(),
    pending: z.boolean(),
    category: z.object({
      primary: z.string().nullable(),
      detailed: z.string().nullable(),
      confidence: z.string().nullable(),
      user_override: z.string().nullable(),
    }),
    transfer_kind: z
      .enum(transferKinds)
      .nullable()
      .describe('Set when this is one leg of a movement between your own accounts (not income or spending)'),
    transfer_reason: z
      .enum(transferMatchReasons)
      .nullable()
      .describe(
        'The rule that paired this leg with transfer_pair_id (docs/domain.md, strongest evidence first): ' +
          '`same_currency_amount` exactly opposite amounts in one currency; `cross_currency_category_rate` ' +
          'transfer categories and amounts agreeing at a plausible rate for the currency pair; ' +
          '`cross_currency_category_date` transfer categories and dates alone (a currency pair without a ' +
          'rate band). Null when transfer_kind is null, and for a pair across currencies found before this ' +
          'field existed, until your figures are next recomputed',
      ),
    transfer_pair_id: z
      .uuid()
      .nullable()
      .describe('The other leg of the movement: another transaction of yours, in another account'),
    note: z.string().nullable(),
    tags: z.array(z.string()).describe('Your tags (by hand or by a rule)'),
    excluded: z
      .boolean()
      .describe('Left out of income and spending (cash flow, budgets) by you or a rule; still listed'),
    excluded_reason: z.string().nullable().describe('Why it is excluded (e.g. reimbursed)'),
    merchant_name_override: z
      .string()
      .nullable()
      .describe('Your name for the merchant (merchant_name is what Plaid says); cash flow uses it'),
    version: z
      .number()
      .int()
      .describe(
        'Changes on every edit of your fields; the ETag of GET /v1/transactions/{id} is "v<version>"',
      ),
  })
  .meta({ id: 'Transaction' });

export const transactionRoutes: FastifyPluginAsyncZod<{
  transactions: TransactionsService;
  accounts: AccountsService;
  readCache: ReadCache;
}> = async (app, { transactions, accounts, readCache }) => {
  app.get(
    '/v1/transactions',
    {
      onRequest: app.requireAuth('read'),
      schema: {
        operationId: 'listTransactions',
        summary: 'My transactions, newest first, filtered and keyset-paginated',
        description:
          'Amounts are exact decimal strings; negative = money left the account. Pass `next_cursor` as `cursor` ' +
          'with the same filters to get the next page; pages stay stable while new transactions arrive.',
        tags: ['transactions'],
        security: bearerSecurity,
        querystring: transactionsQuery,
        response: {
          200: z.object({
            ...envelopeShape,
            data: z.array(transactionSchema),
            next_cursor: z.string().nullable(),
          }),
          ...problemResponses(400, 401),
        },
      },
    },
    async (request, reply) => {
      const userId = principalOf(request).userId;
      const q = request.query;
      const filters = {
        accountIds: requestedAccountIds(q),
        startDate: q.start_date,
        endDate: q.end_date,
        category: q.category,
        merchant: q.merchant,
        q: q.q,
        minAmount: q.min_amount,
        maxAmount: q.max_amount,
        pending: q.pending,
        direction: q.direction,
      };
      return replyWithRead(reply, request, { cache: readCache, accounts, userId }, () =>
        transactions.list(userId, filters, { limit: q.limit, cursor: q.cursor }),
      );
    },
  );
};
