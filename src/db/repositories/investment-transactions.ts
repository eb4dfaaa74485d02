import { and, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../client.js';
import { investmentTransactions as it, securities } from '../schema/index.js';

export interface InvestmentTransactionFilters {
  accountIds?: string[] | undefined;
  securityId?: string | undefined;
  type?: string | undefined;
  subtype?: string | undefined;
  startDate?: string | undefined;
  endDate?: string | undefined;
}

export type InvestmentTransactionRow = {
  id: string;
  accountId: string;
  date: string;
  name: string;
  type: string;
  subtype: string | null;
  quantity: string;
  price: string;
  amount: string;
  fees: string | null;
  isoCurrencyCode: string | null;
  unofficialCurrencyCode: string | null;
  security: {
    id: string;
    tickerSymbol: string | null;
    name: string | null;
    type: string | null;
  } | null;
};

/** The caller's buys, sells, dividends, fees and transfers (every read takes the user id). */
export function createInvestmentTransactionsRepository(db: Database) {
  return {
    /** Newest first, keyset-paginated on (date, id) like GET /v1/transactions. */
    listForUser(
      userId: string,
      filters: InvestmentTransactionFilters,
      page: { limit: number; after?: { date: string; id: string } | undefined },
    ): Promise<InvestmentTransactionRow[]> {
      const conditions: (SQL | undefined)[] = [eq(it.userId, userId)];
      if (filters.accountIds?.length) conditions.push(inArray(it.accountId, filters.accountIds));
      if (filters.securityId) conditions.push(eq(it.securityId, filters.securityId));
      if (filters.type) conditions.push(eq(it.type, filters.type));
      if (filters.subtype) conditions.push(eq(it.subtype, filters.subtype));
      if (filters.startDate) conditions.push(sql`${it.date} >= ${filters.startDate}::date`);
      if (filters.endDate) conditions.push(sql`${it.date} <= ${filters.endDate}::date`);
      if (page.after)
        conditions.push(sql`(${it.date}, ${it.id}) < (${page.after.date}::date, ${page.after.id}::uuid)`);
      return db
        .select({
          id: it.id,
          accountId: it.accountId,
          date: it.date,
          name: it.name,
          type: it.type,
          subtype: it.subtype,
          quantity: it.quantity,
          price: it.price,
          amount: it.amount,
          fees: it.fees,
          isoCurrencyCode: it.isoCurrencyCode,
          unofficialCurrencyCode: it.unofficialCurrencyCode,
          security: {
            id: securities.id,
            tickerSymbol: securities.tickerSymbol,
            name: securities.name,
            type: securities.type,
          },
        })
        .from(it)
        .leftJoin(securities, eq(securities.id, it.securityId))
        .where(and(...conditions))
        .orderBy(desc(it.date), desc(it.id))
        .limit(page.limit);
    },
  };
}

export type InvestmentTransactionsRepository = ReturnType<typeof createInvestmentTransactionsRepository>;
