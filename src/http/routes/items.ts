import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { itemStatuses, syncProducts } from '../../db/schema/index.js';
import type { ItemsService } from '../../domain/items/service.js';
import { bearerSecurity, principalOf } from '../plugins/auth.js';
import { idParams } from '../schemas/common.js';
import { problemResponses } from '../schemas/problem.js';
import { syncErrorSchema } from '../schemas/sync-error.js';

const EXAMPLE_ITEM_ID = '8d2f3b9e-6a41-4c1e-9a57-0b3c2d1e4f50';
const lastSync = z.iso.datetime().nullable();

export const itemSchema = z
  .object({
    id: z.uuid(),
    institution: z
      .object({ id: z.string(), name: z.string().nullable() })
      .nullable()
      .describe('Plaid institution id and name'),
    status: z
      .enum(itemStatuses)
      .describe(
        'good; login_required or pending_expiration: the owner must go through Link update mode ' +
          '(POST /v1/plaid/link-token with item_id); revoked: gone at Plaid, link again; error: see last_error',
      ),
    needs_update: z
      .boolean()
      .describe('True for login_required and pending_expiration, or when new accounts are available'),
    products: z
      .array(z.string())
      .describe('Plaid products of the item (Plaid’s products, billed_products and consented_products)'),
    sync_products: z
      .array(
        z.object({
          product: z.enum(syncProducts),
          status: z
            .enum(['active', 'not_ready', 'unsupported', 'not_linked'])
            .describe(
              'active: synced; not_ready: Plaid is still preparing it (tried again by the next sync); ' +
                'unsupported: Plaid said the institution or the item’s accounts do not have it, so it is ' +
                'not called any more (until the item gains accounts or Plaid lists the product anew); ' +
                'not_linked: the item has no Plaid product that provides it',
            ),
          since: z.iso
            .datetime()
            .nullable()
            .describe('When the product entered this status (null: not seen yet)'),
          checked_at: z.iso.datetime().nullable().describe('When a sync last saw this status'),
          reason: syncErrorSchema.nullable().describe('Why it is not active: the error Plaid answered'),
        }),
      )
      .describe(
        'Every sync product (accounts always, transactions, holdings, investment_transactions, ' +
          'liabilities) and whether the sync calls it for this item',
      ),
    last_synced_at: z.iso
      .datetime()
      .nullable()
      .describe('End of the last sync in which every product succeeded'),
    last_successful_sync: z
      .object({
        accounts: lastSync,
        transactions: lastSync,
        holdings: lastSync,
        investment_transactions: lastSync,
        liabilities: lastSync,
      } satisfies Record<(typeof syncProducts)[number], typeof lastSync>)
      .describe('Per product: when a sync run of it last succeeded (null: never)'),
    consent_expires_at: z.iso
      .datetime()
      .nullable()
      .describe('When the owner’s consent ends (some institutions)'),
    new_accounts_available_at: z.iso
      .datetime()
      .nullable()
      .describe('When Plaid said the login has accounts not shared yet: update mode lets me add them'),
    last_error: z
      .object({
        code: z.string().describe('Plaid error code, e.g. ITEM_LOGIN_REQUIRED'),
        message: z.string().nullable(),
        action: z
          .string()
          .nullable()
          .describe('What the service does about it: needs_user, retry, item_gone, fatal, ...'),
      })
      .nullable(),
    accounts_count: z.number().int(),
    stale: z.boolean().describe('Last synced over 36 hours ago, never synced, or not in good health'),
    created_at: z.iso.datetime(),
  })
  .meta({
    id: 'Item',
    example: {
      id: EXAMPLE_ITEM_ID,
      institution: { id: 'ins_109508', name: 'First Platypus Bank' },
      status: 'login_required',
      needs_update: true,
      products: ['investments', 'liabilities', 'transactions'],
      sync_products: [
        { product: 'accounts', status: 'active', since: null, checked_at: null, reason: null },
        { product: 'transactions', status: 'active', since: null, checked_at: null, reason: null },
        { product: 'holdings', status: 'active', since: null, checked_at: null, reason: null },
        { product: 'investment_transactions', status: 'active', since: null, checked_at: null, reason: null },
        {
          product: 'liabilities',
          status: 'unsupported',
          since: '2025-06-01T12:00:05.000Z',
          checked_at: '2025-06-01T12:00:05.000Z',
          reason: {
            source: 'plaid',
            code: 'NO_LIABILITY_ACCOUNTS',
            message: 'No liability accounts were found for this item.',
            action: 'product_unavailable',
            retryable: false,
            retry_after_ms: null,
            item_status: null,
            plaid: {
              error_type: 'ITEM_ERROR',
              error_code: 'NO_LIABILITY_ACCOUNTS',
              error_message: 'No liability accounts were found for this item.',
              display_message: null,
              request_id: 'm8MDnv9okwxFNBV',
              http_status: 400,
              endpoint: '/liabilities/get',
            },
          },
        },
      ],
      last_synced_at: '2026-01-30T06:00:12.000Z',
      last_successful_sync: {
        accounts: '2026-01-31T06:00:03.000Z',
        transactions: '2026-01-30T06:00:09.000Z',
        holdings: '2026-01-30T06:00:10.000Z',
        investment_transactions: '2026-01-30T06:00:11.000Z',
        liabilities: '2026-01-30T06:00:12.000Z',
      },
      consent_expires_at: null,
      new_accounts_available_at: null,
      last_error: {
        code: 'ITEM_LOGIN_REQUIRED',
        message: 'the login details of this item have changed (credentials, MFA, or required user action)',
        action: 'needs_user',
      },
      accounts_count: 9,
      stale: true,
      created_at: '2025-06-01T12:00:00.000Z',
    },
  });

export const syncRequestSchema = z
  .object({
    run_ids: z.array(z.uuid()).describe('The sync ledger rows (one per product) of the queued sync'),
    absorbed: z.boolean().describe('True when a sync of this item was already pending and took this request'),
  })
  .nullable()
  .describe(
    'null when the queue could not take the job right now; the scheduled refresh syncs the item later',
  )
  .meta({
    id: 'SyncRequest',
    example: { run_ids: ['5b0e2c1a-3f4d-4e5a-8b6c-7d8e9f0a1b2c'], absorbed: false },
  });

const asOf = z.iso.datetime().describe('When this answer was computed');

/** The caller's Plaid items: health, repair after Link update mode, deletion. */
export const itemRoutes: FastifyPluginAsyncZod<{ items: ItemsService }> = async (app, { items }) => {
  app.get(
    '/v1/items',
    {
      onRequest: app.requireAuth('read'),
      schema: {
        operationId: 'listItems',
        summary: 'My linked institutions (Plaid items) with their health and freshness',
        tags: ['items'],
        security: bearerSecurity,
        querystring: z.strictObject({}),
        response: {
          200: z.object({ as_of: asOf, data: z.array(itemSchema) }),
          ...problemResponses(400, 401),
        },
      },
    },
    async (request) => items.list(principalOf(request).userId),
  );

  app.get(
    '/v1/items/:id',
    {
      onRequest: app.requireAuth('read'),
      schema: {
        operationId: 'getItem',
        summary: 'One of my items with its health',
        tags: ['items'],
        security: bearerSecurity,
        params: idParams,
        response: {
          200: z.object({ as_of: asOf, data: itemSchema }),
          ...problemResponses(400, 401, 404),
        },
      },
    },
    async (request) => items.get(principalOf(request).userId, request.params.id),
  );

  app.post(
    '/v1/items/:id/repaired',
    {
      onRequest: app.requireAuth('write'),
      schema: {
        operationId: 'markItemRepaired',
        summary: 'Tell the service that Link update mode succeeded for this item',
        description:
          'Call after Plaid Link in update mode reports success (Plaid needs no token exchange then: the ' +
          'access token stays the same). The service asks Plaid whether the item is healthy; if so the ' +
          'item is set back to `good` and a sync is enqueued (trigger `manual`). 409 ' +
          '`ITEM_STILL_NEEDS_UPDATE` when Plaid still reports an error.',
        tags: ['items'],
        security: bearerSecurity,
        params: idParams,
        body: z.strictObject({}).nullish().describe('No body, or {}'),
        response: {
          200: z.object({ data: itemSchema, sync: syncRequestSchema }),
          ...problemResponses(400, 401, 403, 404, 409, 502),
        },
      },
    },
    async (request) => {
      const { item, sync } = await items.markRepaired(principalOf(request).userId, request.params.id);
      return { data: item, sync };
    },
  );

  app.delete(
    '/v1/items/:id',
    {
      onRequest: app.requireAuth('write'),
      schema: {
        operationId: 'deleteItem',
        summary: 'Remove an item at Plaid and delete it with all of its data',
        description:
          'Calls Plaid `/item/remove` (which stops billing and invalidates the access token), then deletes ' +
          'the item and every row that came from it (accounts, balances, transactions, holdings, ' +
          'liabilities, raw payloads, sync ledger) and recomputes net worth, cash flow and transfers. If ' +
          'Plaid cannot be reached or refuses, nothing is deleted: 502 `PLAID_UNAVAILABLE` or ' +
          '`PLAID_REQUEST_FAILED`, try again. An item Plaid no longer knows is deleted here.',
        tags: ['items'],
        security: bearerSecurity,
        params: idParams,
        response: { 204: z.null().describe('Deleted'), ...problemResponses(400, 401, 403, 404, 502) },
      },
    },
    async (request, reply) => {
      await items.remove(principalOf(request).userId, request.params.id);
      return reply.code(204).send(null);
    },
  );
};
