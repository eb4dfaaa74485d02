import { and, eq, isNull, lt, or, sql } from 'drizzle-orm';
import type { Database } from '../client.js';
import { plaidItems, syncRuns } from '../schema/index.js';

/**
 * The per-item sync lock: a lease on the plaid_items row (owner + expiry), taken with one conditional
 * UPDATE, so workers in several processes on one PostgreSQL never sync the same item at once. A worker
 * that dies (SIGKILL) stops renewing; its lease expires and the next worker takes the item over.
 */
export function createItemLocksRepository(db: Database) {
  return {
    /** Takes the lease when it is free or expired; false when another worker holds it. */
    async acquire(userId: string, itemId: string, owner: string, leaseSeconds: number): Promise<boolean> {
      const rows = await db
        .update(plaidItems)
        .set({
          syncLockOwner: owner,
          syncLockExpiresAt: sql`now() + make_interval(secs => ${leaseSeconds})`,
        })
        .where(
          and(
            eq(plaidItems.userId, userId),
            eq(plaidItems.id, itemId),
            or(
              isNull(plaidItems.syncLockOwner),
              eq(plaidItems.syncLockOwner, owner),
              lt(plaidItems.syncLockExpiresAt, sql`now()`),
            ),
          ),
        )
        .returning({ id: plaidItems.id });
      return rows.length === 1;
    },

    /** Extends the lease; false when it was lost (expired and taken by another worker). */
    async renew(itemId: string, owner: string, leaseSeconds: number): Promise<boolean> {
      const rows = await db
        .update(plaidItems)
        .set({ syncLockExpiresAt: sql`now() + make_interval(secs => ${leaseSeconds})` })
        .where(and(eq(plaidItems.id, itemId), eq(plaidItems.syncLockOwner, owner)))
        .returning({ id: plaidItems.id });
      return rows.length === 1;
    },

    async release(itemId: string, owner: string): Promise<void> {
      await db
        .update(plaidItems)
        .set({ syncLockOwner: null, syncLockExpiresAt: null })
        .where(and(eq(plaidItems.id, itemId), eq(plaidItems.syncLockOwner, owner)));
    },

    /** Seconds until the current lease ends (0 when free or expired). */
    async secondsLeft(itemId: string): Promise<number> {
      const [row] = await db
        .select({
          left: sql<string>`greatest(0, extract(epoch from (${plaidItems.syncLockExpiresAt} - now())))`,
        })
        .from(plaidItems)
        .where(and(eq(plaidItems.id, itemId), sql`${plaidItems.syncLockOwner} is not null`));
      return row ? Math.ceil(Number(row.left)) : 0;
    },

    /**
     * Runs that a lost worker left `running` (or `queued` ones of a job that will never run them) are
     * closed as failed, so the ledger tells the truth after a takeover.
     */
    async abandonRunningRuns(userId: string, itemId: string, at: Date): Promise<number> {
      const rows = await db
        .update(syncRuns)
        .set({
          status: 'failed',
          finishedAt: at,
          error: {
            kind: 'internal',
            name: 'WorkerLost',
            message: 'the worker running this sync stopped before it finished; the sync was run again',
            retryable: true,
            retryAfterMs: null,
          },
        })
        .where(and(eq(syncRuns.userId, userId), eq(syncRuns.itemId, itemId), eq(syncRuns.status, 'running')))
        .returning({ id: syncRuns.id });
      return rows.length;
    },
  };
}

export type ItemLocksRepository = ReturnType<typeof createItemLocksRepository>;
