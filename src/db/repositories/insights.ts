import { sql, type SQL } from 'drizzle-orm';
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

/**
 * The posted rows that are no transfer leg over [since, until] that can belong to a recurring series, as
 * `t` with merchant, currency, direction, account_id, date, id, amount, category. Left out: the rows of a
 * merchant that the cash-flow monthly sums count more than RECURRING_MAX_PER_ACCOUNT times per account
 * of the person over the window (no cadence of src/domain/analytics/recurring.ts fits so many: 75% of the
 * gaps at least 5 days apart within 18 months allow about 150 per account), so that a merchant paid every
 * day is never read row by row: the question is answered from the monthly sums first, then only the
 * candidates' rows are read.
 */
export const RECURRING_MAX_PER_ACCOUNT = 150;

export function recurringCandidates(userId: string, since: string, until: string, condition: SQL): SQL {
  return sql`
    select coalesce(t.merchant_name, t.name) as merchant, ${currency} as currency,
           case when t.amount > 0 then 'in' else 'out' end as direction,
           t.account_id, t.date, t.id, t.amount, ${category} as category
    from transactions t
    where t.user_id = ${userId} and t.pending = false and t.transfer_kind is null
      and t.date >= ${since}::date and t.date <= ${until}::date and ${condition}
      and (${merchant}, ${currency}) in (
        select m.merchant, m.currency from cashflow_monthly m
        where m.user_id = ${userId} and m.kind in ('income', 'spending')
          and m.month >= date_trunc('month', ${since}::date)::date and m.month <= ${until}::date
        group by 1, 2
        having sum(m.count) <= ${RECURRING_MAX_PER_ACCOUNT} * (select count(*) from accounts a where a.user_id = ${userId}))`;
}

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
     * over [since, until]; see recurringCandidates for the rows left out.
     */
    merchantHistories(userId: string, since: string, until: string): Promise<MerchantHistoryWithIds[]> {
      return selectRows<MerchantHistoryWithIds>(
        db,
        sql`
        with t as (${recurringCandidates(userId, since, until, sql`t.amount <> 0`)})
        select merchant, currency, direction,
               array_agg(to_char(date, 'YYYY-MM-DD') order by date, id) as dates,
               array_agg(amount::text order by date, id) as amounts,
               array_agg(account_id::text order by date, id) as account_ids,
               array_agg(id::text order by date, id) as ids
        from t
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
