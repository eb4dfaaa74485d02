/**
 * The job queue: pg-boss on the service's own database. On PostgreSQL it shares the node-postgres pool;
 * in embedded mode it runs on the same PGlite instance (only one process may open it) through a small
 * `executeSql` adapter. Jobs survive restarts, retries back off exponentially with jitter, and sync jobs
 * that exhaust their retries are copied to a dead-letter queue and kept.
 */

import { randomUUID } from 'node:crypto';
import PgBoss from 'pg-boss';
import type { Config } from '../config/schema.js';
import { sqlExecutor, type Database, type DatabaseHandle } from '../db/client.js';
import { createRepositories } from '../db/repositories/index.js';
import type {
  EnqueuedSync,
  EnqueueOptions,
  JobQueue,
  SyncRequest,
  WebhookRequest,
} from '../domain/sync/queue.js';
import { plannedSyncProducts } from '../domain/sync/products.js';
import type { Logger } from '../lib/logger.js';
import type { ReceivedJob } from './job.js';
import { plaidWebhookJob } from './plaid-webhook.js';
import { JOBS } from './registry.js';
import { syncItemJob, type SyncItemJob } from './sync-item.js';

export const JOBS_SCHEMA = 'pgboss';

/** Thrown inside the enqueue savepoint to roll back the ledger rows of an absorbed request. */
const ABSORBED = Symbol('absorbed');

export type JobsConfig = Config['jobs'];

interface SqlResult {
  rows: unknown[];
}

/** pg-boss's `db` contract over PGlite: multi-statement text without parameters goes through `exec`. */
function pgliteExecutor(pglite: NonNullable<DatabaseHandle['pglite']>) {
  return {
    async executeSql(text: string, values?: unknown[]): Promise<SqlResult> {
      try {
        if (values && values.length > 0) return await pglite.query(text, values);
        const results = await pglite.exec(text);
        return results.at(-1) ?? { rows: [] };
      } catch (error) {
        // A failed multi-statement transaction leaves the one shared session aborted: end it.
        await pglite.exec('ROLLBACK').catch(() => undefined);
        throw error;
      }
    },
  };
}

function poolExecutor(pool: NonNullable<DatabaseHandle['pool']>) {
  return {
    executeSql: (text: string, values?: unknown[]): Promise<SqlResult> => pool.query(text, values),
  };
}

export interface JobQueueHandle extends JobQueue {
  readonly boss: PgBoss;
  /** Registers a handler; `concurrency` polling loops of one job each. */
  work(
    name: string,
    options: { concurrency: number; pollIntervalSeconds: number },
    handler: (job: ReceivedJob<unknown>) => Promise<unknown>,
  ): Promise<void>;
  /** Re-runs a sync job later (another worker holds the item); false when a pending job absorbs it. */
  deferSync(data: SyncItemJob, afterSeconds: number): Promise<boolean>;
  stop(): Promise<void>;
}

export interface StartJobQueueOptions {
  database: DatabaseHandle;
  jobs: JobsConfig;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Run pg-boss's maintenance and cron timekeeping in this process (workers and embedded mode). */
  supervise: boolean;
}

/** Starts pg-boss (creating its schema on first use) and the queues; stop() waits for running jobs. */
export async function startJobQueue(options: StartJobQueueOptions): Promise<JobQueueHandle> {
  const { database, jobs, logger } = options;
  const db = database.pglite
    ? pgliteExecutor(database.pglite)
    : database.pool
      ? poolExecutor(database.pool)
      : undefined;
  if (!db) throw new Error('the job queue needs a PGlite instance or a PostgreSQL pool');

  const boss = new PgBoss({
    db,
    schema: JOBS_SCHEMA,
    migrate: true,
    supervise: options.supervise,
    schedule: options.supervise,
    // Lost jobs (a killed worker) are failed and retried within a minute of their expiry.
    maintenanceIntervalSeconds: 60,
    archiveCompletedAfterSeconds: 24 * 3600,
    archiveFailedAfterSeconds: 30 * 24 * 3600,
    deleteAfterDays: 30,
  });
  boss.on('error', (error: Error) => logger.error({ err: error.message }, 'job queue error'));
  await boss.start();

  // Each job module's queue, created on first use and brought up to its options on every start. Processes
  // starting at once (an API and its workers) create the same queue tables concurrently, which PostgreSQL
  // may end in a deadlock (40P01); the loser tries again, and then finds the queue there.
  for (const job of JOBS) {
    const queue = { name: job.name, ...job.queueOptions(jobs) };
    await retriedOnConflict(() => boss.createQueue(job.name, queue));
    await retriedOnConflict(() => boss.updateQueue(job.name, queue));
  }

  let stopped = false;

  async function pendingSyncJob(
    itemId: string,
    tx?: Database,
  ): Promise<{ id: string; runIds: string[] } | undefined> {
    const result = (await (tx ? sqlExecutor(tx) : db!).executeSql(
      `SELECT id, data FROM ${JOBS_SCHEMA}.job
        WHERE name = $1 AND singleton_key = $2 AND state = 'created'
        ORDER BY created_on LIMIT 1`,
      [syncItemJob.name, itemId],
    )) as { rows: { id: string; data: { runIds?: string[] } }[] };
    const row = result.rows[0];
    return row ? { id: row.id, runIds: row.data.runIds ?? [] } : undefined;
  }

  const handle: JobQueueHandle = {
    boss,

    async enqueueSync(request: SyncRequest, options: EnqueueOptions = {}): Promise<EnqueuedSync> {
      // The ledger rows and the job in one transaction (a savepoint inside the caller's): a worker that
      // picks the job up finds its rows, and a crash leaves neither a row without a job nor the reverse.
      const enqueued = await (options.tx ?? database.db)
        .transaction(async (tx) => {
          const runIds = await createRepositories(tx).syncRuns.createQueuedRuns({
            ...request,
            products: await plannedSyncProducts(tx, request.userId, request.itemId),
          });
          await options.beforeSend?.();
          const data: SyncItemJob = { ...request, runIds };
          const jobId = await boss.send(syncItemJob.name, data, {
            ...syncItemJob.sendOptions(data),
            id: randomUUID(),
            db: sqlExecutor(tx),
          });
          // A pending job for the item absorbs the request: its rows are rolled back with the savepoint.
          if (!jobId) throw ABSORBED;
          return { itemId: request.itemId, jobId, absorbed: false, runIds };
        })
        .catch((error: unknown) => {
          if (error === ABSORBED) return undefined;
          throw error;
        });
      if (enqueued) return enqueued;
      const pending = await pendingSyncJob(request.itemId, options.tx);
      return {
        itemId: request.itemId,
        jobId: pending?.id ?? null,
        absorbed: true,
        runIds: pending?.runIds ?? [],
      };
    },

    async enqueueWebhook(request: WebhookRequest, options: EnqueueOptions = {}): Promise<void> {
      await boss.send(plaidWebhookJob.name, request, {
        ...plaidWebhookJob.sendOptions(request),
        ...(options.tx ? { db: sqlExecutor(options.tx) } : {}),
      });
    },

    async deferSync(data, afterSeconds) {
      const id = await boss.send(syncItemJob.name, data, {
        ...syncItemJob.sendOptions(data),
        startAfter: Math.max(1, Math.ceil(afterSeconds)),
      });
      return id !== null;
    },

    async work(name, { concurrency, pollIntervalSeconds }, handler) {
      for (let i = 0; i < concurrency; i++) {
        // pg-boss waits out the poll interval after every fetch, even one that found a job: a loop would
        // take at most one job per interval (2 s: 4 loops synced 2 items/s with the CPU mostly idle).
        // After a job, the loop is told to fetch again at once; it waits only when the queue was empty.
        const loop: { id?: string } = {};
        loop.id = await boss.work(
          name,
          { batchSize: 1, pollingIntervalSeconds: pollIntervalSeconds, includeMetadata: true },
          async ([job]) => {
            if (!job || stopped) return;
            try {
              return await handler({ id: job.id, data: job.data, retryCount: job.retryCount });
            } finally {
              if (loop.id && !stopped) boss.notifyWorker(loop.id);
            }
          },
        );
      }
    },

    async stop() {
      stopped = true;
      await boss.stop({ graceful: true, wait: true, timeout: 30_000 });
    },
  };
  return handle;
}

/** SQLSTATEs of a statement that lost a race with the same statement of another process. */
const CONFLICT_CODES = new Set(['40P01', '40001', '23505']);

/** Runs `step` again (up to five times, after a short random pause) when it lost such a race. */
async function retriedOnConflict<T>(step: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (attempt >= 5 || typeof code !== 'string' || !CONFLICT_CODES.has(code)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 200 * attempt));
    }
  }
}
