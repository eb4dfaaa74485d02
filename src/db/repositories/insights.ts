import { sql } from 'drizzle-orm';
import type {
  CategoryMonth,
  InvestmentFee,
  MerchantHistoryWithIds,
  MonthTransaction,
} from '../../domain/analytics/insights.js';
import { selectRows, type Database } from '../client.js';

/**
 * The reads behind GET /v1/insights (src/domain/analytics/insights.ts). Spending per category and the
 * merchants' first months come from the cash-flow monthly sums, so they count as cash flow counts (the
 * owner's category and merchant overrides in, excluded transactions and transfers out); the
 * transactions cited follow the same rules. Every query is scoped to one user.
 */

/** Category and merchant as cash flow groups them (src/db/repositories/analytics.ts). */
const category = sql`coalesce(t.user_category, t.category_primary, 'UNCATEGORIZED')`;
const merchant = sql`coalesce(t.user_merchant_name, t.merchant_name, t.name)`;
const currency = sql`coalesce(t.iso_currency_code, t.unofficial_currency_code, 'XXX')`;

export function createInsightsRepository(db: Database) {
  return {
    /** Posted spending (positive) per currency, category and month, for months in [from, until]. */
    categoryMonths(userId: string, from: string, until: string): Promise<CategoryMonth[]> {
      return selectRows<CategoryMonth>(
        db,
        sql`
        select currency, category, to_char(month, 'YYYY-MM-DD') as month, (-sum(total))::text as spent
        from cashflow_monthly
        where user_id = ${userId} and kind = 'spending' and pending = false
          and month >= ${from}::date and month <= ${until}::date
        group by 1, 2, 3`,
      );
    },

    /** Posted transactions in [from, to] that count in cash flow (no transfer leg, not excluded). */
    monthTransactions(userId: string, from: string, to: string): Promise<MonthTransaction[]> {
      return selectRows<MonthTransaction>(
        db,
        sql`
        select t.id, t.account_id as "accountId", to_char(t.date, 'YYYY-MM-DD') as date, t.amount::text as amount,
               ${currency} as currency, ${category} as category, ${merchant} as merchant
        from transactions t
        where t.user_id = ${userId} and t.pending = false and t.transfer_kind is null and not t.excluded
          and t.date >= ${from}::date and t.date <= ${to}::date`,
      );
    },

    /** Merchants (per currency) whose first month in the cash-flow sums, income or spending, is `month`. */
    newMerchants(userId: string, month: string): Promise<{ currency: string; merchant: string }[]> {
      return selectRows<{ currency: string; merchant: string }>(
        db,
        sql`
        select currency, merchant from cashflow_monthly
        where user_id = ${userId} and kind in ('income', 'spending') and pending = false
          and month <= ${month}::date
        group by 1, 2
        having min(month) = ${month}::date`,
      );
    },

    /**
     * As AnalyticsRepository.merchantHistories (what GET /v1/recurring reads), with the transaction ids,
     * over [since, until].
     */
    merchantHistories(userId: string, since: string, until: string): Promise<MerchantHistoryWithIds[]> {
      return selectRows<MerchantHistoryWithIds>(
        db,
        sql`
        select coalesce(t.merchant_name, t.name) as merchant, ${currency} as currency,
               case when t.amount > 0 then 'in' else 'out' end as direction,
               array_agg(to_char(t.date, 'YYYY-MM-DD') order by t.date, t.id) as dates,
               array_agg(t.amount::text order by t.date, t.id) as amounts,
               array_agg(t.account_id::text order by t.date, t.id) as account_ids,
               array_agg(t.id::text order by t.date, t.id) as ids
        from transactions t
        where t.user_id = ${userId} and t.pending = false and t.transfer_kind is null
          and t.date >= ${since}::date and t.date <= ${until}::date and t.amount <> 0
        group by 1, 2, 3
        having count(*) >= 2`,
      );
    },

    /** Fees charged in investment accounts in [from, to] (our sign: negative). */
    investmentFees(userId: string, from: string, to: string): Promise<InvestmentFee[]> {
      return selectRows<InvestmentFee>(
        db,
        sql`
        select i.id, i.account_id as "accountId", to_char(i.date, 'YYYY-MM-DD') as date, i.amount::text as amount,
               coalesce(i.iso_currency_code, i.unofficial_currency_code, 'XXX') as currency
        from investment_transactions i
        where i.user_id = ${userId} and i.type = 'fee' and i.amount <> 0
          and i.date >= ${from}::date and i.date <= ${to}::date`,
      );
    },
  };
}

export type InsightsRepository = ReturnType<typeof createInsightsRepository>;
