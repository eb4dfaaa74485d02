import { createRetentionService } from '../domain/retention/service.js';
import type { JobDefinition } from './job.js';

export type RetentionJob = Record<string, never>;

/**
 * The daily pruning (RETENTION_CRON, RETENTION_DAYS_*; docs/operations.md#retention): one run at a time
 * across workers (pg-boss sends a cron tick once; the queue is a singleton), each kind deleted in batches.
 */
export const retentionJob: JobDefinition<'retention', RetentionJob> = {
  name: 'retention',
  queueOptions: () => ({ policy: 'singleton', retryLimit: 2, expireInSeconds: 3600 }),
  sendOptions: () => ({}),
  worker: {
    concurrency: () => 1,
    // No settings (a hand-built config): not scheduled; the worker takes no cron for an empty expression.
    schedule: (jobs) => jobs.retention?.cron ?? '',
    createHandler: ({ repositories, jobs, logger }) => {
      const retention = jobs.retention;
      const service = retention
        ? createRetentionService({
            retention: repositories.retention,
            config: retention,
            logger: logger.child({ component: 'retention' }),
          })
        : undefined;
      return { handle: async () => (service ? service.prune() : {}) };
    },
  },
};
