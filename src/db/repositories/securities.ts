import { and, eq, exists, or } from 'drizzle-orm';
import type { Database } from '../client.js';
import { holdings, investmentTransactions, securities } from '../schema/index.js';

/** Securities are shared (public data); one is the caller's to see only when they hold or traded it. */
export function createSecuritiesRepository(db: Database) {
  return {
    async getForUser(userId: string, securityId: string) {
      const [row] = await db
        .select({
          id: securities.id,
          tickerSymbol: securities.tickerSymbol,
          name: securities.name,
          type: securities.type,
          isin: securities.isin,
          cusip: securities.cusip,
          isCashEquivalent: securities.isCashEquivalent,
          closePrice: securities.closePrice,
          closePriceAsOf: securities.closePriceAsOf,
          isoCurrencyCode: securities.isoCurrencyCode,
          unofficialCurrencyCode: securities.unofficialCurrencyCode,
        })
        .from(securities)
        .where(
          and(
            eq(securities.id, securityId),
            or(
              exists(
                db
                  .select({ one: holdings.securityId })
                  .from(holdings)
                  .where(and(eq(holdings.userId, userId), eq(holdings.securityId, securities.id))),
              ),
              exists(
                db
                  .select({ one: investmentTransactions.securityId })
                  .from(investmentTransactions)
                  .where(
                    and(
                      eq(investmentTransactions.userId, userId),
                      eq(investmentTransactions.securityId, securities.id),
                    ),
                  ),
              ),
            ),
          ),
        )
        .limit(1);
      return row;
    },
  };
}

export type SecuritiesRepository = ReturnType<typeof createSecuritiesRepository>;
