/**
 * Sync on demand and the sync ledger, as the API offers them: `trigger` asks for a sync of the caller's
 * items (one pending job per item absorbs repeats); `listRuns` pages through the ledger.
 */

import type { ItemsRepository } from '../../db/repositories/items.js';
import type { SyncRunRow, SyncRunsRepository } from '../../db/repositories/sync-runs.js';
import type { ItemStatus } from '../../db/schema/index.js';
import { errors } from '../../errors/catalog.js';
import type { JobQueue } from './queue.js';
import type { CursorCodec } from '../transactions/cursor.js';
import { BLOCKED_ITEM_STATUSES } from './service.js';

export interface TriggeredSync {
  itemId: string;
  /** `queued`: a new job; `already_queued`: a pending job absorbed the request; `blocked`: item needs its owner. */
  outcome: 'queued' | 'already_queued' | 'blocked';
  itemStatus: ItemStatus;
  jobId: string | null;
  runIds: string[];
}

export interface RunsPage {
  runs: SyncRunRow[];
  nextCursor: string | null;
}

export function createSyncRequestsService(deps: {
  items: Pick<ItemsRepository, 'listHealthForUser'>;
  runs: Pick<SyncRunsRepository, 'listRunsForUser'>;
  jobs: Pick<JobQueue, 'enqueueSync'>;
  cursors: CursorCodec;
}) {
  return {
    async trigger(userId: string, options: { itemId?: string }): Promise<TriggeredSync[]> {
      const all = await deps.items.listHealthForUser(userId);
      const chosen = options.itemId ? all.filter((i) => i.id === options.itemId) : all;
      if (options.itemId && chosen.length === 0) throw errors.notFound('item', options.itemId);
      const results: TriggeredSync[] = [];
      for (const item of chosen) {
        if (BLOCKED_ITEM_STATUSES.has(item.status)) {
          results.push({
            itemId: item.id,
            outcome: 'blocked',
            itemStatus: item.status,
            jobId: null,
            runIds: [],
          });
          continue;
        }
        const enqueued = await deps.jobs.enqueueSync({ userId, itemId: item.id, trigger: 'manual' });
        results.push({
          itemId: item.id,
          outcome: enqueued.absorbed ? 'already_queued' : 'queued',
          itemStatus: item.status,
          jobId: enqueued.jobId,
          runIds: enqueued.runIds,
        });
      }
      return results;
    },

    async listRuns(
      userId: string,
      query: { itemId?: string; limit: number; cursor?: string },
    ): Promise<RunsPage> {
      const shape = { itemId: query.itemId ?? null, limit: query.limit };
      const before = query.cursor ? deps.cursors.decode(query.cursor, userId, shape) : undefined;
      const rows = await deps.runs.listRunsForUser(userId, {
        ...(query.itemId ? { itemId: query.itemId } : {}),
        limit: query.limit + 1,
        ...(before ? { before: { queuedAt: new Date(before.date), id: before.id } } : {}),
      });
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return {
        runs: page,
        nextCursor:
          rows.length > query.limit && last
            ? deps.cursors.encode(userId, shape, { date: last.queuedAt.toISOString(), id: last.id })
            : null,
      };
    },
  };
}

export type SyncRequestsService = ReturnType<typeof createSyncRequestsService>;
