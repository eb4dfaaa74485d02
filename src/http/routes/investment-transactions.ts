import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountsService } from '../../domain/accounts/service.js';
import type { InvestmentsService } from '../../domain/investments/service.js';
import { bearerSecurity, principalOf } from '../plugins/auth.js';
import {
  accountFilterShape,
  checkDateRange,
  dateSchema,
  envelopeShape,
  moneySchema,
  optionalDateParam,
  requestedAccountIds,
} from '../schemas/common.js';
import { problemResponses } from '../schemas/problem.js';

const LIMIT_MESSAGE = 'expected a whole number from 1 to 500';

/** Plaid's investment transaction types (its subtypes are many and grow: checked by shape only). */
export const investmentTransactionTypes = ['buy', 'sell', 'cancel', 'cash', 'fee', 'transfer'] as const;

export const investmentTransactionsQuery = z
  .strictObject({
    ...accountFilterShape,
    security_id: z
      .uuid({ message: 'expected a security id (UUID)' })
      .optional()
      .describe('Only this security'),
    type: z
      .enum(investmentTransactionTypes, {
        message: `expected one of ${investmentTransactionTypes.join(', ')}`,
      })
      .optional(),
    subtype: z
      .string()
      .regex(/^[a-z][a-z ]{0,49}$/, { message: 'expected a Plaid subtype such as dividend or buy' })
      .optional()
      .describe("Plaid's subtype, e.g. dividend, interest, buy, sell, management fee, contribution"),
    start_date: optionalDateParam('Transactions on or after this date'),
    end_date: optionalDateParam('Transactions on or before this date'),
    limit: z.coerce
      .number({ message: LIMIT_MESSAGE })
      .int({ message: LIMIT_MESSAGE })
      .min(1, { message: LIMIT_MESSAGE })
      .max(500, { message: LIMIT_MESSAGE })
      .default(50),
    cursor: z
      .string()
      .max(2000)
      .optional()
      .describe('next_cursor of the previous page, with the same filters'),
  })
  // No span limit: a page holds at most `limit` rows whatever the range.
  .superRefine(checkDateRange(null));

export const investmentTransactionSchema = z
  .object({
    id: z.uuid(),
    account_id: z.uuid(),
    date: dateSchema,
    name: z.string(),
    type: z.string().describe('buy, sell, cancel, cash, fee or transfer (Plaid may add more)'),
    subtype: z.string().nullable().describe('e.g. dividend, interest, buy, sell, management fee'),
    security: z
      .object({
        id: z.uuid(),
        ticker: z.string().nullable(),
        name: z.string().nullable(),
        type: z.string().nullable(),
      })
      .nullable()
      .describe('Null for cash movements without a security'),
    quantity: z.string().describe('Units; positive = bought or received, negative = sold (Plaid’s sign)'),
    price: z.string().describe('Price per unit'),
    amount: moneySchema.describe(
      'Cash effect on the account: positive = cash came in (a sale, a dividend), negative = cash left (a buy, a fee)',
    ),
    fees: moneySchema.nullable().describe('Fees charged, positive (as Plaid reports them)'),
    currency: z.string(),
  })
  .meta({ id: 'InvestmentTransaction' });

export const investmentTransactionsResponse = z.object({
  ...envelopeShape,
  data: z.array(investmentTransactionSchema),
  next_cursor: z.string().nullable(),
});

export const investmentTransactionRoutes: FastifyPluginAsyncZod<{
  investments: InvestmentsService;
  accounts: AccountsService;
}> = async (app, { investments, accounts }) => {
  app.get(
    '/v1/investment-transactions',
    {
      onRequest: app.requireAuth('read'),
      schema: {
        operationId: 'listInvestmentTransactions',
        summary: 'My buys, sells, dividends, interest, fees and transfers, newest first, keyset-paginated',
        description:
          'amount is the cash effect on the account (negative = cash left it, e.g. a buy or a fee); quantity ' +
          'keeps Plaid’s sign. Pass `next_cursor` as `cursor` with the same filters for the next page. ' +
          'Accounts or securities that are not yours match nothing.',
        tags: ['investments'],
        security: bearerSecurity,
        querystring: investmentTransactionsQuery,
        response: { 200: investmentTransactionsResponse, ...problemResponses(400, 401) },
      },
    },
    async (request) => {
      const userId = principalOf(request).userId;
      const q = request.query;
      const filters = {
        accountIds: requestedAccountIds(q),
        securityId: q.security_id,
        type: q.type,
        subtype: q.subtype,
        startDate: q.start_date,
        endDate: q.end_date,
      };
      const [envelope, page] = await Promise.all([
        accounts.envelope(userId),
        investments.listTransactions(userId, filters, { limit: q.limit, cursor: q.cursor }),
      ]);
      return { ...envelope, ...page };
    },
  );
};
