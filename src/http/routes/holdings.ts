import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountsService } from '../../domain/accounts/service.js';
import type { AnalyticsService } from '../../domain/analytics/service.js';
import { replyWithRead, type ReadCache } from '../read-cache.js';
import { bearerSecurity, principalOf } from '../plugins/auth.js';
import { dateSchema, envelopeShape, moneySchema } from '../schemas/common.js';
import { problemResponses } from '../schemas/problem.js';

const percent = z.string().nullable().describe('Percent with 2 decimals, e.g. "12.34"');

export const holdingsResponse = z.object({
  ...envelopeShape,
  positions: z.array(
    z.object({
      account_id: z.uuid(),
      account_name: z.string(),
      security_id: z.uuid(),
      ticker: z.string().nullable(),
      name: z.string().nullable(),
      security_type: z.string().nullable(),
      is_cash_equivalent: z.boolean(),
      quantity: z.string(),
      price: z.string(),
      price_as_of: dateSchema.nullable().describe('May be stale or unknown: show it'),
      value: moneySchema.describe("The institution's value of the position"),
      cost_basis: moneySchema.nullable().describe('Total cost of the position (not per share)'),
      unrealized_gain: moneySchema.nullable(),
      unrealized_gain_percent: percent,
      currency: z.string(),
    }),
  ),
  totals: z.array(
    z.object({
      currency: z.string(),
      value: moneySchema,
      cost_basis: moneySchema.nullable().describe('Of the positions whose cost basis is known'),
      unrealized_gain: moneySchema.nullable().describe('Over the positions whose cost basis is known'),
      unrealized_gain_percent: percent,
      allocation_by_security_type: z.array(
        z.object({ security_type: z.string(), value: moneySchema, percent }),
      ),
      allocation_by_account: z.array(
        z.object({ account_id: z.uuid(), account_name: z.string().nullable(), value: moneySchema, percent }),
      ),
    }),
  ),
});

export const holdingRoutes: FastifyPluginAsyncZod<{
  analytics: AnalyticsService;
  accounts: AccountsService;
  readCache: ReadCache;
}> = async (app, { analytics, accounts, readCache }) => {
  app.get(
    '/v1/holdings',
    {
      onRequest: app.requireAuth('read'),
      schema: {
        operationId: 'listHoldings',
        summary: 'My investment positions with gains, totals and allocation (per currency)',
        tags: ['investments'],
        security: bearerSecurity,
        querystring: z.strictObject({}),
        response: { 200: holdingsResponse, ...problemResponses(400, 401) },
      },
    },
    async (request, reply) => {
      const userId = principalOf(request).userId;
      return replyWithRead(reply, request, { cache: readCache, accounts, userId }, () =>
        analytics.holdings(userId),
      );
    },
  );
};
