/**
 * The job worker: the handler and schedule of every job module (`registry.ts`). `finance-api worker` runs
 * it in its own process (PostgreSQL); embedded mode runs it inside the API process.
 */

import { hostname } from 'node:os';
import type { Database } from '../db/client.js';
import { createRepositories, type Repositories } from '../db/repositories/index.js';
import type { SyncService } from '../domain/sync/service.js';
import type { Logger } from '../lib/logger.js';
import type { WorkerContext } from './job.js';
import type { JobQueueHandle, JobsConfig } from './queue.js';
import { JOBS } from './registry.js';

export interface WorkerDeps {
  db: Database;
  /** The composition root's repositories (`composeServices`); by default, over `db`. */
  repositories?: Repositories;
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
  const context: WorkerContext = {
    repositories: deps.repositories ?? createRepositories(deps.db),
    queue,
    sync: deps.sync,
    processWebhook: deps.processWebhook,
    jobs,
    logger,
    owner,
  };

  for (const job of JOBS) {
    if (!job.worker) continue;
    const handler = job.worker.createHandler(context);
    await queue.work(
      job.name,
      { concurrency: job.worker.concurrency(jobs), pollIntervalSeconds: jobs.pollIntervalSeconds },
      (received) => handler.handle(received),
    );
    const cron = job.worker.schedule?.(jobs);
    if (cron) await queue.boss.schedule(job.name, cron, {}, { tz: 'UTC' });
  }
  logger.info(
    { owner, concurrency: jobs.concurrency, refreshCron: jobs.refreshCron },
    'job worker started (sync, webhooks, scheduled refresh, retention)',
  );
  return { owner };
}
