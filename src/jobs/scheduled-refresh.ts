import type { Logger } from '../lib/logger.js';
import type { JobQueue } from './registry.js';

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
