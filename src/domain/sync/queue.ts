/**
 * What the domain asks of the job queue: a sync of an item, the processing of a recorded webhook. Declared
 * here, where linking, sync requests, webhooks and the scheduler use it; `src/jobs/queue.ts` implements it
 * on pg-boss (docs/jobs.md).
 */

import type { Database } from '../../db/client.js';
import type { SyncTrigger } from '../../db/repositories/sync-runs.js';

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

/** A verified Plaid webhook that `webhook_events` recorded, to be processed by a worker. */
export interface WebhookRequest {
  webhookEventId: string;
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
  enqueueWebhook(request: WebhookRequest, options?: EnqueueOptions): Promise<void>;
}
