import { and, desc, eq, inArray, lt, or, sql } from 'drizzle-orm';
import type { Database } from '../client.js';
import { plaidPayloads, syncRuns } from '../schema/index.js';
import { jsonbText } from '../../lib/text.js';

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
    /** One `queued` ledger row per product, created with the job that will run them. */
    async createQueuedRuns(input: {
      userId: string;
      itemId: string;
      trigger: SyncTrigger;
      products: SyncProduct[];
    }): Promise<string[]> {
      const rows = await db
        .insert(syncRuns)
        .values(
          input.products.map((product) => ({
            userId: input.userId,
            itemId: input.itemId,
            product,
            trigger: input.trigger,
            status: 'queued' as const,
          })),
        )
        .returning({ id: syncRuns.id });
      return rows.map((r) => r.id);
    },

    async deleteQueuedRuns(userId: string, runIds: string[]): Promise<void> {
      if (runIds.length === 0) return;
      await db
        .delete(syncRuns)
        .where(and(eq(syncRuns.userId, userId), inArray(syncRuns.id, runIds), eq(syncRuns.status, 'queued')));
    },

    async findRuns(userId: string, runIds: string[]): Promise<SyncRunRow[]> {
      if (runIds.length === 0) return [];
      return db
        .select()
        .from(syncRuns)
        .where(and(eq(syncRuns.userId, userId), inArray(syncRuns.id, runIds)));
    },

    /** Turns a queued run into a running one; false when it is not queued any more (a retry, say). */
    async claimQueuedRun(
      userId: string,
      runId: string,
      input: { startedAt: Date; cursorBefore: string | null },
    ): Promise<boolean> {
      const rows = await db
        .update(syncRuns)
        .set({ status: 'running', startedAt: input.startedAt, cursorBefore: input.cursorBefore })
        .where(and(eq(syncRuns.userId, userId), eq(syncRuns.id, runId), eq(syncRuns.status, 'queued')))
        .returning({ id: syncRuns.id });
      return rows.length === 1;
    },

    /** Closes queued runs that will not run (the item needs its owner, or is gone). */
    async skipQueuedRuns(userId: string, runIds: string[], at: Date, error: unknown): Promise<void> {
      if (runIds.length === 0) return;
      await db
        .update(syncRuns)
        .set({ status: 'skipped', finishedAt: at, error })
        .where(and(eq(syncRuns.userId, userId), inArray(syncRuns.id, runIds), eq(syncRuns.status, 'queued')));
    },

    /** The caller's ledger, newest first, keyset-paginated on (queued_at, id). */
    async listRunsForUser(
      userId: string,
      options: { itemId?: string; limit: number; before?: { queuedAt: Date; id: string } },
    ): Promise<SyncRunRow[]> {
      const conditions = [eq(syncRuns.userId, userId)];
      if (options.itemId) conditions.push(eq(syncRuns.itemId, options.itemId));
      if (options.before) {
        const before = or(
          lt(syncRuns.queuedAt, options.before.queuedAt),
          and(eq(syncRuns.queuedAt, options.before.queuedAt), lt(syncRuns.id, options.before.id)),
        );
        if (before) conditions.push(before);
      }
      return db
        .select()
        .from(syncRuns)
        .where(and(...conditions))
        .orderBy(desc(syncRuns.queuedAt), desc(syncRuns.id))
        .limit(options.limit);
    },

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
          // As JSON text with NULs replaced: a bank's U+0000 must not fail the sync (jsonb refuses it).
          payload: sql`${jsonbText(input.payload)}::jsonb`,
        })
        .onConflictDoNothing();
    },
  };
}

export type SyncRunsRepository = ReturnType<typeof createSyncRunsRepository>;
