import { and, asc, eq, sql } from 'drizzle-orm';
import type { Database } from '../client.js';
import { accounts, institutions, plaidItems } from '../schema/index.js';

/** What an account's answer shows (not its raw Plaid JSON, which would be read and parsed for nothing). */
const accountFields = {
  id: accounts.id,
  name: accounts.name,
  officialName: accounts.officialName,
  mask: accounts.mask,
  type: accounts.type,
  subtype: accounts.subtype,
  currentBalance: accounts.currentBalance,
  availableBalance: accounts.availableBalance,
  creditLimit: accounts.creditLimit,
  isoCurrencyCode: accounts.isoCurrencyCode,
  unofficialCurrencyCode: accounts.unofficialCurrencyCode,
  balancesAsOf: accounts.balancesAsOf,
};

const accountColumns = {
  account: accountFields,
  item: {
    id: plaidItems.id,
    status: plaidItems.status,
    lastSyncedAt: plaidItems.lastSyncedAt,
  },
  institution: { id: institutions.id, name: institutions.name },
};

export type AccountWithItem = {
  account: Pick<typeof accounts.$inferSelect, keyof typeof accountFields>;
  item: { id: string; status: (typeof plaidItems.$inferSelect)['status']; lastSyncedAt: Date | null };
  institution: { id: string; name: string } | null;
};

export function createAccountsRepository(db: Database) {
  const base = () =>
    db
      .select(accountColumns)
      .from(accounts)
      // The item's owner too (always the account's): the caller's items are then read by their user index
      // instead of hashing every item on the server (the generic plan of the prepared statement did).
      .innerJoin(plaidItems, and(eq(plaidItems.id, accounts.itemId), eq(plaidItems.userId, accounts.userId)))
      .leftJoin(institutions, eq(institutions.id, plaidItems.institutionId));
  // Built once (the same SQL as before, its values as placeholders): a hot read no longer assembles its
  // query on every request, which cost more service CPU than mapping the few rows it returns.
  const list = base()
    .where(eq(accounts.userId, sql.placeholder('userId')))
    .orderBy(asc(institutions.name), asc(accounts.name), asc(accounts.id))
    .prepare('accounts_list_for_user');
  const one = base()
    .where(and(eq(accounts.userId, sql.placeholder('userId')), eq(accounts.id, sql.placeholder('accountId'))))
    .limit(1)
    .prepare('accounts_get_for_user');

  return {
    listForUser(userId: string): Promise<AccountWithItem[]> {
      return list.execute({ userId });
    },

    async getForUser(userId: string, accountId: string): Promise<AccountWithItem | undefined> {
      const [row] = await one.execute({ userId, accountId });
      return row;
    },
  };
}

export type AccountsRepository = ReturnType<typeof createAccountsRepository>;
