import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountsService } from '../../domain/accounts/service.js';
import type { SecuritiesService } from '../../domain/securities/service.js';
import { bearerSecurity, principalOf } from '../plugins/auth.js';
import { dateSchema, envelopeShape, idParams } from '../schemas/common.js';
import { problemResponses } from '../schemas/problem.js';
import { holdingsResponse } from './holdings.js';

export const securityDetailSchema = z.object({
  security: z.object({
    id: z.uuid(),
    ticker: z.string().nullable(),
    name: z.string().nullable(),
    type: z.string().nullable().describe('equity, etf, mutual fund, cash, ... (Plaid’s list may grow)'),
    isin: z.string().nullable(),
    cusip: z.string().nullable(),
    is_cash_equivalent: z.boolean(),
    close_price: z
      .string()
      .nullable()
      .describe('Last close price Plaid reported; may be stale: see its date'),
    close_price_as_of: dateSchema.nullable(),
    currency: z.string(),
  }),
  positions: holdingsResponse.shape.positions.describe('My positions in it, as GET /v1/holdings shows them'),
});

export const securityRoutes: FastifyPluginAsyncZod<{
  securities: SecuritiesService;
  accounts: AccountsService;
}> = async (app, { securities, accounts }) => {
  app.get(
    '/v1/securities/:id',
    {
      onRequest: app.requireAuth('read'),
      schema: {
        operationId: 'getSecurity',
        summary: 'A security I hold or traded, and my positions in it',
        description: 'A security I never held nor traded is 404, like an id that does not exist.',
        tags: ['investments'],
        security: bearerSecurity,
        params: idParams,
        response: {
          200: z.object({ ...envelopeShape, data: securityDetailSchema }),
          ...problemResponses(400, 401, 404),
        },
      },
    },
    async (request) => {
      const userId = principalOf(request).userId;
      const [envelope, data] = await Promise.all([
        accounts.envelope(userId),
        securities.get(userId, request.params.id),
      ]);
      return { ...envelope, data };
    },
  );
};
