/**
 * The job queue on both databases: pg-boss on the same PGlite instance / PostgreSQL server, real sync
 * jobs against the emulator over HTTP, one pending job per item, the per-item lock, retries.
 */
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectRows } from '../../src/db/client.js';
import { createItemLocksRepository } from '../../src/db/repositories/item-locks.js';
import { syncRuns } from '../../src/db/schema/index.js';
import { startJobQueue, type JobQueueHandle } from '../../src/jobs/queue.js';
import { QUEUES } from '../../src/jobs/registry.js';
import { startWorker } from '../../src/jobs/worker.js';
import { createLogger } from '../../src/lib/logger.js';
import { databaseKinds } from '../helpers/database.js';
import {
  expectedTransactions,
  ourTransactions,
  startSyncHarness,
  type SyncHarness,
} from '../sync/support.js';
import { until } from '../helpers/wait.js';

const JOBS = {
  inProcess: true,
  concurrency: 2,
  pollIntervalSeconds: 0.5,
  refreshCron: '0 6 * * *',
  retryLimit: 3,
  retryDelaySeconds: 1,
  timeoutSeconds: 60,
  lockLeaseSeconds: 5,
};

describe.each(databaseKinds())('job queue on %s', (kind) => {
  let h: SyncHarness;
  let queue: JobQueueHandle;
  let userId: string;
  const logger = createLogger('silent');

  beforeAll(async () => {
    h = await startSyncHarness(kind);
    queue = await startJobQueue({ database: h.database.handle, jobs: JOBS, logger, supervise: true });
    userId = await h.newUser();
  }, 60_000);
  afterAll(async () => {
    await queue.stop();
    await h.close();
  });

  async function runsOf(itemId: string) {
    return h.db.select().from(syncRuns).where(eq(syncRuns.itemId, itemId));
  }

  it('should keep one pending sync per item: a second request is absorbed and gets the same run ids', async () => {
    const item = await h.linking.linkItem({ userId, publicToken: await h.publicToken() });
    const first = await queue.enqueueSync({ userId, itemId: item.id, trigger: 'link' });
    const second = await queue.enqueueSync({ userId, itemId: item.id, trigger: 'manual' });
    expect(first.absorbed).toBe(false);
    expect(first.runIds).toHaveLength(5);
    expect(second).toEqual({ itemId: item.id, jobId: first.jobId, absorbed: true, runIds: first.runIds });
    const queued = await runsOf(item.id);
    expect(queued.map((r) => r.status)).toEqual(['queued', 'queued', 'queued', 'queued', 'queued']);

    await startWorker({
      db: h.db,
      queue,
      sync: h.sync,
      processWebhook: () => Promise.resolve(),
      jobs: JOBS,
      logger,
    });
    const done = await until('the queued runs to finish', async () => {
      const rows = await runsOf(item.id);
      return rows.every((r) => r.finishedAt !== null) && rows;
    });
    // The job ran the very ledger rows it was queued with.
    expect(done.map((r) => r.id).sort()).toEqual([...first.runIds].sort());
    expect(done.every((r) => r.status === 'succeeded' && r.trigger === 'link')).toBe(true);
    const truth = await h.groundTruth(item.plaidItemId);
    // The ledger counts what the first sync added.
    const tx = done.find((r) => r.product === 'transactions');
    expect([tx?.addedCount, tx?.modifiedCount, tx?.removedCount]).toEqual([truth.transactions.length, 0, 0]);
    expect(tx?.cursorAfter).toBeTruthy();
    expect(await ourTransactions(h.db, userId, item.id)).toEqual(
      expectedTransactions(truth).sort((a, b) => (a.id < b.id ? -1 : 1)),
    );
  }, 60_000);

  it('should not sync an item another worker holds; it runs once the lock is free', async () => {
    const item = await h.linking.linkItem({
      userId,
      publicToken: await h.publicToken({ institutionId: 'ins_109509' }),
    });
    const locks = createItemLocksRepository(h.db);
    // A lease that outlasts the wait below, however slow the machine.
    expect(await locks.acquire(userId, item.id, 'another-worker', 30)).toBe(true);
    const enqueued = await queue.enqueueSync({ userId, itemId: item.id, trigger: 'manual' });
    // While the other worker holds it, nothing runs: the worker takes the job and defers it.
    const job = await until('the worker to take the job', async () => {
      const found = await queue.boss.getJobById(QUEUES.syncItem, enqueued.jobId!);
      return found?.state === 'completed' && found;
    });
    expect(job.output).toMatchObject({ status: 'deferred', absorbed: false });
    expect((await runsOf(item.id)).every((r) => r.status === 'queued')).toBe(true);
    await locks.release(item.id, 'another-worker');
    const rows = await until('the deferred sync to run', async () => {
      const all = await runsOf(item.id);
      return all.every((r) => r.finishedAt !== null) && all;
    });
    expect(rows.map((r) => r.id).sort()).toEqual([...enqueued.runIds].sort());
    expect(rows.every((r) => r.status === 'succeeded')).toBe(true);
  }, 60_000);

  it('should retry a sync that failed for a transient reason, with new ledger rows marked retry', async () => {
    const item = await h.linking.linkItem({
      userId,
      publicToken: await h.publicToken({ institutionId: 'ins_109510' }),
    });
    await h.control('POST', '/__emulator/faults', {
      endpoint: '/transactions/sync',
      error_code: 'INTERNAL_SERVER_ERROR',
      count: 1,
    });
    await queue.enqueueSync({ userId, itemId: item.id, trigger: 'manual' });
    const rows = await until('a successful retry', async () => {
      const all = await runsOf(item.id);
      const ok = all.find((r) => r.product === 'transactions' && r.status === 'succeeded');
      return ok && all;
    });
    const tx = rows.filter((r) => r.product === 'transactions');
    expect(tx.map((r) => [r.trigger, r.status]).sort()).toEqual([
      ['manual', 'failed'],
      ['retry', 'succeeded'],
    ]);
    const truth = await h.groundTruth(item.plaidItemId);
    expect((await ourTransactions(h.db, userId, item.id)).length).toBe(truth.transactions.length);
  }, 60_000);

  async function jobsOf(itemId: string): Promise<number> {
    const [row] = await selectRows<{ n: number }>(
      h.db,
      sql`select count(*)::int as n from pgboss.job where name = 'sync-item' and singleton_key = ${itemId}`,
    );
    return row?.n ?? 0;
  }

  it('should leave neither ledger rows nor a job when enqueueing fails between the two', async () => {
    const item = await h.linking.linkItem({
      userId,
      publicToken: await h.publicToken({ institutionId: 'ins_109511' }),
    });
    const failing = queue.enqueueSync(
      { userId, itemId: item.id, trigger: 'manual' },
      { beforeSend: () => Promise.reject(new Error('the process died here')) },
    );
    await expect(failing).rejects.toThrow('the process died here');
    expect(await runsOf(item.id)).toEqual([]);
    expect(await jobsOf(item.id)).toBe(0);

    // Inside a caller's transaction that rolls back: the job and its rows go with it.
    const rolledBack = h.db.transaction(async (tx) => {
      const enqueued = await queue.enqueueSync({ userId, itemId: item.id, trigger: 'manual' }, { tx });
      expect(enqueued.absorbed).toBe(false);
      throw new Error('the change that caused the sync failed');
    });
    await expect(rolledBack).rejects.toThrow('the change that caused the sync failed');
    expect(await runsOf(item.id)).toEqual([]);
    expect(await jobsOf(item.id)).toBe(0);

    // And a request that goes through is not lost: the job runs and closes its rows.
    const enqueued = await queue.enqueueSync({ userId, itemId: item.id, trigger: 'manual' });
    const rows = await until('the runs to finish', async () => {
      const all = await runsOf(item.id);
      return all.length > 0 && all.every((r) => r.status !== 'queued' && r.status !== 'running') && all;
    });
    expect(rows.map((r) => r.id).sort()).toEqual([...enqueued.runIds].sort());
  }, 60_000);
});
