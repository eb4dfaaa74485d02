/**
 * A worker killed in the middle of a sync (SIGKILL) leaves its ledger rows open: the product it was
 * running stays `running`, the products it had not reached stay `queued`. The job that takes the item
 * over closes both (issue 11, defect 8), leaves the rows of a job that never started alone, and when
 * the taker is the lost job itself (pg-boss retrying it), runs its own queued rows instead.
 */
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createItemLocksRepository } from '../../src/db/repositories/item-locks.js';
import { createItemsRepository } from '../../src/db/repositories/items.js';
import { createSyncRunsRepository, type SyncRunRow } from '../../src/db/repositories/sync-runs.js';
import { plaidItems, syncProducts, syncRuns } from '../../src/db/schema/index.js';
import { internalSyncError, toSyncErrorView } from '../../src/domain/sync/run-errors.js';
import { createSyncItemHandler } from '../../src/jobs/sync-item.js';
import { createLogger } from '../../src/lib/logger.js';
import { databaseKinds } from '../helpers/database.js';
import { startSyncHarness, type SyncHarness } from '../sync/support.js';

const LEASE_SECONDS = 30;

describe.each(databaseKinds())('taking over the item of a killed worker (%s)', (kind) => {
  let h: SyncHarness;
  let userId: string;
  let itemId: string;

  beforeAll(async () => {
    h = await startSyncHarness(kind);
  });
  beforeEach(async () => {
    userId = await h.newUser();
    itemId = (await h.linking.linkItem({ userId, publicToken: await h.publicToken() })).id;
  });
  afterAll(() => h?.close());

  const runs = () => createSyncRunsRepository(h.db);
  const locks = () => createItemLocksRepository(h.db);

  function handler(owner: string) {
    const items = createItemsRepository(h.db);
    return createSyncItemHandler({
      sync: h.sync,
      locks: locks(),
      runs: runs(),
      findItem: (u, i) => items.findItem(u, i),
      deferSync: () => Promise.reject(new Error('the item should have been free to take over')),
      owner,
      leaseSeconds: LEASE_SECONDS,
      logger: createLogger('silent'),
    });
  }

  /**
   * What a worker does before it is killed: takes the lock as `owner`, records its rows (as the handler
   * does), finishes `done` products, starts `running`; then it dies and its lease runs out.
   */
  async function killedWhileRunning(owner: string, runIds: string[], done: number): Promise<SyncRunRow[]> {
    expect(await locks().acquire(userId, itemId, owner, LEASE_SECONDS)).toBe(true);
    const never = internalSyncError('WorkerLost', 'unused', {
      action: 'retry',
      retryable: false,
      retryAfterMs: null,
    });
    await locks().takeOverRuns({
      userId,
      itemId,
      runIds,
      at: h.clock.now,
      lostRunError: never,
      supersededRunError: never,
    });
    const rows = await runs().findRuns(userId, runIds);
    const ordered = syncProducts.flatMap((p) => rows.filter((r) => r.product === p));
    for (const [i, row] of ordered.entries()) {
      if (i > done) break;
      expect(
        await runs().claimQueuedRun(userId, row.id, { startedAt: h.clock.now, cursorBefore: null }),
      ).toBe(true);
      if (i < done) {
        await runs().finishSyncRun(userId, row.id, {
          status: 'succeeded',
          finishedAt: h.clock.now,
          plaidRequestIds: [],
        });
      }
    }
    // SIGKILL: no release, no more renewals; the lease ends.
    await h.db
      .update(plaidItems)
      .set({ syncLockExpiresAt: sql`now() - interval '1 second'` })
      .where(eq(plaidItems.id, itemId));
    return ordered;
  }

  async function itemRuns() {
    return h.db
      .select()
      .from(syncRuns)
      .where(and(eq(syncRuns.userId, userId), eq(syncRuns.itemId, itemId)));
  }

  it('should close the lost job’s running and queued rows when another job takes the item over', async () => {
    const lostIds = await runs().createQueuedRuns({
      userId,
      itemId,
      trigger: 'link',
      products: [...syncProducts],
    });
    // Killed while transactions ran: accounts done; holdings, investment transactions, liabilities queued.
    await killedWhileRunning('host-1:101/job-a', lostIds, 1);
    const takerIds = await runs().createQueuedRuns({
      userId,
      itemId,
      trigger: 'manual',
      products: [...syncProducts],
    });

    const outcome = await handler('host-2:202')({
      id: 'job-b',
      data: { userId, itemId, trigger: 'manual', runIds: takerIds },
      retryCount: 0,
    });
    expect(outcome).toMatchObject({ status: 'succeeded' });

    const rows = await itemRuns();
    const lost = Object.fromEntries(rows.filter((r) => lostIds.includes(r.id)).map((r) => [r.product, r]));
    expect(lost.accounts?.status).toBe('succeeded');
    expect(lost.transactions).toMatchObject({
      status: 'failed',
      error: { kind: 'internal', name: 'WorkerLost', action: 'retry' },
    });
    for (const product of ['holdings', 'investment_transactions', 'liabilities'] as const) {
      expect(lost[product], product).toMatchObject({
        status: 'skipped',
        error: { kind: 'internal', name: 'WorkerLost', action: 'absorbed' },
      });
      expect(lost[product]?.finishedAt).not.toBeNull();
      expect(toSyncErrorView(lost[product]?.error)).toMatchObject({ code: 'WorkerLost', action: 'absorbed' });
    }
    expect(rows.filter((r) => takerIds.includes(r.id)).map((r) => r.status)).toEqual(
      takerIds.map(() => 'succeeded'),
    );
    expect(rows.filter((r) => r.status === 'queued' || r.status === 'running')).toEqual([]);
  });

  it('should leave the queued rows of a job that has not started yet alone', async () => {
    const lostIds = await runs().createQueuedRuns({
      userId,
      itemId,
      trigger: 'link',
      products: [...syncProducts],
    });
    await killedWhileRunning('host-1:101/job-a', lostIds, 0);
    const pendingIds = await runs().createQueuedRuns({
      userId,
      itemId,
      trigger: 'webhook',
      products: [...syncProducts],
    });
    const takerIds = await runs().createQueuedRuns({
      userId,
      itemId,
      trigger: 'manual',
      products: [...syncProducts],
    });
    await handler('host-2:202')({
      id: 'job-b',
      data: { userId, itemId, trigger: 'manual', runIds: takerIds },
      retryCount: 0,
    });
    const rows = await itemRuns();
    expect(rows.filter((r) => pendingIds.includes(r.id)).map((r) => r.status)).toEqual(
      pendingIds.map(() => 'queued'),
    );
    expect(rows.filter((r) => lostIds.includes(r.id) && r.status === 'queued')).toEqual([]);
  });

  it('should run its own queued rows when the taker is the lost job itself, retried by the queue', async () => {
    const ids = await runs().createQueuedRuns({
      userId,
      itemId,
      trigger: 'link',
      products: [...syncProducts],
    });
    // Killed while accounts ran: everything else still queued.
    await killedWhileRunning('host-1:101/job-a', ids, 0);

    const outcome = await handler('host-2:202')({
      id: 'job-a',
      data: { userId, itemId, trigger: 'link', runIds: ids },
      retryCount: 1,
    });
    expect(outcome).toMatchObject({ status: 'succeeded' });

    const rows = await itemRuns();
    const own = rows.filter((r) => ids.includes(r.id));
    expect(own.find((r) => r.product === 'accounts')).toMatchObject({
      status: 'failed',
      error: { name: 'WorkerLost' },
    });
    // The retry claimed the rows it was queued with, and ran accounts again in a row of its own.
    expect(own.filter((r) => r.product !== 'accounts').map((r) => r.status)).toEqual([
      'succeeded',
      'succeeded',
      'succeeded',
      'succeeded',
    ]);
    expect(rows.filter((r) => !ids.includes(r.id)).map((r) => [r.product, r.trigger, r.status])).toEqual([
      ['accounts', 'retry', 'succeeded'],
    ]);
    expect(rows.filter((r) => r.status === 'queued' || r.status === 'running')).toEqual([]);
  });
});
