import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountsService } from '../../domain/accounts/service.js';
import type { AnalyticsService } from '../../domain/analytics/service.js';
import { replyWithRead, type ReadCache } from '../read-cache.js';
import { bearerSecurity, principalOf } from '../plugins/auth.js';
import { dateSchema, envelopeShape, moneySchema } from '../schemas/common.js';
import { problemResponses } from '../schemas/problem.js';

export const recurringSeriesSchema = z.object({
  merchant: z.string(),
  currency: z.string(),
  direction: z.enum(['in', 'out']),
  cadence: z.enum(['weekly', 'biweekly', 'monthly', 'quarterly', 'annual']),
  typical_amount: moneySchema.describe('Median amount (negative for outflows)'),
  occurrences: z.number().int(),
  first_date: dateSchema,
  last_date: dateSchema,
  next_expected_date: dateSchema,
  status: z.enum(['active', 'lapsed']),
  account_ids: z.array(z.uuid()),
});

export const recurringRoutes: FastifyPluginAsyncZod<{
  analytics: AnalyticsService;
  accounts: AccountsService;
  readCache: ReadCache;
}> = async (app, { analytics, accounts, readCache }) => {
  app.get(
    '/v1/recurring',
    {
      onRequest: app.requireAuth('read'),
      schema: {
        operationId: 'listRecurring',
        summary: 'Recurring outflows (subscriptions, bills) and inflows (salary) found in my history',
        description:
          'From the last 18 months of posted transactions, transfers between your own accounts excluded.',
        tags: ['analytics'],
        security: bearerSecurity,
        querystring: z.strictObject({}),
        response: {
          200: z.object({
            ...envelopeShape,
            data: z.array(recurringSeriesSchema),
          }),
          ...problemResponses(400, 401),
        },
      },
    },
    async (request, reply) => {
      const userId = principalOf(request).userId;
      return replyWithRead(reply, request, { cache: readCache, accounts, userId }, async () => ({
        data: await analytics.recurring(userId),
      }));
    },
  );
};
