import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ItemsService } from '../../domain/items/service.js';
import { bearerSecurity, principalOf } from '../plugins/auth.js';
import { problemResponses } from '../schemas/problem.js';
import { accountSchema } from './accounts.js';
import { itemSchema, syncRequestSchema } from './items.js';

export const linkTokenBodySchema = z
  .strictObject({
    item_id: z
      .uuid({ message: 'expected an item id (UUID)' })
      .optional()
      .describe(
        'Update mode for this item of mine: its login needs me (status login_required or ' +
          'pending_expiration), or account_selection is true',
      ),
    account_selection: z
      .boolean({ message: 'expected true or false' })
      .optional()
      .describe('With item_id: let me add accounts that appeared at the bank (works in good health too)'),
  })
  .nullish()
  .describe('No body (or {}) to link a new institution; item_id for update mode')
  .meta({ example: { item_id: '8d2f3b9e-6a41-4c1e-9a57-0b3c2d1e4f50' } });

export const linkTokenSchema = z
  .object({
    link_token: z.string().describe('Give it to Plaid Link (Plaid.create({ token }))'),
    expiration: z.iso.datetime({ offset: true }).describe('4 hours; 30 minutes in update mode'),
    mode: z.enum(['create', 'update']),
  })
  .meta({
    id: 'LinkToken',
    example: {
      link_token: 'link-sandbox-af1a0311-da53-4636-b754-dd15cc058176',
      expiration: '2026-01-31T16:00:00Z',
      mode: 'create',
    },
  });

export const exchangeBodySchema = z
  .strictObject({
    public_token: z
      .string({ message: 'expected the public_token from Plaid Link' })
      .trim()
      .min(1, { message: 'expected the public_token from Plaid Link' })
      .max(200, { message: 'expected at most 200 characters' }),
  })
  .meta({ example: { public_token: 'public-sandbox-b0e2c4f5-8a4d-4c2b-9d5e-6f7a8b9c0d1e' } });

/** Plaid Link: a link token for the browser, then the public token it gives back becomes an item. */
export const plaidLinkRoutes: FastifyPluginAsyncZod<{ items: ItemsService }> = async (app, { items }) => {
  app.post(
    '/v1/plaid/link-token',
    {
      onRequest: app.requireAuth('write'),
      schema: {
        operationId: 'createLinkToken',
        summary: 'Create a Plaid Link token (a new link, or update mode for one of my items)',
        description:
          'Without a body (or `{}`): a token to link a new institution: Transactions required, Investments ' +
          'and Liabilities when the institution has them, 730 days of history, webhooks to this service. ' +
          'With `item_id`: update mode for that item (its login needs me); 409 `ITEM_UPDATE_NOT_NEEDED` ' +
          'when it is in good health (unless `account_selection`), 409 `ITEM_NOT_REPAIRABLE` when it is ' +
          'revoked or broken (delete it and link again). The page at GET /link does all of this.',
        tags: ['linking'],
        security: bearerSecurity,
        body: linkTokenBodySchema,
        response: { 200: linkTokenSchema, ...problemResponses(400, 401, 403, 404, 409, 502) },
      },
    },
    async (request) =>
      items.createLinkToken(principalOf(request).userId, {
        itemId: request.body?.item_id,
        accountSelection: request.body?.account_selection,
      }),
  );

  app.post(
    '/v1/plaid/item/public-token/exchange',
    {
      onRequest: app.requireAuth('write'),
      schema: {
        operationId: 'exchangePublicToken',
        summary: 'Link an institution: exchange the public_token Plaid Link gave me',
        description:
          'Stores the item (its access token encrypted, never returned) and its accounts, then enqueues ' +
          'its first sync (trigger `link`); balances and transactions arrive with that sync. 409 ' +
          '`ITEM_ALREADY_LINKED` when I already linked this login; 400 `INVALID_PUBLIC_TOKEN` when Plaid ' +
          'does not accept the token. Not needed after update mode: use POST /v1/items/{id}/repaired.',
        tags: ['linking'],
        security: bearerSecurity,
        body: exchangeBodySchema,
        response: {
          201: z
            .object({ item: itemSchema, accounts: z.array(accountSchema), sync: syncRequestSchema })
            .meta({ id: 'LinkedItem' }),
          ...problemResponses(400, 401, 403, 409, 502),
        },
      },
    },
    async (request, reply) => {
      const linked = await items.exchangePublicToken(principalOf(request).userId, request.body.public_token);
      return reply.code(201).send(linked);
    },
  );
};
