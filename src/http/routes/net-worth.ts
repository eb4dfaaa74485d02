import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountsService } from '../../domain/accounts/service.js';
import type { AnalyticsService } from '../../domain/analytics/service.js';
import { replyWithRead, type ReadCache } from '../read-cache.js';
import { bearerSecurity, principalOf } from '../plugins/auth.js';
import { NET_WORTH_MAX_PERIODS } from '../../domain/analytics/service.js';
import { chooseHistoryInterval, REST_HISTORY_MAX_POINTS } from '../../domain/analytics/history-interval.js';
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
          'History defaults to the last 90 days. Without `interval`, the finest of day, week and month that keeps ' +
          `the history within ${REST_HISTORY_MAX_POINTS} points per currency is used (the last 90 days stay daily, five ` +
          'years are weekly, longer ranges monthly); the answer names it in history.interval. For week and month, ' +
          'each point is the last known day of the period. ' +
          describeRangeLimits(NET_WORTH_MAX_PERIODS),
        tags: ['analytics'],
        security: bearerSecurity,
        querystring: z
          .strictObject({
            start_date: optionalDateParam('First day of the history (default: 89 days before end_date)'),
            end_date: optionalDateParam('Last day of the history (default: today)'),
            interval: z
              .enum(['day', 'week', 'month'], { message: 'expected day, week or month' })
              .optional()
              .describe(
                `Default: the finest that keeps the history within ${REST_HISTORY_MAX_POINTS} points per currency`,
              ),
          })
          .superRefine(checkDateRange(NET_WORTH_MAX_PERIODS)),
        response: { 200: netWorthResponse, ...problemResponses(400, 401) },
      },
    },
    async (request, reply) => {
      const userId = principalOf(request).userId;
      const asked = request.query.interval;
      // Without an interval the range is held to the daily limit (as the query schema does), then coarsened.
      const { start, end } = analytics.netWorthRange({
        start: request.query.start_date,
        end: request.query.end_date,
        interval: asked ?? 'day',
      });
      const interval = asked ?? chooseHistoryInterval({ start, end }, REST_HISTORY_MAX_POINTS);
      return replyWithRead(reply, request, { cache: readCache, accounts, userId }, async () => {
        const [currencies, points] = await Promise.all([
          analytics.netWorthNow(userId),
          analytics.netWorthHistory(userId, { start, end, interval }),
        ]);
        // The points come rendered by the materializer (thousands of them): spliced, not re-serialized.
        return {
          currencies,
          history: { start_date: start, end_date: end, interval, points },
        };
      });
    },
  );
};
