import type { z } from 'zod';
import type { SecuritiesRepository } from '../../db/repositories/securities.js';
import { errors } from '../../errors/catalog.js';
import type { securityDetailSchema } from '../../http/routes/securities.js';
import { currencyOf, formatQuantity } from '../../lib/money.js';
import type { AnalyticsService } from '../analytics/service.js';

/** A security and my positions in it, as `GET /v1/securities/{id}` shows it (the route's schema). */
export type SecurityDetailView = z.output<typeof securityDetailSchema>;

export function createSecuritiesService(deps: {
  securities: SecuritiesRepository;
  analytics: AnalyticsService;
}) {
  return {
    /** 404 unless the caller holds or traded it (securities themselves are shared public data). */
    async get(userId: string, securityId: string): Promise<SecurityDetailView> {
      const row = await deps.securities.getForUser(userId, securityId);
      if (!row) throw errors.notFound('security', securityId);
      // The positions exactly as GET /v1/holdings shows them.
      const { positions } = await deps.analytics.holdings(userId);
      return {
        security: {
          id: row.id,
          ticker: row.tickerSymbol,
          name: row.name,
          type: row.type,
          isin: row.isin,
          cusip: row.cusip,
          is_cash_equivalent: row.isCashEquivalent,
          close_price: row.closePrice === null ? null : formatQuantity(row.closePrice),
          close_price_as_of: row.closePriceAsOf,
          currency: currencyOf(row),
        },
        positions: positions.filter((p) => p.security_id === securityId),
      };
    },
  };
}

export type SecuritiesService = ReturnType<typeof createSecuritiesService>;
