/**
 * The job catalog: every job module, one per queue (its name, queue and send options, handler). Jobs run
 * on pg-boss, on the service's own PostgreSQL (or on the embedded PGlite instance). The queue interface the
 * domain uses is declared in the domain (`src/domain/sync/queue.ts`).
 */

import type { JobDefinition } from './job.js';
import { plaidWebhookJob } from './plaid-webhook.js';
import { retentionJob } from './retention.js';
import { scheduledRefreshJob } from './scheduled-refresh.js';
import { syncItemDeadJob } from './sync-item-dead.js';
import { syncItemJob } from './sync-item.js';

/** In creation order: a dead-letter queue before the queue that names it. */
export const JOBS: readonly JobDefinition[] = [
  syncItemDeadJob,
  syncItemJob,
  plaidWebhookJob,
  scheduledRefreshJob,
  retentionJob,
];

export const QUEUES = {
  /** Sync the products of one item. One pending job per item absorbs further requests. */
  syncItem: syncItemJob.name,
  /** Process one verified Plaid webhook that `webhook_events` recorded. */
  plaidWebhook: plaidWebhookJob.name,
  /** Cron fan-out: enqueue a sync for every healthy item. */
  scheduledRefresh: scheduledRefreshJob.name,
  /** Cron: prune old raw payloads, webhook events, sync ledger rows and expired credentials. */
  retention: retentionJob.name,
  /** Where sync jobs that exhausted their retries are kept for inspection. */
  syncItemDead: syncItemDeadJob.name,
} as const;
