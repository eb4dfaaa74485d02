import { sql } from 'drizzle-orm';
import {
  boolean,
  date,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { accountId } from './accounts.js';
import { createdAt, money, primaryId, updatedAt } from './columns.js';
import { itemId } from './items.js';
import { ownerId } from './users.js';

export const transferKinds = ['internal_transfer', 'credit_card_payment', 'loan_payment'] as const;
export type TransferKind = (typeof transferKinds)[number];
/** The transfer matcher's rules (src/domain/analytics/transfers.ts, docs/domain.md), strongest evidence first. */
export const transferMatchReasons = [
  'same_currency_amount',
  'cross_currency_category_rate',
  'cross_currency_category_date',
] as const;
export type TransferMatchReason = (typeof transferMatchReasons)[number];

/**
 * Bank and card transactions. `amount` uses our sign convention: negative = money left the account,
 * positive = money came in (Plaid's is the opposite; converted once, in the Plaid mappers).
 */
export const transactions = pgTable(
  'transactions',
  {
    id: primaryId(),
    userId: ownerId(),
    itemId: itemId(),
    accountId: accountId(),
    plaidTransactionId: text('plaid_transaction_id').notNull(),
    pendingTransactionId: text('pending_transaction_id'),
    amount: money('amount').notNull(),
    isoCurrencyCode: text('iso_currency_code'),
    unofficialCurrencyCode: text('unofficial_currency_code'),
    date: date('date').notNull(),
    authorizedDate: date('authorized_date'),
    datetime: timestamp('datetime', { withTimezone: true }),
    name: text('name').notNull(),
    merchantName: text('merchant_name'),
    merchantEntityId: text('merchant_entity_id'),
    paymentChannel: text('payment_channel'),
    pending: boolean('pending').notNull().default(false),
    categoryPrimary: text('category_primary'),
    categoryDetailed: text('category_detailed'),
    categoryConfidence: text('category_confidence'),
    /**
     * The owner's fields (PATCH /v1/transactions/{id}, or a rule: src/domain/rules). A sync never writes
     * them; they are carried from a pending transaction to the posted one, kept through Plaid's
     * modifications, and kept aside (transaction_edits_kept) when Plaid removes the row, to come back if
     * Plaid adds the same id again. `userCategory` overrides Plaid's primary category everywhere.
     */
    userNote: text('user_note'),
    userCategory: text('user_category'),
    userTags: text('user_tags')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    /** Left out of income and spending (cash flow, budgets), still listed; `excludedReason` says why. */
    excluded: boolean('excluded').notNull().default(false),
    excludedReason: text('excluded_reason'),
    userMerchantName: text('user_merchant_name'),
    /**
     * The owner fields the owner set by hand (`note`, `category`, `tags`, `excluded`, `merchant_name`):
     * rules never change them (manual edit > rule > Plaid).
     */
    manualFields: text('manual_fields')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    /** Bumped by every change of an owner field (by hand or by a rule): the ETag of If-Match. */
    editVersion: integer('edit_version').notNull().default(1),
    /**
     * Set by the transfer materializer when this is one leg of a movement between the owner's own
     * accounts: `internal_transfer`, `credit_card_payment` or `loan_payment`. Such rows are neither
     * income nor spending. `transferPairId` is the other leg, `transferReason` the rule that paired them
     * (the same on both legs). All three are set and cleared together.
     */
    transferKind: text('transfer_kind', { enum: transferKinds }),
    transferPairId: uuid('transfer_pair_id'),
    transferReason: text('transfer_reason', { enum: transferMatchReasons }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('transactions_plaid_transaction_id_key').on(t.plaidTransactionId),
    // Keyset pagination (newest first) scans this ascending index backwards.
    index('transactions_user_date_id_idx').on(t.userId, t.date, t.id),
    index('transactions_account_date_idx').on(t.accountId, t.date),
    index('transactions_item_idx').on(t.itemId),
    // Each transaction is the other leg of at most one transfer: a duplicate pairing cannot be stored.
    uniqueIndex('transactions_transfer_pair_key')
      .on(t.transferPairId)
      .where(sql`${t.transferPairId} is not null`),
  ],
);

/** The owner fields a transaction can carry, by their API names. */
export const ownerFields = ['note', 'category', 'tags', 'excluded', 'merchant_name'] as const;
export type OwnerField = (typeof ownerFields)[number];

/**
 * The owner fields of transactions Plaid removed, by Plaid's id: restored if Plaid adds the same id again,
 * and carried to the posted transaction whose `pending_transaction_id` names a removed pending one. A row
 * is consumed (deleted) when it is restored or carried.
 */
export const transactionEditsKept = pgTable(
  'transaction_edits_kept',
  {
    userId: ownerId(),
    plaidTransactionId: text('plaid_transaction_id').notNull(),
    userNote: text('user_note'),
    userCategory: text('user_category'),
    userTags: text('user_tags')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    excluded: boolean('excluded').notNull().default(false),
    excludedReason: text('excluded_reason'),
    userMerchantName: text('user_merchant_name'),
    manualFields: text('manual_fields')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    editVersion: integer('edit_version').notNull().default(1),
    keptAt: timestamp('kept_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ name: 'transaction_edits_kept_pkey', columns: [t.userId, t.plaidTransactionId] })],
);
