import { date, index, jsonb, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { accountId } from './accounts.js';
import { createdAt, money, primaryId, updatedAt } from './columns.js';
import { ownerId } from './users.js';

export const liabilityKinds = ['credit', 'mortgage', 'student', 'loan', 'line_of_credit'] as const;

/** Liability details of a credit card or loan account (/liabilities/get); one row per account. */
export const liabilities = pgTable(
  'liabilities',
  {
    id: primaryId(),
    userId: ownerId(),
    accountId: accountId(),
    kind: text('kind', { enum: liabilityKinds }).notNull(),
    lastStatementBalance: money('last_statement_balance'),
    minimumPaymentAmount: money('minimum_payment_amount'),
    nextPaymentDueDate: date('next_payment_due_date'),
    lastPaymentAmount: money('last_payment_amount'),
    lastPaymentDate: date('last_payment_date'),
    /** Interest rate in percent (e.g. 6.125), as Plaid reports it. */
    interestRatePercentage: money('interest_rate_percentage'),
    originationPrincipalAmount: money('origination_principal_amount'),
    maturityDate: date('maturity_date'),
    /** Everything else of the Plaid object, by kind. */
    details: jsonb('details'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('liabilities_account_key').on(t.accountId), index('liabilities_user_idx').on(t.userId)],
);
