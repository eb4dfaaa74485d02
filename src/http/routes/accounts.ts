import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountsService } from '../../domain/accounts/service.js';
import { bearerSecurity, principalOf } from '../plugins/auth.js';
import { replyWithRead, type ReadCache } from '../read-cache.js';
import { envelopeShape, idParams, moneySchema } from '../schemas/common.js';
import { problemResponses } from '../schemas/problem.js';

export const accountSchema = z
  .object({
    id: z.uuid(),
    item_id: z.uuid(),
    institution: z.object({ id: z.string(), name: z.string() }).nullable(),
    name: z.string(),
    official_name: z.string().nullable(),
    mask: z.string().nullable(),
    type: z.string().describe('depository, credit, loan, investment or other (the list may grow)'),
    subtype: z.string().nullable(),
    balances: z.object({
      current: moneySchema
        .nullable()
        .describe('Owner’s side: positive = the owner has it; negative = owed (credit cards, loans)'),
      available: moneySchema.nullable(),
      limit: moneySchema.nullable(),
      currency: z.string(),
      as_of: z.iso.datetime().nullable(),
    }),
    item_health: z.enum(['good', 'login_required', 'pending_expiration', 'revoked', 'error']),
    last_synced_at: z.iso.datetime().nullable(),
    stale: z.boolean(),
  })
  .meta({ id: 'Account' });

export const accountRoutes: FastifyPluginAsyncZod<{
  accounts: AccountsService;
  readCache: ReadCache;
}> = async (app, { accounts, readCache }) => {
  app.get(
    '/v1/accounts',
    {
      onRequest: app.requireAuth('read'),
      schema: {
        operationId: 'listAccounts',
        summary: 'My accounts with balances, currency, item health and freshness',
        tags: ['accounts'],
        security: bearerSecurity,
        querystring: z.strictObject({}),
        response: {
          200: z.object({ ...envelopeShape, data: z.array(accountSchema) }),
          ...problemResponses(400, 401),
        },
      },
    },
    async (request, reply) => {
      const userId = principalOf(request).userId;
      // From the answer cache like the other reads: account rows change with an announced write; the
      // item fields (health, last sync, staleness now) are part of the key.
      const variant = await accounts.itemsVariant(userId);
      return replyWithRead(reply, request, { cache: readCache, accounts, userId, variant }, async () => ({
        data: await accounts.list(userId),
      }));
    },
  );

  app.get(
    '/v1/accounts/:id',
    {
      onRequest: app.requireAuth('read'),
      schema: {
        operationId: 'getAccount',
        summary: 'One of my accounts',
        tags: ['accounts'],
        security: bearerSecurity,
        params: idParams,
        response: {
          200: z.object({ ...envelopeShape, data: accountSchema }),
          ...problemResponses(400, 401, 404),
        },
      },
    },
    async (request) => {
      const userId = principalOf(request).userId;
      const [envelope, data] = await Promise.all([
        accounts.envelope(userId),
        accounts.get(userId, request.params.id),
      ]);
      return { ...envelope, data };
    },
  );
};
