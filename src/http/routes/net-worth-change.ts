import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountsService } from '../../domain/accounts/service.js';
import { NET_WORTH_CHANGE_MAX_DAYS, type NetWorthChangeService } from '../../domain/analytics/attribution.js';
import { replyWithRead, type ReadCache } from '../read-cache.js';
import { bearerSecurity, principalOf } from '../plugins/auth.js';
import { dateSchema, envelopeShape, moneySchema, optionalDateParam } from '../schemas/common.js';
import { problemResponses } from '../schemas/problem.js';

const accountIds = z.array(z.uuid()).describe('The accounts behind this figure');

const part = (meaning: string) =>
  z
    .object({
      amount: moneySchema.describe('Signed effect on net worth (positive = it went up)'),
      account_ids: accountIds,
    })
    .describe(meaning);

const endSchema = z.object({
  date: dateSchema,
  net_worth: moneySchema,
  estimated: z
    .boolean()
    .describe(
      'Reconstructed before some balance snapshot (or before anything is known), as in GET /v1/net-worth',
    ),
});

export const netWorthChangeQuery = z.strictObject({
  start_date: optionalDateParam(
    'Net worth at the close of this day is the starting point (default: 30 days before end_date)',
  ),
  end_date: optionalDateParam(
    'Net worth at the close of this day is the end point (default and latest: today)',
  ),
});

export const netWorthChangeResponse = z.object({
  ...envelopeShape,
  start_date: dateSchema,
  end_date: dateSchema,
  currencies: z
    .array(
      z.object({
        currency: z.string(),
        start: endSchema,
        end: endSchema,
        change: moneySchema.describe('end.net_worth − start.net_worth'),
        parts: z.object({
          income: part(
            'Income (cash-flow income: salary, interest earned, money in from outside) and investment dividends and interest',
          ),
          spending: part(
            'Spending: outflows less refunds (negative), transfers, fees and debt payments apart',
          ),
          interest_and_fees: part('Bank fees and interest charged (BANK_FEES) and investment fees and taxes'),
          investment_contributions: part(
            'Money put into investment accounts less withdrawals, less what came from my own accounts (that money only moved): the effect is new money such as payroll 401(k) contributions',
          ).extend({
            into_investment_accounts: moneySchema.describe('Contributions − withdrawals, in all'),
            from_own_accounts: moneySchema.describe(
              'Of which left my own bank accounts (their outflows are not spending)',
            ),
          }),
          market_movement: part(
            'Investment value change not explained by contributions, dividends and fees, between two balance snapshots',
          ),
          debt_paydown: part(
            'Payments to debts: between my own accounts they cancel out (0); a loan payment whose principal Plaid shows only in the loan balance leaves its interest and escrow here (negative); a payment to an unlinked debt is negative',
          ).extend({
            paid_down: moneySchema.describe(
              'How much what is owed went down (payments received, loan balances reduced)',
            ),
            new_debt: moneySchema.describe(
              'How much what is owed went up by charges to cards and loans (their effect is counted under spending and fees)',
            ),
          }),
          own_transfers: part(
            'Moves between my own accounts: 0 within one currency, unless the range cuts between the two legs; across currencies each leg counts in its own',
          ),
        }),
        unexplained: part(
          'change − Σ parts, never hidden: balance changes that no transaction explains (pending, accrued interest, an investment account without a snapshot at both ends)',
        ),
      }),
    )
    .describe('Per currency: amounts in different currencies are never added together'),
});

export const netWorthChangeRoutes: FastifyPluginAsyncZod<{
  netWorthChange: NetWorthChangeService;
  accounts: AccountsService;
  readCache: ReadCache;
}> = async (app, { netWorthChange, accounts, readCache }) => {
  app.get(
    '/v1/net-worth/change',
    {
      onRequest: app.requireAuth('read'),
      schema: {
        operationId: 'getNetWorthChange',
        summary: 'Why my net worth changed between two days, per currency, part by part',
        description:
          'Net worth at the close of start_date and of end_date (the figures of GET /v1/net-worth) and the change ' +
          'split into income, spending, interest and fees, investment contributions, market movement, debt ' +
          'paydown and transfers between my own accounts, each with its accounts; `unexplained` is the rest, so ' +
          'that Σ parts + unexplained = change to the cent. Flows dated after start_date up to end_date, posted ' +
          `only. At most ${NET_WORTH_CHANGE_MAX_DAYS} days (20 years); a longer range is 400.`,
        tags: ['analytics'],
        security: bearerSecurity,
        querystring: netWorthChangeQuery,
        response: { 200: netWorthChangeResponse, ...problemResponses(400, 401) },
      },
    },
    async (request, reply) => {
      const userId = principalOf(request).userId;
      const range = netWorthChange.range({ start: request.query.start_date, end: request.query.end_date });
      return replyWithRead(reply, request, { cache: readCache, accounts, userId }, async () => ({
        start_date: range.start,
        end_date: range.end,
        currencies: await netWorthChange.change(userId, range),
      }));
    },
  );
};
