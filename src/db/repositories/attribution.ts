import { sql } from 'drizzle-orm';
import type {
  AccountFacts,
  FundingCandidate,
  InvestmentFlow,
  NetWorthEnd,
  TransactionFlow,
} from '../../domain/analytics/attribution.js';
import { selectRows, type Database } from '../client.js';
import { INCOME_CATEGORIES } from './analytics.js';

/**
 * The reads behind GET /v1/net-worth/change (src/domain/analytics/attribution.ts): each account's
 * balance at both ends computed as the net-worth materializer computes it, the flows dated in
 * (start, end], and the stored net worth at both ends. Every query is scoped to one user.
 */

const incomeList = sql.join(
  INCOME_CATEGORIES.map((c) => sql`${c}`),
  sql`, `,
);

/** The class of a bank or card transaction `t` in account `a` (see TransactionClass). */
const transactionClass = sql`
  case when t.transfer_kind = 'internal_transfer' then 'own_transfers'
       when t.transfer_kind is not null then 'debt_paydown'
       when coalesce(t.user_category, t.category_primary) = 'BANK_FEES' then 'interest_and_fees'
       when t.amount < 0 and coalesce(t.user_category, t.category_primary) = 'LOAN_PAYMENTS'
            and a.type not in ('credit', 'loan') then 'debt_paydown'
       when t.amount > 0 and (coalesce(t.user_category, t.category_primary) is null
            or coalesce(t.user_category, t.category_primary) in (${incomeList})) then 'income'
       else 'spending' end`;

/** Plaid's investment subtypes that bring or take cash from outside the account, earn, or cost. */
const investmentKind = sql`
  case when i.type = 'fee' or i.subtype in ('account fee', 'fund fee', 'legal fee', 'management fee',
            'miscellaneous fee', 'transfer fee', 'trust fee', 'margin expense', 'tax', 'tax withheld',
            'non-resident tax') then 'fee'
       when i.type = 'cash' and i.subtype in ('dividend', 'qualified dividend', 'non-qualified dividend',
            'interest', 'interest receivable', 'long-term capital gain', 'short-term capital gain',
            'unqualified gain') then 'income'
       when i.type = 'transfer' or (i.type = 'cash' and i.subtype in ('contribution', 'deposit', 'withdrawal',
            'distribution', 'transfer', 'send', 'request')) then 'contribution'
  end`;

export function createAttributionRepository(db: Database) {
  return {
    /**
     * Per account what its balances at both ends are computed from (AccountFacts): its first known point,
     * the last snapshot at or before each end, and the posted transactions between its first point and
     * `end` when the range reaches before that point (the rest of the walk back comes from the flows).
     */
    async accountFacts(userId: string, start: string, end: string): Promise<AccountFacts[]> {
      return selectRows<AccountFacts>(
        db,
        sql`
        with a as (
          select ac.id, ac.type, coalesce(ac.iso_currency_code, ac.unofficial_currency_code, 'XXX') as currency,
                 ac.current_balance,
                 (coalesce(ac.balances_as_of, ac.updated_at) at time zone 'UTC')::date as as_of_date,
                 exists (select 1 from balance_snapshots s where s.account_id = ac.id) as has_rows
          from accounts ac where ac.user_id = ${userId}
        ), k as (
          -- The first known point: the first snapshot with a balance, or (no snapshot at all) the
          -- current balance as of its date.
          select a.id, a.type, a.currency, a.has_rows,
                 case when a.has_rows then f.date when a.current_balance is not null then a.as_of_date end as first_date,
                 case when a.has_rows then f.balance else a.current_balance end as first_balance
          from a left join lateral (
            select s.date, s.current_balance as balance from balance_snapshots s
             where s.account_id = a.id and s.current_balance is not null
             order by s.date limit 1) f on true
        )
        select k.id, k.type, k.currency,
               to_char(k.first_date, 'YYYY-MM-DD') as "firstDate", k.first_balance::text as "firstBalance",
               case when k.has_rows then ls.balance else k.first_balance end::text as "startSnapshot",
               case when k.has_rows then le.balance else k.first_balance end::text as "endSnapshot",
               coalesce(w.total, 0)::text as "betweenFirstAndEnd"
        from k
        left join lateral (
          select s.current_balance as balance from balance_snapshots s
           where s.account_id = k.id and s.current_balance is not null and s.date <= ${start}::date
           order by s.date desc limit 1) ls on true
        left join lateral (
          select s.current_balance as balance from balance_snapshots s
           where s.account_id = k.id and s.current_balance is not null and s.date <= ${end}::date
           order by s.date desc limit 1) le on true
        left join lateral (
          select sum(t.amount) as total from transactions t
           where k.type <> 'investment' and k.first_date > ${start}::date
             and t.account_id = k.id and t.user_id = ${userId} and t.pending = false
             and t.date > least(k.first_date, ${end}::date) and t.date <= greatest(k.first_date, ${end}::date)) w on true
        order by k.id`,
      );
    },

    /** Posted bank and card transactions dated in (start, end], summed per account and class. */
    flows(userId: string, start: string, end: string): Promise<TransactionFlow[]> {
      return selectRows<TransactionFlow>(
        db,
        sql`
        select t.account_id as "accountId", ${transactionClass} as class,
               sum(t.amount)::text as total,
               sum(case when t.amount > 0 then t.amount else 0 end)::text as inflow,
               count(*)::int as count
        from transactions t join accounts a on a.id = t.account_id
        where t.user_id = ${userId} and t.pending = false
          and t.date > ${start}::date and t.date <= ${end}::date and a.type <> 'investment'
        group by 1, 2`,
      );
    },

    /** Investment cash flows dated in (start, end] that explain a value (not buys and sells). */
    investmentFlows(userId: string, start: string, end: string): Promise<InvestmentFlow[]> {
      return selectRows<InvestmentFlow>(
        db,
        sql`
        select * from (
          select i.id, i.account_id as "accountId",
                 coalesce(i.iso_currency_code, i.unofficial_currency_code, 'XXX') as currency,
                 to_char(i.date, 'YYYY-MM-DD') as date, i.amount::text as amount, ${investmentKind} as kind
          from investment_transactions i join accounts a on a.id = i.account_id and a.type = 'investment'
          where i.user_id = ${userId} and i.date > ${start}::date and i.date <= ${end}::date and i.amount <> 0
        ) f where kind is not null`,
      );
    },

    /**
     * Bank and card transactions in (start, end], not transfer legs, whose amount is one of `amounts`
     * (the opposites of the investment contributions and withdrawals): their possible funding legs.
     */
    async fundingCandidates(
      userId: string,
      start: string,
      end: string,
      amounts: string[],
    ): Promise<FundingCandidate[]> {
      if (amounts.length === 0) return [];
      return selectRows<FundingCandidate>(
        db,
        sql`
        select t.id, t.account_id as "accountId",
               coalesce(t.iso_currency_code, t.unofficial_currency_code, 'XXX') as currency,
               to_char(t.date, 'YYYY-MM-DD') as date, t.amount::text as amount, ${transactionClass} as class
        from transactions t join accounts a on a.id = t.account_id
        where t.user_id = ${userId} and t.pending = false and t.transfer_kind is null
          and t.date > ${start}::date and t.date <= ${end}::date and a.type <> 'investment'
          and t.amount = any(string_to_array(${amounts.join(',')}, ',')::numeric[])`,
      );
    },

    /** The stored net worth (GET /v1/net-worth's history) on `day`, per currency. */
    netWorthOn(userId: string, day: string): Promise<NetWorthEnd[]> {
      return selectRows<NetWorthEnd>(
        db,
        sql`select currency, net_worth::text as "netWorth", estimated
            from net_worth_daily where user_id = ${userId} and date = ${day}::date`,
      );
    },
  };
}

export type AttributionRepository = ReturnType<typeof createAttributionRepository>;
