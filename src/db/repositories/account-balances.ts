import { and, asc, eq, sql } from 'drizzle-orm';
import type { Database } from '../client.js';
import { accounts, balanceSnapshots, transactions } from '../schema/index.js';

/** What one account's balance history is computed from (every read takes the user id). */
export function createAccountBalancesRepository(db: Database) {
  return {
    /** The account, its daily snapshots and its posted amounts per day; undefined when not the caller's. */
    async historyInputs(userId: string, accountId: string) {
      const [account] = await db
        .select({
          id: accounts.id,
          type: accounts.type,
          currentBalance: accounts.currentBalance,
          isoCurrencyCode: accounts.isoCurrencyCode,
          unofficialCurrencyCode: accounts.unofficialCurrencyCode,
          balancesAsOf: accounts.balancesAsOf,
          updatedAt: accounts.updatedAt,
        })
        .from(accounts)
        .where(and(eq(accounts.userId, userId), eq(accounts.id, accountId)))
        .limit(1);
      if (!account) return undefined;
      const snapshots = await db
        .select({ date: balanceSnapshots.date, balance: balanceSnapshots.currentBalance })
        .from(balanceSnapshots)
        .where(and(eq(balanceSnapshots.userId, userId), eq(balanceSnapshots.accountId, accountId)))
        .orderBy(asc(balanceSnapshots.date));
      const posted = await db
        .select({ date: transactions.date, amount: sql<string>`sum(${transactions.amount})::text` })
        .from(transactions)
        .where(
          and(
            eq(transactions.userId, userId),
            eq(transactions.accountId, accountId),
            eq(transactions.pending, false),
          ),
        )
        .groupBy(transactions.date);
      return { account, snapshots, posted };
    },
  };
}

export type AccountBalancesRepository = ReturnType<typeof createAccountBalancesRepository>;
