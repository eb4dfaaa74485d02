import { index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
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
  ],
);
