import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountBalancesService } from '../../domain/accounts/balances.js';
import type { AccountsService } from '../../domain/accounts/service.js';
import { NET_WORTH_MAX_PERIODS } from '../../domain/analytics/service.js';
import { bearerSecurity, principalOf } from '../plugins/auth.js';
import {
  checkDateRange,
  dateSchema,
  describeRangeLimits,
  envelopeShape,
  idParams,
  moneySchema,
  optionalDateParam,
} from '../schemas/common.js';
import { problemResponses } from '../schemas/problem.js';

export const accountBalancesQuery = z
  .strictObject({
    start_date: optionalDateParam('First day (default: 89 days before end_date)'),
    end_date: optionalDateParam('Last day (default: today)'),
    interval: z
      .enum(['day', 'week', 'month'], { message: 'expected day, week or month' })
      .default('day')
      .describe('day, or the last day of each week (Monday to Sunday) or month in the range'),
  })
  .superRefine(checkDateRange(NET_WORTH_MAX_PERIODS));

export const accountBalancesResponse = z.object({
  ...envelopeShape,
  account_id: z.uuid(),
  currency: z.string(),
  interval: z.enum(['day', 'week', 'month']),
  data: z
    .array(
      z.object({
        date: dateSchema,
        balance: moneySchema.describe('End of day, owner’s side: negative = owed (credit cards, loans)'),
        estimated: z
          .boolean()
          .describe(
            'True before the first daily snapshot: walked back through posted transactions (investment accounts: the first snapshot kept)',
          ),
      }),
    )
    .describe('Oldest first; days before anything is known of the account are left out'),
});

export const accountBalanceRoutes: FastifyPluginAsyncZod<{
  balances: AccountBalancesService;
  accounts: AccountsService;
}> = async (app, { balances, accounts }) => {
  app.get(
    '/v1/accounts/:id/balances',
    {
      onRequest: app.requireAuth('read'),
      schema: {
        operationId: 'getAccountBalances',
        summary: 'Daily balance history of one of my accounts (snapshots; earlier days estimated)',
        description: describeRangeLimits(NET_WORTH_MAX_PERIODS),
        tags: ['accounts'],
        security: bearerSecurity,
        params: idParams,
        querystring: accountBalancesQuery,
        response: { 200: accountBalancesResponse, ...problemResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const userId = principalOf(request).userId;
      const q = request.query;
      const [envelope, history] = await Promise.all([
        accounts.envelope(userId),
        balances.history(userId, request.params.id, {
          start: q.start_date,
          end: q.end_date,
          interval: q.interval,
        }),
      ]);
      return { ...envelope, ...history };
    },
  );
};
