import { addDays } from '../core/dates.js';
import { customDescriptor } from '../catalog/merchants.js';
import { churnCandidate, modifyOne } from '../generator/churn.js';
import { Prng } from '../core/prng.js';
import { plaidErrors } from '../http/plaid-error.js';
import type { AccountRecord } from '../state/account-record.js';
import { coveredBySync } from '../state/account-record.js';
import type { EmulatedItem } from '../state/item.js';

export interface InjectedTransaction {
  readonly accountId?: string;
  readonly amountCents: number;
  readonly date: string;
  readonly authorizedDate?: string;
  readonly name: string;
  readonly merchantName?: string | null;
  readonly pending?: boolean;
  /** For a pending row: days until it posts (default 2); null keeps it pending until removed. */
  readonly postsAfterDays?: number | null;
}

/** The account a custom row lands on: the one named, or the first depository account. */
export function targetAccount(item: EmulatedItem, accountId?: string): AccountRecord {
  if (accountId !== undefined) {
    const account = item.account(accountId);
    if (!account || !coveredBySync(account)) throw plaidErrors.invalidAccountId();
    return account;
  }
  const account = item.accounts.find((a) => a.type === 'depository') ?? item.accounts.find(coveredBySync);
  if (!account) throw plaidErrors.invalidAccountId();
  return account;
}

/** Adds custom rows (controls, `/sandbox/transactions/create`). Returns their ids. */
export function injectTransactions(item: EmulatedItem, rows: readonly InjectedTransaction[]): string[] {
  return rows.map((row) => {
    const account = targetAccount(item, row.accountId);
    const descriptor = customDescriptor(row.name, row.merchantName ?? null);
    const plan = row.pending
      ? row.postsAfterDays === null
        ? { postOn: '9999-12-31', postedCents: row.amountCents, vanishes: false }
        : {
            postOn: addDays(row.date, row.postsAfterDays ?? 2),
            postedCents: row.amountCents,
            vanishes: false,
          }
      : null;
    return item.open(account, descriptor, row.amountCents, row.date, plan, row.authorizedDate ?? row.date);
  });
}

/** One change of the kind a bank makes between two sync pages: a modified, added or removed row. */
export function mutateOnce(item: EmulatedItem, today: string, salt: number): string {
  const prng = Prng.from(item.generationKey, 'mutation', item.ledger.version, salt);
  const roll = prng.next();
  if (roll < 0.5 && modifyOne(item, prng)) return 'modified';
  if (roll < 0.75) {
    const victim = churnCandidate(item, prng);
    if (victim && item.remove(victim)) return 'removed';
  }
  injectTransactions(item, [
    { amountCents: prng.int(100, 9_999), date: today, name: 'MUTATION DURING PAGINATION' },
  ]);
  return 'added';
}
