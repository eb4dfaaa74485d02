import type { JobDefinition } from './job.js';
import type { SyncItemJob } from './sync-item.js';

/**
 * Where sync jobs that exhausted their retries are kept for inspection (pg-boss copies them here). No
 * worker takes them: `SELECT * FROM pgboss.job WHERE name = 'sync-item-dead'`.
 */
export const syncItemDeadJob: JobDefinition<'sync-item-dead', SyncItemJob> = {
  name: 'sync-item-dead',
  queueOptions: () => ({ policy: 'standard' }),
  sendOptions: () => ({}),
};
