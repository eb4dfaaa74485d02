import {
  bigint,
  boolean,
  type AnyPgColumn,
  date,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { money, updatedAt } from './columns.js';
import { ownerId } from './users.js';

/**
 * Net worth per user, currency and day, written by the net-worth materializer from balance snapshots
 * (and, before the first snapshot, from balances walked back through transactions: `estimated`).
 * Read by GET /v1/net-worth so that a five-year daily history is one indexed range scan. `point_json` is
 * the day as the API shows it (a history point), rendered once here so that reads only concatenate.
 */
export const netWorthDaily = pgTable(
  'net_worth_daily',
  {
    userId: ownerId(),
    currency: text('currency').notNull(),
    date: date('date').notNull(),
    assets: money('assets').notNull(),
    liabilities: money('liabilities').notNull(),
    netWorth: money('net_worth').notNull(),
    estimated: boolean('estimated').notNull().default(false),
    pointJson: text('point_json').notNull(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.currency, t.date] }),
    index('net_worth_daily_user_date_idx').on(t.userId, t.date),
  ],
);

/**
 * The rendered points of net_worth_daily joined per calendar month (`month` = its first day; `points` =
 * the month's `point_json` in date order, comma-separated), written with it. A daily history of five
 * years reads about sixty of these plus the days of the partial months at its edges.
 */
export const netWorthPointsMonthly = pgTable(
  'net_worth_points_monthly',
  {
    userId: ownerId(),
    currency: text('currency').notNull(),
    month: date('month').notNull(),
    points: text('points').notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.currency, t.month] })],
);

/** The dimensions and sums shared by the daily and monthly cash-flow tables. */
const cashflowSumColumns = () => ({
  currency: text('currency').notNull(),
  /** income | spending | internal_transfer | credit_card_payment | loan_payment */
  kind: text('kind').notNull(),
  category: text('category').notNull(),
  detailed: text('detailed').notNull(),
  merchant: text('merchant').notNull(),
  pending: boolean('pending').notNull(),
  total: money('total').notNull(),
  /** The positive amounts alone (for transfers: the money moved, counted once). */
  inflow: money('inflow').notNull(),
  count: integer('count').notNull(),
});

/**
 * Transactions summed per user, day, currency, flow kind, category, merchant and pending flag, written by
 * the cash-flow materializer after the transfer materializer (a movement between the owner's accounts
 * has its transfer kind as `kind`). GET /v1/cashflow/summary reads these sums instead of rescanning
 * transactions.
 */
/**
 * One row per group of a cash-flow table: a duplicate (two materializers at once, or a bug) cannot be
 * stored. Its leading (user_id, period) also serves the date-range reads.
 */
function cashflowGroupKey(
  name: string,
  t: { userId: AnyPgColumn } & Record<
    'currency' | 'kind' | 'category' | 'detailed' | 'merchant' | 'pending',
    AnyPgColumn
  >,
  period: AnyPgColumn,
) {
  return uniqueIndex(name).on(
    t.userId,
    period,
    t.currency,
    t.kind,
    t.category,
    t.detailed,
    t.merchant,
    t.pending,
  );
}

export const cashflowDaily = pgTable(
  'cashflow_daily',
  { userId: ownerId(), date: date('date').notNull(), ...cashflowSumColumns() },
  (t) => [cashflowGroupKey('cashflow_daily_group_key', t, t.date)],
);

/**
 * The same sums per calendar month (`month` = its first day), written with cashflow_daily. A monthly
 * summary reads whole months from here and only the partial months at the edges from the daily sums.
 */
export const cashflowMonthly = pgTable(
  'cashflow_monthly',
  { userId: ownerId(), month: date('month').notNull(), ...cashflowSumColumns() },
  (t) => [cashflowGroupKey('cashflow_monthly_group_key', t, t.month)],
);

/**
 * Per user: the read model's refresh bookkeeping. Every change that needs the read model recomputed bumps
 * `requested_seq` (after it committed); a refresh locks the user's row for its transaction, reads
 * `requested_seq` first and stores it as `refreshed_seq` with its results, so a request that a refresh
 * already covered is dropped instead of recomputed (a burst of syncs refreshes once or twice).
 * `refreshes` counts the refreshes that ran (the ledger of how much work bursts cost).
 */
export const readModelState = pgTable('read_model_state', {
  userId: ownerId().primaryKey(),
  requestedSeq: bigint('requested_seq', { mode: 'number' }).notNull().default(0),
  refreshedSeq: bigint('refreshed_seq', { mode: 'number' }).notNull().default(0),
  refreshes: bigint('refreshes', { mode: 'number' }).notNull().default(0),
  lastRefreshedAt: timestamp('last_refreshed_at', { withTimezone: true }),
  lastDurationMs: integer('last_duration_ms'),
});
