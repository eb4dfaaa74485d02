import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { itemStatuses, syncProducts, syncRunStatuses, syncTriggers } from '../../db/schema/index.js';
import type { SyncRunRow } from '../../db/repositories/sync-runs.js';
import type { SyncRequestsService, TriggeredSync } from '../../domain/sync/requests.js';
import { toSyncErrorView } from '../../domain/sync/run-errors.js';
import { bearerSecurity, principalOf } from '../plugins/auth.js';
import { problemResponses } from '../schemas/problem.js';
import { syncErrorSchema } from '../schemas/sync-error.js';

export const triggeredSchema = z
  .object({
    item_id: z.uuid(),
    outcome: z
      .enum(['queued', 'already_queued', 'blocked'])
      .describe(
        'queued: a sync job was created; already_queued: a pending sync of the item covers this request; ' +
          'blocked: the item needs its owner (re-link it through update mode) and is not synced',
      ),
    item_status: z.enum(itemStatuses),
    job_id: z.uuid().nullable(),
    run_ids: z.array(z.uuid()).describe('The ledger rows of the pending sync, one per product'),
  })
  .meta({ id: 'TriggeredSync' });

export const runSchema = z
  .object({
    id: z.uuid(),
    item_id: z.uuid(),
    product: z.enum(syncProducts),
    trigger: z.enum(syncTriggers),
    status: z.enum(syncRunStatuses),
    queued_at: z.iso.datetime(),
    started_at: z.iso.datetime().nullable(),
    finished_at: z.iso.datetime().nullable(),
    counts: z.object({ added: z.number().int(), modified: z.number().int(), removed: z.number().int() }),
    cursor_before: z.string().nullable().describe('Plaid /transactions/sync cursor before the run'),
    cursor_after: z.string().nullable().describe('The cursor committed with the data (transactions only)'),
    plaid_request_ids: z.array(z.string()),
    error: syncErrorSchema.nullable().describe('Why the run failed or was skipped'),
  })
  .meta({ id: 'SyncRun' });

function iso(value: Date | null): string | null {
  return value ? value.toISOString() : null;
}

/** A triggered sync as the API shows it (also the MCP tool sync_now). */
export function triggeredView(r: TriggeredSync): z.input<typeof triggeredSchema> {
  return {
    item_id: r.itemId,
    outcome: r.outcome,
    item_status: r.itemStatus,
    job_id: r.jobId,
    run_ids: r.runIds,
  };
}

/** A ledger row as the API shows it (also the MCP tool get_sync_status). */
export function runView(r: SyncRunRow): z.input<typeof runSchema> {
  return {
    id: r.id,
    item_id: r.itemId,
    product: r.product,
    trigger: r.trigger,
    status: r.status,
    queued_at: r.queuedAt.toISOString(),
    started_at: iso(r.startedAt),
    finished_at: iso(r.finishedAt),
    counts: { added: r.addedCount, modified: r.modifiedCount, removed: r.removedCount },
    cursor_before: r.cursorBefore,
    cursor_after: r.cursorAfter,
    plaid_request_ids: r.plaidRequestIds,
    error: toSyncErrorView(r.error),
  };
}

export const syncRoutes: FastifyPluginAsyncZod<{ syncRequests: SyncRequestsService }> = async (
  app,
  { syncRequests },
) => {
  app.post(
    '/v1/sync/trigger',
    {
      onRequest: app.requireAuth('write'),
      schema: {
        operationId: 'triggerSync',
        summary: 'Sync my items now (all of them, or one)',
        description:
          'Queues a sync of each item: accounts and balances always, plus the products the item has ' +
          '(transactions; holdings and investment transactions; liabilities), except those Plaid said ' +
          'are unsupported for it (see `sync_products` in `GET /v1/items`). Answers 202 at once with ' +
          'the ledger rows to follow in ' +
          '`GET /v1/sync/runs`. A sync already pending for an item absorbs the request.',
        tags: ['sync'],
        security: bearerSecurity,
        body: z
          .strictObject({ item_id: z.uuid().optional().describe('Only this item (default: all my items)') })
          .optional(),
        response: {
          202: z.object({ data: z.array(triggeredSchema) }),
          ...problemResponses(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const userId = principalOf(request).userId;
      const itemId = request.body?.item_id;
      const results = await syncRequests.trigger(userId, itemId ? { itemId } : {});
      reply.code(202);
      return { data: results.map(triggeredView) };
    },
  );

  app.get(
    '/v1/sync/runs',
    {
      onRequest: app.requireAuth('read'),
      schema: {
        operationId: 'listSyncRuns',
        summary: 'The sync ledger: one row per product per sync, newest first',
        tags: ['sync'],
        security: bearerSecurity,
        querystring: z.strictObject({
          item_id: z.uuid().optional(),
          limit: z.coerce.number().int().min(1).max(500).default(50),
          cursor: z.string().max(1000).optional().describe('next_cursor of the previous page'),
        }),
        response: {
          200: z.object({
            as_of: z.iso.datetime(),
            data: z.array(runSchema),
            next_cursor: z.string().nullable(),
          }),
          ...problemResponses(400, 401),
        },
      },
    },
    async (request) => {
      const userId = principalOf(request).userId;
      const q = request.query;
      const page = await syncRequests.listRuns(userId, {
        limit: q.limit,
        ...(q.item_id ? { itemId: q.item_id } : {}),
        ...(q.cursor ? { cursor: q.cursor } : {}),
      });
      return {
        as_of: new Date().toISOString(),
        next_cursor: page.nextCursor,
        data: page.runs.map(runView),
      };
    },
  );
};
