import { sql } from 'drizzle-orm';
import { boolean, date, index, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
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
    /** What the owner set; carried from a pending transaction to the posted one. */
    userNote: text('user_note'),
    userCategory: text('user_category'),
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
