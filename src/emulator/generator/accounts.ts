import { CAD, USD } from '../core/money.js';
import type { IdSource } from '../core/ids.js';
import type { Prng } from '../core/prng.js';
import type { AccountRecord, AccountRole, BalanceRule } from '../state/account-record.js';

interface AccountTemplate {
  readonly role: AccountRole;
  readonly name: string;
  readonly officialName: string;
  readonly mask: string;
  readonly type: AccountRecord['type'];
  readonly subtype: string;
  readonly rule: BalanceRule;
  readonly currency: AccountRecord['currency'];
  readonly limitCents: number | null;
  /**
   * The balance (owed, for liabilities) the account shows on the day it is linked, before jitter;
   * for the card, the balance owed when history starts.
   */
  readonly targetCents: number;
}

/** Plaid's typical Sandbox accounts (NOTES.md §8), plus a brokerage and a Canadian-dollar account. */
const TEMPLATES: readonly AccountTemplate[] = [
  {
    role: 'checking',
    name: 'Plaid Checking',
    officialName: 'Plaid Gold Standard 0% Interest Checking',
    mask: '0000',
    type: 'depository',
    subtype: 'checking',
    rule: 'asset',
    currency: USD,
    limitCents: null,
    targetCents: 425_000,
  },
  {
    role: 'savings',
    name: 'Plaid Saving',
    officialName: 'Plaid Silver Standard 0.1% Interest Saving',
    mask: '1111',
    type: 'depository',
    subtype: 'savings',
    rule: 'asset',
    currency: USD,
    limitCents: null,
    targetCents: 1_840_000,
  },
  {
    role: 'credit',
    name: 'Plaid Credit Card',
    officialName: 'Plaid Diamond 12.5% APR Interest Credit Card',
    mask: '3333',
    type: 'credit',
    subtype: 'credit card',
    rule: 'liability',
    currency: USD,
    limitCents: 1_000_000,
    targetCents: 115_000,
  },
  {
    role: 'student',
    name: 'Plaid Student Loan',
    officialName: 'Plaid Student Loan',
    mask: '7777',
    type: 'loan',
    subtype: 'student',
    rule: 'liability',
    currency: USD,
    limitCents: null,
    targetCents: 3_250_000,
  },
  {
    role: 'mortgage',
    name: 'Plaid Mortgage',
    officialName: 'Plaid 30 Year Fixed Mortgage',
    mask: '8888',
    type: 'loan',
    subtype: 'mortgage',
    rule: 'amortized',
    currency: USD,
    limitCents: null,
    targetCents: 0,
  },
  {
    role: 'brokerage',
    name: 'Plaid Brokerage',
    officialName: 'Plaid Self-Directed Brokerage',
    mask: '4242',
    type: 'investment',
    subtype: 'brokerage',
    rule: 'portfolio',
    currency: USD,
    limitCents: null,
    targetCents: 0,
  },
  {
    role: 'ira',
    name: 'Plaid IRA',
    officialName: 'Plaid Traditional IRA',
    mask: '5555',
    type: 'investment',
    subtype: 'ira',
    rule: 'portfolio',
    currency: USD,
    limitCents: null,
    targetCents: 0,
  },
  {
    role: 'k401',
    name: 'Plaid 401k',
    officialName: 'Plaid 401k Retirement Plan',
    mask: '6666',
    type: 'investment',
    subtype: '401k',
    rule: 'portfolio',
    currency: USD,
    limitCents: null,
    targetCents: 0,
  },
  {
    role: 'foreign_checking',
    name: 'Plaid Canadian Chequing',
    officialName: 'Plaid Everyday Chequing (CAD)',
    mask: '9999',
    type: 'depository',
    subtype: 'checking',
    rule: 'asset',
    currency: CAD,
    limitCents: null,
    targetCents: 230_000,
  },
];

/** The accounts of a generated item; `openingCents` holds the target until history is generated. */
export function generateAccounts(ids: IdSource, prng: Prng): AccountRecord[] {
  return TEMPLATES.map((t) => ({
    id: ids.next(),
    role: t.role,
    name: t.name,
    officialName: t.officialName,
    mask: t.mask,
    type: t.type,
    subtype: t.subtype,
    currency: t.currency,
    limitCents: t.limitCents,
    rule: t.rule,
    openingCents: t.targetCents === 0 ? 0 : t.targetCents + prng.int(-5_000, 5_000),
    availableNull: false,
    availableAdjustCents: 0,
    fixed: null,
    persistentId: null,
  }));
}
