import { and, desc, eq, sql } from 'drizzle-orm';
import type { Database } from '../client.js';
import { plaidPayloads, syncRuns } from '../schema/index.js';

export type SyncRunRow = typeof syncRuns.$inferSelect;
export type SyncProduct = SyncRunRow['product'];
export type SyncTrigger = SyncRunRow['trigger'];

export interface SyncRunFinish {
  status: 'succeeded' | 'failed' | 'skipped';
  finishedAt: Date;
  addedCount?: number;
  modifiedCount?: number;
  removedCount?: number;
  cursorAfter?: string | null;
  plaidRequestIds: string[];
  error?: unknown;
}

/** The sync ledger (sync_runs) and the raw Plaid payloads kept with it. Every read takes the user id. */
export function createSyncRunsRepository(db: Database) {
  return {
    async startSyncRun(input: {
      userId: string;
      itemId: string;
      product: SyncProduct;
      trigger: SyncTrigger;
      startedAt: Date;
      cursorBefore?: string | null;
    }): Promise<string> {
      const [row] = await db
        .insert(syncRuns)
        .values({
          userId: input.userId,
          itemId: input.itemId,
          product: input.product,
          trigger: input.trigger,
          status: 'running',
          queuedAt: input.startedAt,
          startedAt: input.startedAt,
          cursorBefore: input.cursorBefore ?? null,
        })
        .returning({ id: syncRuns.id });
      if (!row) throw new Error('sync run insert returned no row');
      return row.id;
    },

    async finishSyncRun(userId: string, runId: string, finish: SyncRunFinish): Promise<void> {
      await db
        .update(syncRuns)
        .set({
          status: finish.status,
          finishedAt: finish.finishedAt,
          addedCount: finish.addedCount ?? 0,
          modifiedCount: finish.modifiedCount ?? 0,
          removedCount: finish.removedCount ?? 0,
          ...(finish.cursorAfter !== undefined ? { cursorAfter: finish.cursorAfter } : {}),
          plaidRequestIds: finish.plaidRequestIds,
          error: finish.error ?? null,
        })
        .where(and(eq(syncRuns.userId, userId), eq(syncRuns.id, runId)));
    },

    async listSyncRuns(userId: string, itemId: string): Promise<SyncRunRow[]> {
      return db
        .select()
        .from(syncRuns)
        .where(and(eq(syncRuns.userId, userId), eq(syncRuns.itemId, itemId)))
        .orderBy(desc(syncRuns.queuedAt), desc(syncRuns.id));
    },

    /** Whether a product has ever synced successfully for the item (e.g. the first investment pull). */
    async hasSucceeded(userId: string, itemId: string, product: SyncProduct): Promise<boolean> {
      const [row] = await db
        .select({ one: sql<number>`1` })
        .from(syncRuns)
        .where(
          and(
            eq(syncRuns.userId, userId),
            eq(syncRuns.itemId, itemId),
            eq(syncRuns.product, product),
            eq(syncRuns.status, 'succeeded'),
          ),
        )
        .limit(1);
      return row !== undefined;
    },

    /** Keeps a raw Plaid response (never one that carries an access token). */
    async savePayload(input: {
      userId: string;
      itemId: string;
      syncRunId: string | null;
      endpoint: string;
      requestId: string | null;
      payload: unknown;
    }): Promise<void> {
      await db
        .insert(plaidPayloads)
        .values({
          userId: input.userId,
          itemId: input.itemId,
          syncRunId: input.syncRunId,
          endpoint: input.endpoint,
          requestId: input.requestId,
          payload: input.payload,
        })
        .onConflictDoNothing();
    },
  };
}

export type SyncRunsRepository = ReturnType<typeof createSyncRunsRepository>;
