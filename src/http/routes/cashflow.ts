import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountsService } from '../../domain/accounts/service.js';
import type { AnalyticsService } from '../../domain/analytics/service.js';
import { transferKinds } from '../../db/schema/index.js';
import { replyWithRead, type ReadCache } from '../read-cache.js';
import { bearerSecurity, principalOf } from '../plugins/auth.js';
import { CASHFLOW_MAX_PERIODS } from '../../domain/analytics/service.js';
import {
  booleanQuery,
  checkDateRange,
  dateSchema,
  describeRangeLimits,
  envelopeShape,
  moneySchema,
  optionalDateParam,
} from '../schemas/common.js';
import { problemResponses } from '../schemas/problem.js';

const rate = z.string().nullable().describe('net ÷ income, 4 decimals (0.2500 = 25%); null without income');

const periodSchema = z.object({
  start: dateSchema,
  end: dateSchema,
  income: moneySchema,
  spending: moneySchema.describe('Outflows less refunds, as a positive amount'),
  net: moneySchema,
  savings_rate: rate,
});

export const cashflowResponse = z.object({
  ...envelopeShape,
  start_date: dateSchema,
  end_date: dateSchema,
  interval: z.enum(['month', 'week']),
  include_pending: z.boolean(),
  currencies: z.array(
    z.object({
      currency: z.string(),
      totals: periodSchema.omit({ start: true, end: true }),
      periods: z.array(periodSchema),
      spending_by_category: z.array(
        z.object({
          category: z.string(),
          total: moneySchema,
          top_merchants: z.array(
            z.object({ merchant: z.string(), total: moneySchema, count: z.number().int() }),
          ),
        }),
      ),
      spending_by_detailed_category: z
        .array(z.object({ category: z.string(), total: moneySchema }))
        .optional(),
      transfers: z
        .array(
          z.object({
            kind: z.enum(transferKinds),
            reason: z.string(),
            total: moneySchema.describe(
              'Money received in this currency: the inflow legs (for a movement within the currency, the money moved counted once)',
            ),
            total_out: moneySchema.describe(
              'Money sent from this currency, as a positive amount: the outflow legs (a USD→EUR movement sends USD here and receives EUR under EUR)',
            ),
            count: z
              .number()
              .int()
              .describe('Transactions (both legs; one per currency for a cross-currency movement)'),
          }),
        )
        .describe(
          'Movements between your own accounts, per kind, each leg in its own currency: excluded from income and spending',
        ),
    }),
  ),
});

export const cashflowRoutes: FastifyPluginAsyncZod<{
  analytics: AnalyticsService;
  accounts: AccountsService;
  readCache: ReadCache;
}> = async (app, { analytics, accounts, readCache }) => {
  app.get(
    '/v1/cashflow/summary',
    {
      onRequest: app.requireAuth('read'),
      schema: {
        operationId: 'getCashflowSummary',
        summary: 'Income, spending, net and savings rate per period, spending by category, transfers',
        description:
          'Defaults to the last 12 months by month. Income = inflows categorised as income; refunds reduce spending; ' +
          'transfers between your own accounts and payments to your own cards and loans are excluded and reported ' +
          'under `transfers`. Pending transactions are excluded unless include_pending=true. Per currency. ' +
          describeRangeLimits(CASHFLOW_MAX_PERIODS),
        tags: ['analytics'],
        security: bearerSecurity,
        querystring: z
          .strictObject({
            start_date: optionalDateParam(
              'First day (default: the first day of the 12 calendar months ending with end_date)',
            ),
            end_date: optionalDateParam('Last day (default: today)'),
            interval: z.enum(['month', 'week'], { message: 'expected month or week' }).default('month'),
            include_pending: booleanQuery.default(false),
            detailed: booleanQuery.default(false).describe('Add spending by detailed category'),
          })
          .superRefine(checkDateRange(CASHFLOW_MAX_PERIODS)),
        response: { 200: cashflowResponse, ...problemResponses(400, 401) },
      },
    },
    async (request, reply) => {
      const userId = principalOf(request).userId;
      const q = request.query;
      const { start, end } = analytics.cashflowRange({
        start: q.start_date,
        end: q.end_date,
        interval: q.interval,
      });
      return replyWithRead(reply, request, { cache: readCache, accounts, userId }, async () => ({
        start_date: start,
        end_date: end,
        interval: q.interval,
        include_pending: q.include_pending,
        currencies: await analytics.cashflow(userId, {
          start,
          end,
          interval: q.interval,
          includePending: q.include_pending,
          detailed: q.detailed,
        }),
      }));
    },
  );
};
