import { and, desc, eq, gt, gte, ilike, inArray, lt, lte, or, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../client.js';
import { transactions } from '../schema/index.js';

export type TransactionRow = typeof transactions.$inferSelect;

export interface TransactionFilters {
  accountIds?: string[];
  startDate?: string;
  endDate?: string;
  category?: string;
  merchant?: string;
  q?: string;
  /** Bounds on the amount's magnitude (direction is its own filter). */
  minAmount?: string;
  maxAmount?: string;
  pending?: boolean;
  direction?: 'in' | 'out';
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export function createTransactionsRepository(db: Database) {
  return {
    /** Newest first, keyset-paginated on (date, id): stable while new rows arrive. */
    listForUser(
      userId: string,
      filters: TransactionFilters,
      page: { limit: number; after?: { date: string; id: string } },
    ): Promise<TransactionRow[]> {
      const t = transactions;
      const conditions: (SQL | undefined)[] = [eq(t.userId, userId)];
      if (filters.accountIds?.length) conditions.push(inArray(t.accountId, filters.accountIds));
      if (filters.startDate) conditions.push(gte(t.date, filters.startDate));
      if (filters.endDate) conditions.push(lte(t.date, filters.endDate));
      if (filters.category) {
        conditions.push(
          or(
            eq(sql`coalesce(${t.userCategory}, ${t.categoryPrimary})`, filters.category),
            eq(t.categoryDetailed, filters.category),
          ),
        );
      }
      if (filters.merchant) conditions.push(ilike(t.merchantName, escapeLike(filters.merchant)));
      if (filters.q) {
        const pattern = `%${escapeLike(filters.q)}%`;
        conditions.push(or(ilike(t.name, pattern), ilike(t.merchantName, pattern)));
      }
      if (filters.minAmount) conditions.push(sql`abs(${t.amount}) >= ${filters.minAmount}::numeric`);
      if (filters.maxAmount) conditions.push(sql`abs(${t.amount}) <= ${filters.maxAmount}::numeric`);
      if (filters.pending !== undefined) conditions.push(eq(t.pending, filters.pending));
      if (filters.direction === 'in') conditions.push(gt(t.amount, '0'));
      if (filters.direction === 'out') conditions.push(lt(t.amount, '0'));
      if (page.after) {
        conditions.push(sql`(${t.date}, ${t.id}) < (${page.after.date}::date, ${page.after.id}::uuid)`);
      }
      return db
        .select()
        .from(t)
        .where(and(...conditions))
        .orderBy(desc(t.date), desc(t.id))
        .limit(page.limit);
    },
  };
}

export type TransactionsRepository = ReturnType<typeof createTransactionsRepository>;
