import type { AccountBalance } from 'plaid';
import type { Currency } from '../core/money.js';

/** What the generator made an account for; fixture accounts have no role. */
export type AccountRole =
  | 'checking'
  | 'savings'
  | 'credit'
  | 'mortgage'
  | 'student'
  | 'brokerage'
  | 'ira'
  | 'k401'
  | 'foreign_checking'
  | 'fixture';

/**
 * How an account's balance follows from the data:
 * - `asset`: current = opening − posted amounts; available = current − pending outflows.
 * - `liability`: current (owed) = opening + posted amounts; available = limit − current − pending.
 * - `portfolio`: current = value of the holdings (cash included); available = cash.
 * - `amortized`: a mortgage, current = remaining principal after the payments made.
 * - `fixed`: served as given (fixture investment accounts).
 */
export type BalanceRule = 'asset' | 'liability' | 'portfolio' | 'amortized' | 'fixed';

export interface AccountRecord {
  readonly id: string;
  readonly role: AccountRole;
  readonly name: string;
  readonly officialName: string | null;
  readonly mask: string | null;
  readonly type: 'depository' | 'credit' | 'loan' | 'investment' | 'other' | 'brokerage';
  readonly subtype: string | null;
  readonly currency: Currency;
  readonly limitCents: number | null;
  readonly rule: BalanceRule;
  /** Balance before every transaction in the ledger (asset and liability rules). */
  openingCents: number;
  /** Added to the computed `available` (a fixture's own available balance is kept at link time). */
  availableAdjustCents: number;
  /** `available` is null on the wire (fixture accounts that had none). */
  readonly availableNull: boolean;
  /** Balances served as given (`fixed` rule). */
  readonly fixed: AccountBalance | null;
  readonly persistentId: string | null;
}

/** Accounts whose transactions `/transactions/sync` covers: depository, credit and student loans. */
export function coveredBySync(account: AccountRecord): boolean {
  return (
    account.type === 'depository' ||
    account.type === 'credit' ||
    account.type === 'other' ||
    (account.type === 'loan' && account.subtype === 'student')
  );
}
