import { and, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { Database } from '../client.js';
import { plaidItems, syncRuns } from '../schema/index.js';

/**
 * The per-item sync lock: a lease on the plaid_items row (owner + expiry), taken with one conditional
 * UPDATE, so workers in several processes on one PostgreSQL never sync the same item at once. A worker
 * that dies (SIGKILL) stops renewing; its lease expires and the next worker takes the item over
 * (`takeOverRuns` closes the ledger rows the dead one left open).
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
     * Called by the lock holder right after `acquire`: closes what a lost worker left behind, so the
     * ledger tells the truth after a takeover, and records `runIds` (this job's ledger rows) on the item
     * for the next taker. Closed: every `running` run of the item (only the holder runs any) as `failed`
     * with `lostRunError`, and the `queued` runs of the job that held the lock before (it will never run
     * them; this sync covers them) as `skipped` with `supersededRunError`, unless they are this job's own
     * (pg-boss retrying the lost job itself: it claims them). One transaction.
     */
    async takeOverRuns(input: {
      userId: string;
      itemId: string;
      runIds: string[];
      at: Date;
      lostRunError: unknown;
      supersededRunError: unknown;
    }): Promise<{ running: number; queued: number }> {
      const { userId, itemId, at } = input;
      return db.transaction(async (tx) => {
        const [item] = await tx
          .select({ previous: plaidItems.syncLockRunIds })
          .from(plaidItems)
          .where(and(eq(plaidItems.userId, userId), eq(plaidItems.id, itemId)));
        const own = new Set(input.runIds);
        const left = (item?.previous ?? []).filter((id) => !own.has(id));
        const running = await tx
          .update(syncRuns)
          .set({ status: 'failed', finishedAt: at, error: input.lostRunError })
          .where(
            and(eq(syncRuns.userId, userId), eq(syncRuns.itemId, itemId), eq(syncRuns.status, 'running')),
          )
          .returning({ id: syncRuns.id });
        const queued =
          left.length === 0
            ? []
            : await tx
                .update(syncRuns)
                .set({ status: 'skipped', finishedAt: at, error: input.supersededRunError })
                .where(
                  and(
                    eq(syncRuns.userId, userId),
                    eq(syncRuns.itemId, itemId),
                    inArray(syncRuns.id, left),
                    eq(syncRuns.status, 'queued'),
                  ),
                )
                .returning({ id: syncRuns.id });
        await tx
          .update(plaidItems)
          .set({ syncLockRunIds: input.runIds })
          .where(and(eq(plaidItems.userId, userId), eq(plaidItems.id, itemId)));
        return { running: running.length, queued: queued.length };
      });
    },
  };
}

export type ItemLocksRepository = ReturnType<typeof createItemLocksRepository>;
