import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountsService } from '../../domain/accounts/service.js';
import {
  INSIGHT_TYPES,
  MAX_IDS,
  MAX_PER_TYPE,
  TRAILING_MONTHS,
  type InsightsService,
} from '../../domain/analytics/insights.js';
import { replyWithRead, type ReadCache } from '../read-cache.js';
import { bearerSecurity, principalOf } from '../plugins/auth.js';
import { dateSchema, envelopeShape, moneySchema } from '../schemas/common.js';
import { monthParam, monthSchema } from '../schemas/month.js';
import { problemResponses } from '../schemas/problem.js';

const TYPE_MEANINGS =
  `category_spending: posted spending in a category this month (amount, positive) against its median over the ` +
  `${TRAILING_MONTHS} complete months before (baseline), deviation = amount − baseline; ` +
  'largest_transaction: one of the 5 largest outflows (amount signed, negative); ' +
  'new_merchant: a merchant first seen this month (amount = its net total, signed); ' +
  'subscription_price_changed: the last payment (amount) differs from the one before (baseline); ' +
  'subscription_appeared: a recurring payment first seen in the last 3 months, paid this month; ' +
  'subscription_lapsed: a recurring payment whose expected date (expected_date) passed without it; ' +
  'income_missing: recurring income expected this month (expected_date, typical amount as baseline) that did not arrive; ' +
  'fees_and_interest: bank fees, interest charged and investment fees paid this month (amount, positive); ' +
  'stale_account: an account whose institution last synced (date) over 36 hours ago or needs its owner.';

export const insightSchema = z.object({
  type: z.enum(INSIGHT_TYPES),
  currency: z.string().nullable(),
  category: z.string().nullable(),
  merchant: z.string().nullable(),
  account_ids: z.array(z.uuid()),
  amount: moneySchema.nullable(),
  baseline: moneySchema.nullable(),
  deviation: moneySchema.nullable().describe('amount − baseline'),
  deviation_percent: z
    .string()
    .nullable()
    .describe('deviation ÷ |baseline| × 100, 2 decimals; null without a baseline'),
  date: dateSchema.nullable(),
  expected_date: dateSchema.nullable(),
  transaction_ids: z
    .array(z.uuid())
    .describe(`The transactions behind it, largest first (at most ${MAX_IDS})`),
  transaction_count: z.number().int().describe('How many transactions are behind it in all'),
});

export const insightsQuery = z.strictObject({
  month: monthParam.optional().describe('The month (YYYY-MM, default: the current one; not a later one)'),
});

export const insightsResponse = z.object({
  ...envelopeShape,
  month: monthSchema,
  as_of_date: dateSchema.describe(
    'The last day counted: the month’s last day, or today in the current month',
  ),
  insights: z.array(insightSchema).describe(TYPE_MEANINGS),
});

export const insightRoutes: FastifyPluginAsyncZod<{
  insights: InsightsService;
  accounts: AccountsService;
  readCache: ReadCache;
}> = async (app, { insights, accounts, readCache }) => {
  app.get(
    '/v1/insights',
    {
      onRequest: app.requireAuth('read'),
      schema: {
        operationId: 'getInsights',
        summary:
          'What is different this month: unusual spending, new merchants, subscriptions, missing income, fees',
        description:
          `Each insight has a type, its figures (per currency, never added across currencies) and the ids of the ` +
          `transactions behind it. At most ${MAX_PER_TYPE} insights of a type per currency. ${TYPE_MEANINGS}`,
        tags: ['analytics'],
        security: bearerSecurity,
        querystring: insightsQuery,
        response: { 200: insightsResponse, ...problemResponses(400, 401) },
      },
    },
    async (request, reply) => {
      const userId = principalOf(request).userId;
      const month = insights.month(request.query.month);
      return replyWithRead(reply, request, { cache: readCache, accounts, userId }, async () => ({
        month: month.month,
        as_of_date: month.asOf,
        insights: await insights.insights(userId, month),
      }));
    },
  );
};
