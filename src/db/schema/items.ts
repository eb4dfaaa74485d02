import { index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, primaryId, updatedAt } from './columns.js';
import { ownerId } from './users.js';

/** Institutions as Plaid describes them; public data, shared by every user. */
export const institutions = pgTable('institutions', {
  id: text('id').primaryKey(), // Plaid institution_id
  name: text('name').notNull(),
  url: text('url'),
  primaryColor: text('primary_color'),
  logo: text('logo'),
  countryCodes: text('country_codes').array().notNull().default([]),
  raw: jsonb('raw'),
  updatedAt: updatedAt(),
});

export const itemStatuses = ['good', 'login_required', 'pending_expiration', 'revoked', 'error'] as const;
export type ItemStatus = (typeof itemStatuses)[number];

/**
 * An update applied page by page, part-applied (plaid_items.transactions_pending): written once, with its
 * first page, and cleared with its last. Finishing it applies every page again from the first, in order
 * (a page's upserts and removals give the same rows applied once or twice), so no count is kept.
 */
export interface TransactionsPendingUpdate {
  /** The cursor the update started from (the item's cursor until its last page is in). */
  cursorBefore: string | null;
  /** The cursor stored with the last page. */
  cursorAfter: string;
  /** The sync run whose plaid_payloads rows hold the pages, and their request ids in order. */
  syncRunId: string;
  requestIds: string[];
}

/** A Plaid Item: one login at one institution. The access token is stored only encrypted. */
export const plaidItems = pgTable(
  'plaid_items',
  {
    id: primaryId(),
    userId: ownerId(),
    plaidItemId: text('plaid_item_id').notNull(),
    institutionId: text('institution_id').references(() => institutions.id),
    /** AES-256-GCM ciphertext (iv | tag | data, base64) and the id of the key that made it. */
    accessTokenCiphertext: text('access_token_ciphertext').notNull(),
    accessTokenKeyId: text('access_token_key_id').notNull(),
    status: text('status', { enum: itemStatuses }).notNull().default('good'),
    products: text('products').array().notNull().default([]),
    consentExpiresAt: timestamp('consent_expires_at', { withTimezone: true }),
    /** Cursor of /transactions/sync, committed in the same transaction as the data it describes. */
    transactionsCursor: text('transactions_cursor'),
    /**
     * Embedded mode applies a fetched /transactions/sync update one page per database transaction
     * (src/domain/sync/service.ts): while it is part-applied, which update (its pages in plaid_payloads,
     * the cursors before and after) and how many pages are in. The next sync finishes it before anything
     * else (a crash between pages must not leave the cursor behind data it already describes). Null when
     * no update is part-applied.
     */
    transactionsPending: jsonb('transactions_pending').$type<TransactionsPendingUpdate>(),
    lastError: jsonb('last_error'),
    lastSyncedAt: timestamp('last_synced_at', { withTimezone: true }),
    /**
     * When Plaid said the login has accounts its owner has not shared with us yet (ITEM
     * NEW_ACCOUNTS_AVAILABLE webhook); null when there is nothing to add. Link update mode with account
     * selection clears it. A column of its own: `last_error` is cleared by every successful sync.
     */
    newAccountsAvailableAt: timestamp('new_accounts_available_at', { withTimezone: true }),
    /** The per-item sync lock: which worker syncs the item, until when (a lease, renewed while it runs). */
    syncLockOwner: text('sync_lock_owner'),
    syncLockExpiresAt: timestamp('sync_lock_expires_at', { withTimezone: true }),
    /**
     * The ledger rows (`sync_runs`) of the job that last took the lock. A worker that takes the item over
     * from a lost one closes those still `queued` (the lost job will never run them).
     */
    syncLockRunIds: uuid('sync_lock_run_ids').array(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('plaid_items_plaid_item_id_key').on(t.plaidItemId),
    index('plaid_items_user_idx').on(t.userId),
  ],
);

/** `item_id` of a row that came from an item; it goes when the item is removed. */
export const itemId = () =>
  uuid('item_id')
    .notNull()
    .references(() => plaidItems.id, { onDelete: 'cascade' });
