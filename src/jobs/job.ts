/**
 * What one job module declares: its queue name, the pg-boss options of its queue and of each send, and how
 * the worker handles it. `registry.ts` lists the modules; `queue.ts` creates their queues and `worker.ts`
 * registers their handlers from that list.
 */

import type PgBoss from 'pg-boss';
import type { Repositories } from '../db/repositories/index.js';
import type { SyncService } from '../domain/sync/service.js';
import type { Logger } from '../lib/logger.js';
import type { JobQueueHandle, JobsConfig } from './queue.js';

/** A job as a handler receives it. */
export interface ReceivedJob<Payload> {
  id: string;
  data: Payload;
  retryCount: number;
}

/** What the worker process holds, for building the handlers. */
export interface WorkerContext {
  repositories: Repositories;
  queue: JobQueueHandle;
  sync: SyncService;
  /** Processes one recorded Plaid webhook (the webhooks service). */
  processWebhook(webhookEventId: string): Promise<unknown>;
  jobs: JobsConfig;
  logger: Logger;
  /** This worker process's identity (`host:pid`). */
  owner: string;
}

export interface JobHandler<Payload> {
  handle(job: ReceivedJob<Payload>): Promise<unknown>;
}

export interface JobWorker<Payload> {
  /** Polling loops of one job each, per process. */
  concurrency(jobs: JobsConfig): number;
  createHandler(context: WorkerContext): JobHandler<Payload>;
  /** A cron expression (UTC) that sends this job; pg-boss makes sure a tick sends once. */
  schedule?(jobs: JobsConfig): string;
}

export interface JobDefinition<Name extends string = string, Payload = unknown> {
  readonly name: Name;
  /** The queue's policy, retries, expiry and dead letter (created or updated at start). */
  queueOptions(jobs: JobsConfig): Omit<PgBoss.Queue, 'name'>;
  /** Options of every send of this job (its singleton key, for one). */
  sendOptions(data: Payload): PgBoss.SendOptions;
  /** None for a queue no worker takes (the dead letters). */
  readonly worker?: JobWorker<Payload>;
}
