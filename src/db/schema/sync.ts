import {
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { createdAt, primaryId } from './columns.js';
import { plaidItems, itemId } from './items.js';
import { ownerId } from './users.js';

export const syncProducts = [
  'accounts',
  'transactions',
  'holdings',
  'investment_transactions',
  'liabilities',
] as const;
export const syncRunStatuses = ['queued', 'running', 'succeeded', 'failed', 'skipped'] as const;
export const syncTriggers = ['link', 'schedule', 'manual', 'webhook', 'retry'] as const;

/** The sync ledger: one row per product per run. */
export const syncRuns = pgTable(
  'sync_runs',
  {
    id: primaryId(),
    userId: ownerId(),
    itemId: itemId(),
    product: text('product', { enum: syncProducts }).notNull(),
    trigger: text('trigger', { enum: syncTriggers }).notNull(),
    status: text('status', { enum: syncRunStatuses }).notNull().default('queued'),
    queuedAt: timestamp('queued_at', { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    addedCount: integer('added_count').notNull().default(0),
    modifiedCount: integer('modified_count').notNull().default(0),
    removedCount: integer('removed_count').notNull().default(0),
    cursorBefore: text('cursor_before'),
    cursorAfter: text('cursor_after'),
    plaidRequestIds: text('plaid_request_ids').array().notNull().default([]),
    error: jsonb('error'),
  },
  (t) => [
    index('sync_runs_user_queued_idx').on(t.userId, t.queuedAt),
    index('sync_runs_item_idx').on(t.itemId),
  ],
);

/**
 * What a product of an item is, as the sync last saw it: `active` (it answered), `not_ready` (Plaid is
 * still preparing it: tried again at the next sync) or `unsupported` (the institution or the item's
 * accounts do not have it: not called again until the item gains accounts or Plaid lists the product).
 */
export const itemProductStatuses = ['active', 'not_ready', 'unsupported'] as const;
export type ItemProductStatus = (typeof itemProductStatuses)[number];

/** Per item and sync product, its state (no row: never attempted yet). Written by the sync only. */
export const itemProducts = pgTable(
  'item_products',
  {
    itemId: itemId(),
    userId: ownerId(),
    product: text('product', { enum: syncProducts }).notNull(),
    status: text('status', { enum: itemProductStatuses }).notNull(),
    /** When the product entered this status. */
    since: timestamp('since', { withTimezone: true }).notNull(),
    /** When a sync last saw this status. */
    checkedAt: timestamp('checked_at', { withTimezone: true }).notNull(),
    /** Why it is not active: the run error (src/domain/sync/run-errors.ts `SyncRunError`); null when active. */
    reason: jsonb('reason'),
  },
  (t) => [primaryKey({ columns: [t.itemId, t.product] }), index('item_products_user_idx').on(t.userId)],
);

export const webhookVerifications = ['verified', 'rejected'] as const;

/** Every webhook received, verified or not; duplicates are recognised by the body's hash. */
export const webhookEvents = pgTable(
  'webhook_events',
  {
    id: primaryId(),
    receivedAt: createdAt(),
    plaidItemId: text('plaid_item_id'),
    itemId: uuid('item_id').references(() => plaidItems.id, { onDelete: 'set null' }),
    webhookType: text('webhook_type'),
    webhookCode: text('webhook_code'),
    bodySha256: text('body_sha256').notNull(),
    body: jsonb('body'),
    verification: text('verification', { enum: webhookVerifications }).notNull(),
    rejectionReason: text('rejection_reason'),
    duplicateOf: uuid('duplicate_of'),
    processedAt: timestamp('processed_at', { withTimezone: true }),
  },
  (t) => [
    index('webhook_events_body_sha256_idx').on(t.bodySha256),
    index('webhook_events_item_idx').on(t.itemId),
    // Retention prunes the oldest first (src/db/repositories/retention.ts).
    index('webhook_events_created_idx').on(t.receivedAt),
  ],
);

/** Raw Plaid responses kept for audit and reprocessing. */
export const plaidPayloads = pgTable(
  'plaid_payloads',
  {
    id: primaryId(),
    userId: ownerId(),
    itemId: itemId(),
    syncRunId: uuid('sync_run_id'),
    endpoint: text('endpoint').notNull(),
    requestId: text('request_id'),
    payload: jsonb('payload').notNull(),
    receivedAt: createdAt(),
  },
  (t) => [
    index('plaid_payloads_item_idx').on(t.itemId),
    uniqueIndex('plaid_payloads_request_key').on(t.requestId, t.endpoint),
    // Retention prunes the oldest first (src/db/repositories/retention.ts).
    index('plaid_payloads_created_idx').on(t.receivedAt),
  ],
);
