import { boolean, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { createdAt, money, updatedAt } from './columns.js';
import { ownerId } from './users.js';

/**
 * A person's monthly budget for one spending category in one currency (`category` is the cash-flow
 * category the budget is compared with: a Plaid primary category or the owner's own). `amount` is the
 * positive monthly limit; with `rollover`, what was left (or overspent) last month carries into this one.
 */
export const budgets = pgTable(
  'budgets',
  {
    userId: ownerId(),
    category: text('category').notNull(),
    currency: text('currency').notNull(),
    amount: money('amount').notNull(),
    rollover: boolean('rollover').notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ name: 'budgets_pkey', columns: [t.userId, t.category, t.currency] })],
);
