import { and, asc, eq, gt, inArray, max, ne, sql } from 'drizzle-orm';
import type { Database } from '../client.js';
import type { ChannelSubscription, ListenerLifecycle } from '../notifications.js';
import {
  accounts,
  institutions,
  itemProducts,
  plaidItems,
  plaidPayloads,
  syncRuns,
  type ItemProductStatus,
  type ItemStatus,
} from '../schema/index.js';

export type PlaidItemRow = typeof plaidItems.$inferSelect;
export type NewPlaidItem = typeof plaidItems.$inferInsert;
export type NewInstitutionRow = typeof institutions.$inferInsert;

/** What GET /v1/items shows of an item: everything but the token material and the cursor. */
export interface ItemSummaryRow {
  id: string;
  institutionId: string | null;
  institutionName: string | null;
  status: ItemStatus;
  products: string[];
  consentExpiresAt: Date | null;
  lastError: unknown;
  lastSyncedAt: Date | null;
  newAccountsAvailableAt: Date | null;
  createdAt: Date;
  accountsCount: number;
  /** The item's `item_products` rows (products never attempted have none). */
  productStates: ItemProductStateRow[];
}

export type ItemProductStateRow = Pick<
  typeof itemProducts.$inferSelect,
  'product' | 'status' | 'since' | 'checkedAt' | 'reason'
>;

/** The newest `finished_at` of a succeeded run, per item and product. */
export interface LastSuccessfulSyncRow {
  itemId: string;
  product: (typeof syncRuns.$inferSelect)['product'];
  finishedAt: Date | null;
}

export interface ItemHealthRow {
  id: string;
  status: ItemStatus;
  lastSyncedAt: Date | null;
  institutionName: string | null;
}

interface StoredProductState {
  product: ItemProductStateRow['product'];
  status: ItemProductStatus;
  since: string;
  checkedAt: string;
  reason: unknown;
}

function productStatesFromJson(value: unknown): ItemProductStateRow[] {
  const rows = (typeof value === 'string' ? JSON.parse(value) : value) as StoredProductState[] | null;
  return (rows ?? []).map((r) => ({
    product: r.product,
    status: r.status,
    since: new Date(r.since),
    checkedAt: new Date(r.checkedAt),
    reason: r.reason ?? null,
  }));
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

    /**
     * Deletes every row that came from the item but keeps the item itself (revoked consent): accounts and,
     * through their foreign keys, balances, snapshots, transactions, holdings, investment transactions and
     * liabilities; the raw payloads; the cursor (a later re-link starts from scratch). The sync ledger stays
     * (it holds counts and request ids, no financial data). The caller refreshes the user's analytics.
     */
    async deleteItemData(userId: string, itemId: string): Promise<void> {
      await db.transaction(async (tx) => {
        await tx.delete(accounts).where(and(eq(accounts.userId, userId), eq(accounts.itemId, itemId)));
        await tx
          .delete(plaidPayloads)
          .where(and(eq(plaidPayloads.userId, userId), eq(plaidPayloads.itemId, itemId)));
        await tx
          .update(plaidItems)
          .set({ transactionsCursor: null })
          .where(and(eq(plaidItems.userId, userId), eq(plaidItems.id, itemId)));
      });
    },

    /** Deletes the item and, through the foreign keys, every row that came from it. */
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

    /**
     * The item Plaid calls `plaidItemId`, whoever owns it (with its encrypted token; pipeline only).
     * The one read that does not take the user id, on purpose: Plaid's webhooks name an item only by
     * Plaid's id, and finding its owner is what this lookup is for. Never reachable from a user's request.
     */
    async findByPlaidItemId(plaidItemId: string): Promise<PlaidItemRow | undefined> {
      const [row] = await db.select().from(plaidItems).where(eq(plaidItems.plaidItemId, plaidItemId));
      return row;
    },

    /** Health as the webhook processor observed it; fields left undefined are not changed. */
    async updateHealth(
      userId: string,
      itemId: string,
      patch: {
        status?: ItemStatus;
        lastError?: unknown;
        consentExpiresAt?: Date | null;
        newAccountsAvailableAt?: Date | null;
      },
    ): Promise<void> {
      const set: Partial<NewPlaidItem> = {};
      if (patch.status !== undefined) set.status = patch.status;
      if (patch.lastError !== undefined) set.lastError = patch.lastError ?? null;
      if (patch.consentExpiresAt !== undefined) set.consentExpiresAt = patch.consentExpiresAt;
      if (patch.newAccountsAvailableAt !== undefined)
        set.newAccountsAvailableAt = patch.newAccountsAvailableAt;
      if (Object.keys(set).length === 0) return;
      await db
        .update(plaidItems)
        .set(set)
        .where(and(eq(plaidItems.userId, userId), eq(plaidItems.id, itemId)));
    },

    /** The caller's items (or one of them) with their institution and account count; never the token. */
    async listSummaries(userId: string, itemId?: string): Promise<ItemSummaryRow[]> {
      return db
        .select({
          id: plaidItems.id,
          institutionId: plaidItems.institutionId,
          institutionName: institutions.name,
          status: plaidItems.status,
          products: plaidItems.products,
          consentExpiresAt: plaidItems.consentExpiresAt,
          lastError: plaidItems.lastError,
          lastSyncedAt: plaidItems.lastSyncedAt,
          newAccountsAvailableAt: plaidItems.newAccountsAvailableAt,
          createdAt: plaidItems.createdAt,
          accountsCount:
            sql<number>`(select count(*) from ${accounts} where ${accounts.itemId} = ${plaidItems.id})`.mapWith(
              Number,
            ),
          productStates: sql<StoredProductState[]>`coalesce((
            select json_agg(json_build_object(
              'product', ${itemProducts.product}, 'status', ${itemProducts.status},
              'since', ${itemProducts.since}, 'checkedAt', ${itemProducts.checkedAt},
              'reason', ${itemProducts.reason}))
            from ${itemProducts}
            where ${itemProducts.itemId} = ${plaidItems.id} and ${itemProducts.userId} = ${userId}
          ), '[]'::json)`.mapWith(productStatesFromJson),
        })
        .from(plaidItems)
        .leftJoin(institutions, eq(institutions.id, plaidItems.institutionId))
        .where(
          and(eq(plaidItems.userId, userId), itemId === undefined ? undefined : eq(plaidItems.id, itemId)),
        )
        .orderBy(asc(plaidItems.createdAt), asc(plaidItems.id));
    },

    /** The item's product states (`item_products`); products never attempted have no row. */
    async listProductStates(userId: string, itemId: string): Promise<ItemProductStateRow[]> {
      return db
        .select({
          product: itemProducts.product,
          status: itemProducts.status,
          since: itemProducts.since,
          checkedAt: itemProducts.checkedAt,
          reason: itemProducts.reason,
        })
        .from(itemProducts)
        .where(and(eq(itemProducts.userId, userId), eq(itemProducts.itemId, itemId)));
    },

    /**
     * Records what a sync saw of a product: `since` moves only when the status changes; `checkedAt` and
     * the reason are always the latest.
     */
    async saveProductState(
      userId: string,
      itemId: string,
      state: {
        product: ItemProductStateRow['product'];
        status: ItemProductStatus;
        at: Date;
        reason: unknown;
      },
    ): Promise<void> {
      await db
        .insert(itemProducts)
        .values({
          userId,
          itemId,
          product: state.product,
          status: state.status,
          since: state.at,
          checkedAt: state.at,
          reason: state.reason ?? null,
        })
        .onConflictDoUpdate({
          target: [itemProducts.itemId, itemProducts.product],
          set: {
            since: sql`case when ${itemProducts.status} = excluded.status then ${itemProducts.since} else excluded.since end`,
            status: sql`excluded.status`,
            checkedAt: sql`excluded.checked_at`,
            reason: sql`excluded.reason`,
          },
          setWhere: eq(itemProducts.userId, userId),
        });
    },

    /** Forgets `unsupported` verdicts (of the given products, or all), so the next sync asks Plaid again. */
    async clearUnsupportedProducts(
      userId: string,
      itemId: string,
      products?: ItemProductStateRow['product'][],
    ): Promise<void> {
      if (products?.length === 0) return;
      await db
        .delete(itemProducts)
        .where(
          and(
            eq(itemProducts.userId, userId),
            eq(itemProducts.itemId, itemId),
            eq(itemProducts.status, 'unsupported'),
            products ? inArray(itemProducts.product, products) : undefined,
          ),
        );
    },

    /** Plaid's products of the item as its latest answer lists them. */
    async setPlaidProducts(userId: string, itemId: string, products: string[]): Promise<void> {
      await db
        .update(plaidItems)
        .set({ products })
        .where(and(eq(plaidItems.userId, userId), eq(plaidItems.id, itemId)));
    },

    /** Per item (or for one item) and product: when a sync run last succeeded (sync_runs). */
    async lastSuccessfulSyncs(userId: string, itemId?: string): Promise<LastSuccessfulSyncRow[]> {
      return db
        .select({ itemId: syncRuns.itemId, product: syncRuns.product, finishedAt: max(syncRuns.finishedAt) })
        .from(syncRuns)
        .where(
          and(
            eq(syncRuns.userId, userId),
            eq(syncRuns.status, 'succeeded'),
            itemId === undefined ? undefined : eq(syncRuns.itemId, itemId),
          ),
        )
        .groupBy(syncRuns.itemId, syncRuns.product);
    },

    /**
     * After Link update mode, once Plaid reports the item healthy: back to `good`, the error and the
     * "new accounts available" mark cleared (update mode is where the owner shared them).
     */
    async markRepaired(userId: string, itemId: string, consentExpiresAt: Date | null): Promise<void> {
      await db
        .update(plaidItems)
        .set({ status: 'good', lastError: null, consentExpiresAt, newAccountsAvailableAt: null })
        .where(and(eq(plaidItems.userId, userId), eq(plaidItems.id, itemId)));
    },

    // Key rotation (operator only). These three are the intended exception to "every read takes the user
    // id": re-encrypting access tokens under a new key is an admin operation across all users. They are
    // reached from `finance-api keys …` (src/domain/admin/commands.ts), never from a route.

    /**
     * Up to `limit` items whose token was encrypted with another key than `activeKeyId`, in id order after
     * `afterId` (keyset pagination, so a row that cannot be re-encrypted is not met again).
     */
    async listItemsNeedingKey(
      activeKeyId: string,
      limit: number,
      afterId?: string,
    ): Promise<Pick<PlaidItemRow, 'id' | 'accessTokenCiphertext' | 'accessTokenKeyId'>[]> {
      return db
        .select({
          id: plaidItems.id,
          accessTokenCiphertext: plaidItems.accessTokenCiphertext,
          accessTokenKeyId: plaidItems.accessTokenKeyId,
        })
        .from(plaidItems)
        .where(
          and(
            ne(plaidItems.accessTokenKeyId, activeKeyId),
            afterId === undefined ? undefined : gt(plaidItems.id, afterId),
          ),
        )
        .orderBy(asc(plaidItems.id))
        .limit(limit);
    },

    /**
     * Compare-and-set: stores the new ciphertext only if the row still holds `expectedCiphertext`, so a
     * concurrent change (a relink, another rotation) is never overwritten. True when the row was updated.
     */
    async replaceAccessTokenCiphertext(
      itemId: string,
      expectedCiphertext: string,
      next: { ciphertext: string; keyId: string },
    ): Promise<boolean> {
      const updated = await db
        .update(plaidItems)
        .set({ accessTokenCiphertext: next.ciphertext, accessTokenKeyId: next.keyId })
        .where(and(eq(plaidItems.id, itemId), eq(plaidItems.accessTokenCiphertext, expectedCiphertext)))
        .returning({ id: plaidItems.id });
      return updated.length === 1;
    },

    /** How many items (of every user) each key id encrypts. */
    async countItemsByKeyId(): Promise<{ keyId: string; items: number }[]> {
      return db
        .select({ keyId: plaidItems.accessTokenKeyId, items: sql<number>`count(*)::int` })
        .from(plaidItems)
        .groupBy(plaidItems.accessTokenKeyId)
        .orderBy(asc(plaidItems.accessTokenKeyId));
    },
  };
}

export type ItemsRepository = ReturnType<typeof createItemsRepository>;

/**
 * Where the triggers of drizzle/0009_item_health_changes.sql announce, at commit, every change to what
 * `listHealthForUser` returns: the user's id, or '*' for everyone (TRUNCATE, a renamed institution).
 */
const ITEM_HEALTH_CHANNEL = 'item_health_changes';
const EVERY_USER = '*';

export interface ItemHealthChangeHandlers extends ListenerLifecycle {
  onUserChanged(userId: string): void;
  onEveryUserChanged(): void;
}

/** Follows the item health changes committed by every process on this database, this one included. */
export function itemHealthChangesSubscription(handlers: ItemHealthChangeHandlers): ChannelSubscription {
  return {
    channel: ITEM_HEALTH_CHANNEL,
    handlers: {
      onNotification: (payload) =>
        payload === EVERY_USER ? handlers.onEveryUserChanged() : handlers.onUserChanged(payload),
      onListening: () => handlers.onListening(),
      onLost: (error, retryInMs) => handlers.onLost(error, retryInMs),
    },
  };
}
