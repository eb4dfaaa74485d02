import {
  boolean,
  date,
  index,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { accountId } from './accounts.js';
import { createdAt, money, primaryId, quantity, updatedAt } from './columns.js';
import { itemId } from './items.js';
import { ownerId } from './users.js';

/** Securities as Plaid describes them (keyed by Plaid's security_id); public market data. */
export const securities = pgTable(
  'securities',
  {
    id: primaryId(),
    plaidSecurityId: text('plaid_security_id').notNull(),
    tickerSymbol: text('ticker_symbol'),
    name: text('name'),
    type: text('type'),
    isin: text('isin'),
    cusip: text('cusip'),
    isCashEquivalent: boolean('is_cash_equivalent').notNull().default(false),
    closePrice: quantity('close_price'),
    closePriceAsOf: date('close_price_as_of'),
    isoCurrencyCode: text('iso_currency_code'),
    unofficialCurrencyCode: text('unofficial_currency_code'),
    raw: jsonb('raw'),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('securities_plaid_security_id_key').on(t.plaidSecurityId)],
);

const holdingColumns = () => ({
  userId: ownerId(),
  accountId: accountId(),
  securityId: uuid('security_id')
    .notNull()
    .references(() => securities.id),
  quantity: quantity('quantity').notNull(),
  institutionPrice: quantity('institution_price').notNull(),
  institutionPriceAsOf: date('institution_price_as_of'),
  /** The institution's value of the position; used as is, never recomputed from price × quantity. */
  institutionValue: money('institution_value').notNull(),
  /** Total cost of the position (not per share); may be unknown. */
  costBasis: money('cost_basis'),
  isoCurrencyCode: text('iso_currency_code'),
  unofficialCurrencyCode: text('unofficial_currency_code'),
});

/** Current positions, replaced atomically per account at each sync. */
export const holdings = pgTable(
  'holdings',
  { ...holdingColumns(), raw: jsonb('raw'), updatedAt: updatedAt() },
  (t) => [primaryKey({ columns: [t.accountId, t.securityId] }), index('holdings_user_idx').on(t.userId)],
);

/** One copy of each position per day, for history. */
export const holdingSnapshots = pgTable(
  'holding_snapshots',
  { date: date('date').notNull(), ...holdingColumns(), createdAt: createdAt() },
  (t) => [
    primaryKey({ columns: [t.accountId, t.securityId, t.date] }),
    index('holding_snapshots_user_date_idx').on(t.userId, t.date),
  ],
);

/**
 * Buys, sells, dividends, fees... `amount` uses our sign convention (negative = cash left the account,
 * e.g. a buy); `quantity` keeps Plaid's (positive = bought, negative = sold).
 */
export const investmentTransactions = pgTable(
  'investment_transactions',
  {
    id: primaryId(),
    userId: ownerId(),
    itemId: itemId(),
    accountId: accountId(),
    plaidInvestmentTransactionId: text('plaid_investment_transaction_id').notNull(),
    securityId: uuid('security_id').references(() => securities.id),
    date: date('date').notNull(),
    name: text('name').notNull(),
    quantity: quantity('quantity').notNull(),
    price: quantity('price').notNull(),
    amount: money('amount').notNull(),
    fees: money('fees'),
    type: text('type').notNull(),
    subtype: text('subtype'),
    isoCurrencyCode: text('iso_currency_code'),
    unofficialCurrencyCode: text('unofficial_currency_code'),
    raw: jsonb('raw'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('investment_transactions_plaid_id_key').on(t.plaidInvestmentTransactionId),
    index('investment_transactions_user_date_idx').on(t.userId, t.date),
    index('investment_transactions_account_idx').on(t.accountId),
  ],
);
