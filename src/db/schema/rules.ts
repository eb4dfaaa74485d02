import { sql } from 'drizzle-orm';
import { boolean, index, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { accounts } from './accounts.js';
import { createdAt, money, primaryId } from './columns.js';
import { ownerId } from './users.js';

export const ruleMatchFields = ['merchant', 'name', 'merchant_or_name'] as const;
export type RuleMatchField = (typeof ruleMatchFields)[number];
export const ruleMatchKinds = ['contains', 'equals'] as const;
export type RuleMatchKind = (typeof ruleMatchKinds)[number];

/**
 * A person's transaction rule (src/domain/rules, docs/domain.md "Owner edits and rules"): when Plaid's
 * merchant name and/or name contains or equals `matchText` (case-insensitive; never a regular
 * expression), and the amount lies in [minAmount, maxAmount] (our sign: negative = money out), and the
 * transaction is in `accountId` (when set): set `setCategory`, add `addTags`, exclude. Applied to new and
 * modified transactions at sync time and to the history on request, never to a field the owner set by hand.
 */
export const transactionRules = pgTable(
  'transaction_rules',
  {
    id: primaryId(),
    userId: ownerId(),
    matchField: text('match_field', { enum: ruleMatchFields }).notNull(),
    matchKind: text('match_kind', { enum: ruleMatchKinds }).notNull(),
    matchText: text('match_text').notNull(),
    minAmount: money('min_amount'),
    maxAmount: money('max_amount'),
    /** Only this account's transactions (a rule about a removed account goes with it). */
    accountId: uuid('account_id').references(() => accounts.id, { onDelete: 'cascade' }),
    setCategory: text('set_category'),
    addTags: text('add_tags')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    exclude: boolean('exclude').notNull().default(false),
    excludedReason: text('excluded_reason'),
    createdAt: createdAt(),
  },
  (t) => [index('transaction_rules_user_created_idx').on(t.userId, t.createdAt, t.id)],
);
