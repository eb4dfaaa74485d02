import { and, asc, eq } from 'drizzle-orm';
import type { Database } from '../client.js';
import { accounts, institutions, liabilities, plaidItems } from '../schema/index.js';

export type LiabilityWithAccount = {
  liability: typeof liabilities.$inferSelect;
  account: Pick<
    typeof accounts.$inferSelect,
    | 'id'
    | 'itemId'
    | 'name'
    | 'mask'
    | 'type'
    | 'subtype'
    | 'currentBalance'
    | 'creditLimit'
    | 'isoCurrencyCode'
    | 'unofficialCurrencyCode'
  >;
  item: { lastSyncedAt: Date | null };
  institution: { name: string } | null;
};

/** The liability details of the caller's credit card and loan accounts (one row per account). */
export function createLiabilitiesRepository(db: Database) {
  return {
    listForUser(userId: string, accountId?: string): Promise<LiabilityWithAccount[]> {
      return db
        .select({
          liability: liabilities,
          account: {
            id: accounts.id,
            itemId: accounts.itemId,
            name: accounts.name,
            mask: accounts.mask,
            type: accounts.type,
            subtype: accounts.subtype,
            currentBalance: accounts.currentBalance,
            creditLimit: accounts.creditLimit,
            isoCurrencyCode: accounts.isoCurrencyCode,
            unofficialCurrencyCode: accounts.unofficialCurrencyCode,
          },
          item: { lastSyncedAt: plaidItems.lastSyncedAt },
          institution: { name: institutions.name },
        })
        .from(liabilities)
        .innerJoin(accounts, and(eq(accounts.id, liabilities.accountId), eq(accounts.userId, userId)))
        .innerJoin(plaidItems, eq(plaidItems.id, accounts.itemId))
        .leftJoin(institutions, eq(institutions.id, plaidItems.institutionId))
        .where(
          and(eq(liabilities.userId, userId), accountId ? eq(liabilities.accountId, accountId) : undefined),
        )
        .orderBy(asc(liabilities.kind), asc(accounts.name), asc(accounts.id));
    },
  };
}

export type LiabilitiesRepository = ReturnType<typeof createLiabilitiesRepository>;
