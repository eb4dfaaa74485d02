import { boolean, date, index, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { money, updatedAt } from './columns.js';
import { users } from './users.js';

/**
 * Net worth per user, currency and day, written by the net-worth materializer from balance snapshots
 * (and, before the first snapshot, from balances walked back through transactions: `estimated`).
 * Read by GET /v1/net-worth so that a five-year daily history is one indexed range scan.
 */
export const netWorthDaily = pgTable(
  'net_worth_daily',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    currency: text('currency').notNull(),
    date: date('date').notNull(),
    assets: money('assets').notNull(),
    liabilities: money('liabilities').notNull(),
    netWorth: money('net_worth').notNull(),
    estimated: boolean('estimated').notNull().default(false),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.currency, t.date] }),
    index('net_worth_daily_user_date_idx').on(t.userId, t.date),
  ],
);
