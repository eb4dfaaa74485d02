/**
 * The job catalog: queue name → payload type. Jobs run on pg-boss, on the service's own PostgreSQL (or on
 * the embedded PGlite instance). Handlers live in `handlers/` and are named `handleX`.
 */

import type { Database } from '../db/client.js';
import type { SyncTrigger } from '../db/repositories/sync-runs.js';

export const QUEUES = {
  /** Sync every product of one item. One pending job per item absorbs further requests. */
  syncItem: 'sync-item',
  /** Process one verified Plaid webhook that `webhook_events` recorded. */
  plaidWebhook: 'plaid-webhook',
  /** Cron fan-out: enqueue a sync for every healthy item. */
  scheduledRefresh: 'scheduled-refresh',
  /** Where sync jobs that exhausted their retries are kept for inspection. */
  syncItemDead: 'sync-item-dead',
} as const;

export interface SyncItemJob {
  userId: string;
  itemId: string;
  trigger: SyncTrigger;
  /** The ledger rows (`sync_runs`, status queued) created with the job, one per product. */
  runIds: string[];
}

export interface PlaidWebhookJob {
  webhookEventId: string;
}

export type ScheduledRefreshJob = Record<string, never>;

export interface JobPayloads {
  [QUEUES.syncItem]: SyncItemJob;
  [QUEUES.plaidWebhook]: PlaidWebhookJob;
  [QUEUES.scheduledRefresh]: ScheduledRefreshJob;
  [QUEUES.syncItemDead]: SyncItemJob;
}

export interface SyncRequest {
  userId: string;
  itemId: string;
  trigger: SyncTrigger;
}

/** What asking for a sync gave: a new job, or the pending one that absorbed the request. */
export interface EnqueuedSync {
  itemId: string;
  jobId: string | null;
  /** True when a sync of this item was already pending; its ledger rows are returned. */
  absorbed: boolean;
  runIds: string[];
}

export interface EnqueueOptions {
  /** The caller's transaction: the job (and its ledger rows) commit with the change that causes it. */
  tx?: Database;
  /** Tests only: runs between the ledger rows and the job, e.g. to fail there. */
  beforeSend?: () => Promise<void>;
}

/** What the domain needs from the queue (the HTTP routes, the webhook service, the scheduler). */
export interface JobQueue {
  enqueueSync(request: SyncRequest, options?: EnqueueOptions): Promise<EnqueuedSync>;
  enqueueWebhook(job: PlaidWebhookJob, options?: EnqueueOptions): Promise<void>;
}
