import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountsService } from '../../domain/accounts/service.js';
import type { AnalyticsService } from '../../domain/analytics/service.js';
import { replyWithRead, type ReadCache } from '../read-cache.js';
import { bearerSecurity, principalOf } from '../plugins/auth.js';
import { NET_WORTH_MAX_PERIODS } from '../../domain/analytics/service.js';
import {
  checkDateRange,
  dateSchema,
  describeRangeLimits,
  envelopeShape,
  moneySchema,
  optionalDateParam,
} from '../schemas/common.js';
import { problemResponses } from '../schemas/problem.js';

export const netWorthResponse = z.object({
  ...envelopeShape,
  currencies: z
    .array(
      z.object({
        currency: z.string(),
        assets: moneySchema,
        liabilities: moneySchema.describe('What is owed, as a positive amount'),
        net_worth: moneySchema,
        by_type: z.array(z.object({ type: z.string(), total: moneySchema })),
        by_account: z.array(
          z.object({ account_id: z.uuid(), name: z.string(), type: z.string(), balance: moneySchema }),
        ),
      }),
    )
    .describe('Now, per currency: amounts in different currencies are never added together'),
  history: z.object({
    start_date: dateSchema,
    end_date: dateSchema,
    interval: z.enum(['day', 'week', 'month']),
    points: z.array(
      z.object({
        currency: z.string(),
        date: dateSchema,
        assets: moneySchema,
        liabilities: moneySchema,
        net_worth: moneySchema,
        estimated: z
          .boolean()
          .describe('Reconstructed from transactions before the first balance snapshot of some account'),
      }),
    ),
  }),
});

export const netWorthRoutes: FastifyPluginAsyncZod<{
  analytics: AnalyticsService;
  accounts: AccountsService;
  readCache: ReadCache;
}> = async (app, { analytics, accounts, readCache }) => {
  app.get(
    '/v1/net-worth',
    {
      onRequest: app.requireAuth('read'),
      schema: {
        operationId: 'getNetWorth',
        summary: 'Assets, liabilities and net worth now (per currency), and their history',
        description:
          'History defaults to the last 90 days, daily. For week and month, each point is the last known day of the period. ' +
          describeRangeLimits(NET_WORTH_MAX_PERIODS),
        tags: ['analytics'],
        security: bearerSecurity,
        querystring: z
          .strictObject({
            start_date: optionalDateParam('First day of the history (default: 89 days before end_date)'),
            end_date: optionalDateParam('Last day of the history (default: today)'),
            interval: z
              .enum(['day', 'week', 'month'], { message: 'expected day, week or month' })
              .default('day'),
          })
          .superRefine(checkDateRange(NET_WORTH_MAX_PERIODS)),
        response: { 200: netWorthResponse, ...problemResponses(400, 401) },
      },
    },
    async (request, reply) => {
      const userId = principalOf(request).userId;
      const { start, end } = analytics.netWorthRange({
        start: request.query.start_date,
        end: request.query.end_date,
        interval: request.query.interval,
      });
      return replyWithRead(reply, request, { cache: readCache, accounts, userId }, async () => {
        const [currencies, points] = await Promise.all([
          analytics.netWorthNow(userId),
          analytics.netWorthHistory(userId, { start, end, interval: request.query.interval }),
        ]);
        // The points come rendered by the materializer (thousands of them): spliced, not re-serialized.
        return {
          currencies,
          history: { start_date: start, end_date: end, interval: request.query.interval, points },
        };
      });
    },
  );
};
