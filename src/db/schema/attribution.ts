import { date, index, integer, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { money } from './columns.js';
import { ownerId } from './users.js';

/*
 * The read model of GET /v1/net-worth/change (src/domain/analytics/attribution.ts), rewritten whole per
 * person by the materializers with the cash-flow sums, under the person's refresh lock. `account_id` and
 * `transaction_id` carry no foreign key on purpose: a removed account or transaction is dropped by the
 * refresh that follows its removal, the reads start from the person's accounts (an orphan is never read),
 * and a cascade from accounts or transactions would have to scan these tables for each deleted row.
 */

/**
 * Running sums of the posted bank and card transactions (accounts that are not investment accounts) per
 * account and attribution class (TransactionClass), one row per day that has such a transaction: Σ
 * amounts, Σ positive amounts and the count from the account's first transaction up to and including
 * `date`. The sums over (start, end] are the difference of the last rows at or before `end` and `start`:
 * two probes of the unique key per account and class, whatever the range.
 */
export const accountFlowsDaily = pgTable(
  'account_flows_daily',
  {
    userId: ownerId(),
    accountId: uuid('account_id').notNull(),
    /** income | spending | interest_and_fees | debt_paydown | own_transfers */
    class: text('class').notNull(),
    date: date('date').notNull(),
    runningTotal: money('running_total').notNull(),
    runningInflow: money('running_inflow').notNull(),
    runningCount: integer('running_count').notNull(),
  },
  (t) => [uniqueIndex('account_flows_daily_key').on(t.userId, t.accountId, t.class, t.date)],
);

/**
 * The posted bank and card transactions (not transfer legs, not in investment accounts) that may be the
 * funding leg of an investment contribution or withdrawal: of exactly its opposite amount, in its
 * currency, dated at most FUNDING_MAX_DAYS from it (whatever the range asked). The change reads those
 * dated in its range instead of scanning the range's transactions for the amounts.
 */
export const fundingCandidates = pgTable(
  'funding_candidates',
  {
    userId: ownerId(),
    transactionId: uuid('transaction_id').notNull(),
    accountId: uuid('account_id').notNull(),
    currency: text('currency').notNull(),
    date: date('date').notNull(),
    amount: money('amount').notNull(),
    /** The transaction's TransactionClass, as account_flows_daily sums it. */
    class: text('class').notNull(),
  },
  (t) => [
    uniqueIndex('funding_candidates_key').on(t.userId, t.transactionId),
    index('funding_candidates_user_date_idx').on(t.userId, t.date),
  ],
);
