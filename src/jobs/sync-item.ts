import { AppError } from '../errors/app-error.js';
import type { PlaidItemRow } from '../db/repositories/items.js';
import type { ItemLocksRepository } from '../db/repositories/item-locks.js';
import type { SyncRunsRepository, SyncTrigger } from '../db/repositories/sync-runs.js';
import { internalSyncError } from '../domain/sync/run-errors.js';
import type { SyncService, SyncItemResult } from '../domain/sync/service.js';
import type { Logger } from '../lib/logger.js';
import type { JobDefinition } from './job.js';
import { syncItemDeadJob } from './sync-item-dead.js';

/** The `sync-item` job: sync the products of one item. */
export interface SyncItemJob {
  userId: string;
  itemId: string;
  trigger: SyncTrigger;
  /** The ledger rows (`sync_runs`, status queued) created with the job, one per product. */
  runIds: string[];
}

/** Longest wait before a job whose item another worker syncs looks again. */
const DEFER_MAX_SECONDS = 3;

/** Thrown so that pg-boss retries the job (with exponential backoff and jitter). */
export class RetryableSyncError extends Error {
  override readonly name = 'RetryableSyncError';
}

export interface SyncItemHandlerDeps {
  sync: SyncService;
  locks: ItemLocksRepository;
  runs: Pick<SyncRunsRepository, 'skipQueuedRuns'>;
  findItem(userId: string, itemId: string): Promise<PlaidItemRow | undefined>;
  deferSync(job: SyncItemJob, afterSeconds: number): Promise<boolean>;
  /** This worker process's identity; the lock owner is this plus the job id. */
  owner: string;
  leaseSeconds: number;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  now?: () => Date;
}

export type SyncItemOutcome =
  | { status: 'item_gone' }
  | { status: 'deferred'; absorbed: boolean; afterSeconds: number }
  | { status: SyncItemResult['status']; itemStatus: string; products: { product: string; status: string }[] };

/**
 * One sync job: take the item's lock (another worker syncing it → run again when its lease ends), sync
 * every product, release. Transient failures throw (pg-boss retries); permanent ones complete the job,
 * with the failure in the ledger and on the item.
 */
export function createSyncItemHandler(deps: SyncItemHandlerDeps) {
  const now = deps.now ?? (() => new Date());

  return async function handleSyncItem(job: {
    id: string;
    data: SyncItemJob;
    retryCount: number;
  }): Promise<SyncItemOutcome> {
    const { userId, itemId } = job.data;
    const log = { jobId: job.id, userId, itemId };
    const owner = `${deps.owner}/${job.id}`;
    const acquired = await deps.locks.acquire(userId, itemId, owner, deps.leaseSeconds);
    if (!acquired) {
      if (!(await deps.findItem(userId, itemId))) return { status: 'item_gone' };
      // Look again soon: the holder usually finishes long before its lease would end.
      const afterSeconds = Math.min(DEFER_MAX_SECONDS, Math.max(1, await deps.locks.secondsLeft(itemId)));
      const requeued = await deps.deferSync(job.data, afterSeconds);
      if (!requeued) {
        await deps.runs.skipQueuedRuns(
          userId,
          job.data.runIds,
          now(),
          internalSyncError(
            'Absorbed',
            'another sync of this item was already pending; it covers this request',
            {
              action: 'absorbed',
              retryable: false,
              retryAfterMs: null,
            },
          ),
        );
      }
      deps.logger.info({ ...log, afterSeconds, requeued }, 'item is being synced by another worker');
      return { status: 'deferred', absorbed: !requeued, afterSeconds };
    }

    const renewal = setInterval(
      () => {
        deps.locks.renew(itemId, owner, deps.leaseSeconds).then(
          (held) => {
            if (!held) deps.logger.warn(log, 'lost the item lock while syncing');
          },
          (error: unknown) =>
            deps.logger.warn({ ...log, err: String(error) }, 'could not renew the item lock'),
        );
      },
      Math.max(1_000, (deps.leaseSeconds * 1000) / 3),
    );
    renewal.unref();
    let result: SyncItemResult;
    try {
      const abandoned = await deps.locks.takeOverRuns({
        userId,
        itemId,
        runIds: job.data.runIds,
        at: now(),
        lostRunError: internalSyncError(
          'WorkerLost',
          'the worker running this sync stopped before it finished; the sync was run again',
          { action: 'retry', retryable: true, retryAfterMs: null },
        ),
        supersededRunError: internalSyncError(
          'WorkerLost',
          'the worker that was to run this product stopped; the sync that took the item over runs it',
          { action: 'absorbed', retryable: false, retryAfterMs: null },
        ),
      });
      if (abandoned.running + abandoned.queued > 0)
        deps.logger.warn({ ...log, abandoned }, 'closed the runs of a worker that stopped');
      result = await deps.sync.syncItem(userId, itemId, {
        trigger: job.retryCount > 0 ? 'retry' : job.data.trigger,
        runIds: job.data.runIds,
      });
    } catch (error) {
      if (error instanceof AppError && error.code === 'NOT_FOUND') return { status: 'item_gone' };
      throw error;
    } finally {
      clearInterval(renewal);
      await deps.locks.release(itemId, owner).catch(() => undefined);
    }

    const products = result.products.map((p) => ({ product: p.product, status: p.status }));
    if (result.retryable) {
      deps.logger.warn({ ...log, products, retry: job.retryCount + 1 }, 'sync failed for a transient reason');
      throw new RetryableSyncError(
        `transient failure in ${result.products
          .filter((p) => p.error?.retryable)
          .map((p) => p.product)
          .join(', ')}`,
      );
    }
    deps.logger.info({ ...log, status: result.status, products }, 'item synced');
    return { status: result.status, itemStatus: result.itemStatus, products };
  };
}

export const syncItemJob: JobDefinition<'sync-item', SyncItemJob> = {
  name: 'sync-item',
  // 'short': at most one created (pending) job per singleton key (the item): it absorbs further requests.
  queueOptions: (jobs) => ({
    policy: 'short',
    retryLimit: jobs.retryLimit,
    retryDelay: jobs.retryDelaySeconds,
    retryBackoff: true,
    expireInSeconds: jobs.timeoutSeconds,
    deadLetter: syncItemDeadJob.name,
  }),
  sendOptions: (data) => ({ singletonKey: data.itemId }),
  worker: {
    concurrency: (jobs) => jobs.concurrency,
    createHandler: ({ repositories, queue, sync, jobs, logger, owner }) => ({
      handle: createSyncItemHandler({
        sync,
        locks: repositories.itemLocks,
        runs: repositories.syncRuns,
        findItem: (userId, itemId) => repositories.items.findItem(userId, itemId),
        deferSync: (job, afterSeconds) => queue.deferSync(job, afterSeconds),
        owner,
        leaseSeconds: jobs.lockLeaseSeconds,
        logger: logger.child({ component: 'worker' }),
      }),
    }),
  },
};
