/**
 * What a rule matches, as plain code: the reference the SQL of src/db/repositories/rules.ts follows
 * (unit-tested here, and the integration tests compare the database's choice with it). Text is compared
 * lowercased, as plain text (`contains` or `equals`): never a regular expression, so no rule can stall
 * the event loop or the database. Amount bounds are inclusive and use our sign (negative = money out).
 */

import type { RuleMatchField, RuleMatchKind } from '../../db/schema/index.js';
import { toUnits } from '../../lib/money.js';

export interface RuleCondition {
  matchField: RuleMatchField;
  matchKind: RuleMatchKind;
  matchText: string;
  minAmount: string | null;
  maxAmount: string | null;
  accountId: string | null;
}

export interface MatchableTransaction {
  name: string;
  /** Plaid's merchant name (not the owner's override). */
  merchantName: string | null;
  /** Decimal string, our sign. */
  amount: string;
  accountId: string;
}

function textMatches(kind: RuleMatchKind, value: string | null, text: string): boolean {
  if (value === null) return false;
  const haystack = value.toLowerCase();
  const needle = text.toLowerCase();
  return kind === 'equals' ? haystack === needle : haystack.includes(needle);
}

export function ruleMatches(rule: RuleCondition, t: MatchableTransaction): boolean {
  const text = (value: string | null) => textMatches(rule.matchKind, value, rule.matchText);
  const byText =
    rule.matchField === 'merchant'
      ? text(t.merchantName)
      : rule.matchField === 'name'
        ? text(t.name)
        : text(t.merchantName) || text(t.name);
  if (!byText) return false;
  const amount = toUnits(t.amount);
  if (rule.minAmount !== null && amount < toUnits(rule.minAmount)) return false;
  if (rule.maxAmount !== null && amount > toUnits(rule.maxAmount)) return false;
  return rule.accountId === null || rule.accountId === t.accountId;
}
