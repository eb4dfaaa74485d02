import { and, eq, gte, inArray, ne, sql } from 'drizzle-orm';
import type { Database } from '../client.js';
import { readModelState, syncRuns } from '../schema/index.js';

/** Where a person's read model stands: what was asked for and what the last refresh covered. */
export interface ReadModelState {
  requestedSeq: number;
  refreshedSeq: number;
  refreshes: number;
  lastRefreshedAt: Date | null;
  lastDurationMs: number | null;
}

/** The per-user bookkeeping that serializes and coalesces read-model refreshes (read_model_state). */
export function createReadModelRepository(db: Database) {
  return {
    /** Records that `userId`'s read model must be recomputed; returns the request's sequence number. */
    async requestRefresh(userId: string): Promise<number> {
      const [row] = await db
        .insert(readModelState)
        .values({ userId, requestedSeq: 1 })
        .onConflictDoUpdate({
          target: readModelState.userId,
          set: { requestedSeq: sql`${readModelState.requestedSeq} + 1` },
        })
        .returning({ seq: readModelState.requestedSeq });
      return row!.seq;
    },

    /** The user's row as it stands, without a lock (embedded mode serializes refreshes in process). */
    async current(userId: string): Promise<ReadModelState | undefined> {
      const [row] = await db.select().from(readModelState).where(eq(readModelState.userId, userId));
      return row;
    },

    /** The people whose last refresh request is not covered yet (a stop cut their refresh short). */
    async withOpenRequests(): Promise<string[]> {
      const rows = await db
        .select({ userId: readModelState.userId })
        .from(readModelState)
        .where(sql`${readModelState.refreshedSeq} < ${readModelState.requestedSeq}`);
      return rows.map((row) => row.userId);
    },

    /**
     * Inside a transaction: locks the user's row until it ends (every refresh of one person runs one at a
     * time, in any process) and returns it as it stands once the lock is held.
     */
    async lockForRefresh(userId: string): Promise<ReadModelState | undefined> {
      const [row] = await db
        .select()
        .from(readModelState)
        .where(eq(readModelState.userId, userId))
        .for('update');
      return row;
    },

    /** Inside the locking transaction: the refresh covered every request up to `seq`. */
    async recordRefresh(userId: string, seq: number, at: Date, durationMs: number): Promise<void> {
      await db
        .update(readModelState)
        .set({
          refreshedSeq: sql`greatest(${readModelState.refreshedSeq}, ${seq})`,
          refreshes: sql`${readModelState.refreshes} + 1`,
          lastRefreshedAt: at,
          lastDurationMs: durationMs,
        })
        .where(eq(readModelState.userId, userId));
    },

    /**
     * How many syncs of the user's other items are still to finish (queued or running since `since`):
     * each of them asks for a refresh when it ends, so a refresh now would be redone at once.
     */
    async unfinishedSyncsOfOtherItems(userId: string, itemId: string, since: Date): Promise<number> {
      const [row] = await db
        .select({ n: sql<number>`count(*)::int` })
        .from(syncRuns)
        .where(
          and(
            eq(syncRuns.userId, userId),
            ne(syncRuns.itemId, itemId),
            inArray(syncRuns.status, ['queued', 'running']),
            gte(syncRuns.queuedAt, since),
          ),
        );
      return row?.n ?? 0;
    },
  };
}

export type ReadModelRepository = ReturnType<typeof createReadModelRepository>;
