import { and, desc, eq, sql } from 'drizzle-orm';
import type { Database } from '../client.js';
import {
  accounts,
  institutions,
  plaidItems,
  plaidPayloads,
  syncRuns,
  type ItemStatus,
} from '../schema/index.js';

export type PlaidItemRow = typeof plaidItems.$inferSelect;
export type NewPlaidItem = typeof plaidItems.$inferInsert;
export type NewInstitutionRow = typeof institutions.$inferInsert;
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

/** The item bookkeeping the link and sync pipeline needs. Every read of user data takes the user id. */
export function createItemsSyncRepository(db: Database) {
  return {
    async upsertInstitution(row: NewInstitutionRow): Promise<void> {
      await db
        .insert(institutions)
        .values(row)
        .onConflictDoUpdate({
          target: institutions.id,
          set: {
            name: row.name,
            url: row.url ?? null,
            primaryColor: row.primaryColor ?? null,
            logo: row.logo ?? null,
            countryCodes: row.countryCodes ?? [],
            raw: row.raw ?? null,
            updatedAt: new Date(),
          },
        });
    },

    async insertItem(row: NewPlaidItem): Promise<PlaidItemRow> {
      const [inserted] = await db.insert(plaidItems).values(row).returning();
      if (!inserted) throw new Error('plaid item insert returned no row');
      return inserted;
    },

    /** The item with its encrypted token (for the pipeline only; never returned to a client). */
    async findItem(userId: string, itemId: string): Promise<PlaidItemRow | undefined> {
      const [row] = await db
        .select()
        .from(plaidItems)
        .where(and(eq(plaidItems.userId, userId), eq(plaidItems.id, itemId)));
      return row;
    },

    /** The caller's items at one institution with the (mask, name) of their accounts. */
    async accountSignaturesAtInstitution(
      userId: string,
      institutionId: string,
    ): Promise<{ itemId: string; mask: string | null; name: string }[]> {
      return db
        .select({ itemId: accounts.itemId, mask: accounts.mask, name: accounts.name })
        .from(accounts)
        .innerJoin(plaidItems, eq(plaidItems.id, accounts.itemId))
        .where(
          and(
            eq(accounts.userId, userId),
            eq(plaidItems.userId, userId),
            eq(plaidItems.institutionId, institutionId),
          ),
        );
    },

    async deleteItem(userId: string, itemId: string): Promise<void> {
      await db.delete(plaidItems).where(and(eq(plaidItems.userId, userId), eq(plaidItems.id, itemId)));
    },

    async setStatus(userId: string, itemId: string, status: ItemStatus, lastError: unknown): Promise<void> {
      await db
        .update(plaidItems)
        .set({ status, lastError: lastError ?? null })
        .where(and(eq(plaidItems.userId, userId), eq(plaidItems.id, itemId)));
    },

    async markSynced(userId: string, itemId: string, at: Date): Promise<void> {
      await db
        .update(plaidItems)
        .set({ lastSyncedAt: at, lastError: null })
        .where(and(eq(plaidItems.userId, userId), eq(plaidItems.id, itemId)));
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
          payload: input.payload,
        })
        .onConflictDoNothing();
    },
  };
}

export type ItemsSyncRepository = ReturnType<typeof createItemsSyncRepository>;
