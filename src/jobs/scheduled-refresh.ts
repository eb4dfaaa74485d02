import type { Logger } from '../lib/logger.js';
import type { JobQueue } from '../domain/sync/queue.js';
import type { JobDefinition } from './job.js';

export type ScheduledRefreshJob = Record<string, never>;

export interface ScheduledRefreshDeps {
  listSyncableItems(): Promise<{ userId: string; itemId: string }[]>;
  jobs: Pick<JobQueue, 'enqueueSync'>;
  logger: Pick<Logger, 'info'>;
}

/**
 * The cron fan-out (SCHED_BALANCE_REFRESH_CRON): one sync request per healthy item. Items that need their
 * owner are left alone; an item with a pending sync absorbs the request.
 */
export function createScheduledRefreshHandler(deps: ScheduledRefreshDeps) {
  return async function handleScheduledRefresh(): Promise<{ enqueued: number; absorbed: number }> {
    let enqueued = 0;
    let absorbed = 0;
    for (const item of await deps.listSyncableItems()) {
      const result = await deps.jobs.enqueueSync({ ...item, trigger: 'schedule' });
      if (result.absorbed) absorbed++;
      else enqueued++;
    }
    deps.logger.info({ enqueued, absorbed }, 'scheduled refresh enqueued');
    return { enqueued, absorbed };
  };
}

export const scheduledRefreshJob: JobDefinition<'scheduled-refresh', ScheduledRefreshJob> = {
  name: 'scheduled-refresh',
  queueOptions: () => ({ policy: 'short', retryLimit: 2, expireInSeconds: 600 }),
  sendOptions: () => ({}),
  worker: {
    concurrency: () => 1,
    schedule: (jobs) => jobs.refreshCron,
    createHandler: ({ repositories, queue, logger }) => {
      const handleScheduledRefresh = createScheduledRefreshHandler({
        listSyncableItems: repositories.syncSchedule.listSyncableItems,
        jobs: queue,
        logger: logger.child({ component: 'scheduler' }),
      });
      return { handle: () => handleScheduledRefresh() };
    },
  },
};
