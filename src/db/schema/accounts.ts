import {
  date,
  index,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { createdAt, money, primaryId, updatedAt } from './columns.js';
import { itemId } from './items.js';
import { ownerId } from './users.js';

export const accountTypes = ['depository', 'credit', 'loan', 'investment', 'other'] as const;

/**
 * An account at an institution. Balances follow the owner's sign convention (docs/domain.md):
 * positive = the owner has money, negative = the owner owes it (credit cards, loans).
 */
export const accounts = pgTable(
  'accounts',
  {
    id: primaryId(),
    userId: ownerId(),
    itemId: itemId(),
    plaidAccountId: text('plaid_account_id').notNull(),
    persistentAccountId: text('persistent_account_id'),
    name: text('name').notNull(),
    officialName: text('official_name'),
    mask: text('mask'),
    /** Plaid's type; unknown future values are kept as they come. */
    type: text('type').notNull(),
    subtype: text('subtype'),
    currentBalance: money('current_balance'),
    availableBalance: money('available_balance'),
    creditLimit: money('credit_limit'),
    isoCurrencyCode: text('iso_currency_code'),
    unofficialCurrencyCode: text('unofficial_currency_code'),
    balancesAsOf: timestamp('balances_as_of', { withTimezone: true }),
    raw: jsonb('raw'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('accounts_plaid_account_id_key').on(t.plaidAccountId),
    index('accounts_user_idx').on(t.userId),
    index('accounts_item_idx').on(t.itemId),
  ],
);

/** `account_id` of a row that belongs to an account; it goes with the account. */
export const accountId = () =>
  uuid('account_id')
    .notNull()
    .references(() => accounts.id, { onDelete: 'cascade' });

/** One balance per account per day, for net-worth history. */
export const balanceSnapshots = pgTable(
  'balance_snapshots',
  {
    accountId: accountId(),
    date: date('date').notNull(),
    userId: ownerId(),
    currentBalance: money('current_balance'),
    availableBalance: money('available_balance'),
    isoCurrencyCode: text('iso_currency_code'),
    unofficialCurrencyCode: text('unofficial_currency_code'),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.date] }),
    index('balance_snapshots_user_date_idx').on(t.userId, t.date),
  ],
);
