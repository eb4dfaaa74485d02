/**
 * The job worker: the handlers of every queue and the refresh schedule. `finance-api worker` runs it in
 * its own process (PostgreSQL); embedded mode runs it inside the API process.
 */

import { hostname } from 'node:os';
import type { Database } from '../db/client.js';
import { createRepositories } from '../db/repositories/index.js';
import type { SyncService } from '../domain/sync/service.js';
import type { Logger } from '../lib/logger.js';
import { createScheduledRefreshHandler } from './scheduled-refresh.js';
import { createSyncItemHandler } from './sync-item.js';
import type { JobQueueHandle, JobsConfig } from './queue.js';
import { QUEUES } from './registry.js';

export interface WorkerDeps {
  db: Database;
  queue: JobQueueHandle;
  sync: SyncService;
  /** Processes one recorded Plaid webhook (the webhooks service). */
  processWebhook(webhookEventId: string): Promise<unknown>;
  jobs: JobsConfig;
  logger: Logger;
}

export async function startWorker(deps: WorkerDeps): Promise<{ owner: string }> {
  const { queue, jobs, logger } = deps;
  const owner = `${hostname()}:${process.pid}`;
  const { items, itemLocks, syncRuns, syncSchedule } = createRepositories(deps.db);

  const handleSyncItem = createSyncItemHandler({
    sync: deps.sync,
    locks: itemLocks,
    runs: syncRuns,
    findItem: (userId, itemId) => items.findItem(userId, itemId),
    deferSync: (job, afterSeconds) => queue.deferSync(job, afterSeconds),
    owner,
    leaseSeconds: jobs.lockLeaseSeconds,
    logger: logger.child({ component: 'worker' }),
  });
  const handleScheduledRefresh = createScheduledRefreshHandler({
    listSyncableItems: syncSchedule.listSyncableItems,
    jobs: queue,
    logger: logger.child({ component: 'scheduler' }),
  });

  const polling = { pollIntervalSeconds: jobs.pollIntervalSeconds };
  await queue.work(QUEUES.syncItem, { ...polling, concurrency: jobs.concurrency }, handleSyncItem);
  await queue.work(QUEUES.plaidWebhook, { ...polling, concurrency: 1 }, (job) =>
    deps.processWebhook(job.data.webhookEventId),
  );
  await queue.work(QUEUES.scheduledRefresh, { ...polling, concurrency: 1 }, () => handleScheduledRefresh());
  await queue.boss.schedule(QUEUES.scheduledRefresh, jobs.refreshCron, {}, { tz: 'UTC' });
  logger.info(
    { owner, concurrency: jobs.concurrency, refreshCron: jobs.refreshCron },
    'job worker started (sync, webhooks, scheduled refresh)',
  );
  return { owner };
}
