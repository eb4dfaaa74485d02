import { and, asc, eq, sql } from 'drizzle-orm';
import type { Database } from '../client.js';
import { accounts, institutions, plaidItems, type ItemStatus } from '../schema/index.js';

export type PlaidItemRow = typeof plaidItems.$inferSelect;
export type NewPlaidItem = typeof plaidItems.$inferInsert;
export type NewInstitutionRow = typeof institutions.$inferInsert;

export interface ItemHealthRow {
  id: string;
  status: ItemStatus;
  lastSyncedAt: Date | null;
  institutionName: string | null;
}

/** Plaid items and their institutions. Every read of user data takes the user id. */
export function createItemsRepository(db: Database) {
  // Every read response carries freshness: built once, prepared by name.
  const healthForUser = db
    .select({
      id: plaidItems.id,
      status: plaidItems.status,
      lastSyncedAt: plaidItems.lastSyncedAt,
      institutionName: institutions.name,
    })
    .from(plaidItems)
    .leftJoin(institutions, eq(institutions.id, plaidItems.institutionId))
    .where(eq(plaidItems.userId, sql.placeholder('userId')))
    .orderBy(asc(plaidItems.createdAt), asc(plaidItems.id))
    .prepare('items_health_for_user');

  return {
    /** The caller's items with what freshness needs; never the access token. */
    listHealthForUser(userId: string): Promise<ItemHealthRow[]> {
      return healthForUser.execute({ userId });
    },

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
  };
}

export type ItemsRepository = ReturnType<typeof createItemsRepository>;
