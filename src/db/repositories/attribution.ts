import { sql, type SQL } from 'drizzle-orm';
import {
  FUNDING_MAX_DAYS,
  TRANSACTION_CLASSES,
  type AccountFacts,
  type FundingCandidate,
  type InvestmentFlow,
  type NetWorthEnd,
  type TransactionFlow,
} from '../../domain/analytics/attribution.js';
import { selectRows, type Database } from '../client.js';
import { INCOME_CATEGORIES, withinSpan, type DateSpan } from './analytics.js';

/**
 * The reads behind GET /v1/net-worth/change (src/domain/analytics/attribution.ts): each account's
 * balance at both ends computed as the net-worth materializer computes it, the flows dated in
 * (start, end], and the stored net worth at both ends. Every query is scoped to one user. Bank and card
 * transactions are read from their read model (account_flows_daily's running sums, funding_candidates),
 * never scanned over the range; the materializers rewrite it with the cash-flow sums.
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

/** A row's one currency code (ISO, else the unofficial one, else 'XXX'), for the table aliased `alias`. */
const currencyOf = (alias: 'ac' | 'i' | 't') =>
  sql.raw(`coalesce(${alias}.iso_currency_code, ${alias}.unofficial_currency_code, 'XXX')`);

/** Every TransactionClass, as a one-column table to pair with each account. */
const classes = sql`(values ${sql.join(
  TRANSACTION_CLASSES.map((c) => sql`(${c})`),
  sql`, `,
)})`;

/**
 * An account's running sums of one class (`c.class`) at the close of `day`: the last account_flows_daily
 * row at or before it (none: nothing yet, read as 0). One backward probe of its unique key.
 */
const runningAt = (userId: string, account: SQL, day: SQL) => sql`(
  select f.running_total as total, f.running_inflow as inflow, f.running_count as count
  from account_flows_daily f
  where f.user_id = ${userId} and f.account_id = ${account} and f.class = c.class and f.date <= ${day}
  order by f.date desc limit 1)`;

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
          select ac.id, ac.type, ${currencyOf('ac')} as currency,
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
          select sum(hi.total - coalesce(lo.total, 0)) as total
          from ${classes} c(class)
          join lateral ${runningAt(userId, sql`k.id`, sql`greatest(k.first_date, ${end}::date)`)} hi on true
          left join lateral ${runningAt(userId, sql`k.id`, sql`least(k.first_date, ${end}::date)`)} lo on true
          where k.type <> 'investment' and k.first_date > ${start}::date) w on true
        order by k.id`,
      );
    },

    /** Posted bank and card transactions dated in (start, end], summed per account and class. */
    flows(userId: string, start: string, end: string): Promise<TransactionFlow[]> {
      return selectRows<TransactionFlow>(
        db,
        sql`
        select a.id as "accountId", c.class,
               (hi.total - coalesce(lo.total, 0))::text as total,
               (hi.inflow - coalesce(lo.inflow, 0))::text as inflow,
               (hi.count - coalesce(lo.count, 0))::int as count
        from accounts a cross join ${classes} c(class)
        join lateral ${runningAt(userId, sql`a.id`, sql`${end}::date`)} hi on true
        left join lateral ${runningAt(userId, sql`a.id`, sql`${start}::date`)} lo on true
        where a.user_id = ${userId} and a.type <> 'investment' and hi.count > coalesce(lo.count, 0)`,
      );
    },

    /** Investment cash flows dated in (start, end] that explain a value (not buys and sells). */
    investmentFlows(userId: string, start: string, end: string): Promise<InvestmentFlow[]> {
      return selectRows<InvestmentFlow>(
        db,
        sql`
        select * from (
          select i.id, i.account_id as "accountId",
                 ${currencyOf('i')} as currency,
                 to_char(i.date, 'YYYY-MM-DD') as date, i.amount::text as amount, ${investmentKind} as kind
          from investment_transactions i join accounts a on a.id = i.account_id and a.type = 'investment'
          where i.user_id = ${userId} and i.date > ${start}::date and i.date <= ${end}::date and i.amount <> 0
        ) f where kind is not null`,
      );
    },

    /**
     * Bank and card transactions in (start, end], not transfer legs, whose amount is one of `amounts`
     * (the opposites of the investment contributions and withdrawals): their possible funding legs. Read
     * from funding_candidates, which holds those within FUNDING_MAX_DAYS of a contribution of the opposite
     * amount in their currency: the others could never be matched (matchFundingLegs).
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
        select f.transaction_id as id, f.account_id as "accountId", f.currency,
               to_char(f.date, 'YYYY-MM-DD') as date, f.amount::text as amount, f.class
        from funding_candidates f
        where f.user_id = ${userId} and f.date > ${start}::date and f.date <= ${end}::date
          and f.amount = any(string_to_array(${amounts.join(',')}, ',')::numeric[])`,
      );
    },

    /**
     * Rewrites the person's account_flows_daily from their posted bank and card transactions (the
     * materializers call it after the transfers are matched, under the person's refresh lock): per
     * account, class and day, the running sums up to that day. With `span`, only the days inside it, each
     * running sum carried on from the last row before it: an embedded refresh rewrites the spans in date
     * order. Returns the rows written.
     */
    async replaceAccountFlows(userId: string, span?: DateSpan): Promise<number> {
      await db.execute(
        sql`delete from account_flows_daily where user_id = ${userId} and ${withinSpan(sql`date`, span)}`,
      );
      // The sums before the span, per account and class (nothing without a start: the sums start at 0).
      const carried =
        span?.from === undefined
          ? sql`left join lateral (select 0 as running_total, 0 as running_inflow, 0 as running_count) c on true`
          : sql`left join lateral (
              select p.running_total, p.running_inflow, p.running_count from account_flows_daily p
               where p.user_id = ${userId} and p.account_id = s.account_id and p.class = s.class
                 and p.date < ${span.from}::date
               order by p.date desc limit 1) c on true`;
      const rows = await selectRows<{ n: number }>(
        db,
        sql`
        with inserted as (
          insert into account_flows_daily
            (user_id, account_id, class, date, running_total, running_inflow, running_count)
          select ${userId}, s.account_id, s.class, s.date,
                 s.total + coalesce(c.running_total, 0),
                 s.inflow + coalesce(c.running_inflow, 0),
                 s.n + coalesce(c.running_count, 0)
          from (
            select account_id, class, date,
                   sum(sum(amount)) over w as total,
                   sum(sum(case when amount > 0 then amount else 0 end)) over w as inflow,
                   sum(count(*)) over w as n
            from (
              select t.account_id, ${transactionClass} as class, t.date, t.amount
              from transactions t join accounts a on a.id = t.account_id
              where t.user_id = ${userId} and t.pending = false and a.type <> 'investment'
                and ${withinSpan(sql`t.date`, span)}
            ) d
            group by account_id, class, date
            window w as (partition by account_id, class order by date)
          ) s
          ${carried}
          returning 1
        )
        select count(*)::int as n from inserted`,
      );
      return rows[0]?.n ?? 0;
    },

    /**
     * Rewrites the person's funding_candidates (after the transfers are matched, under the refresh lock):
     * their posted bank and card transactions, not transfer legs, of exactly the opposite amount of an
     * investment contribution or withdrawal in the same currency, at most FUNDING_MAX_DAYS from it. With
     * `span`, only those dated inside it.
     */
    async replaceFundingCandidates(userId: string, span?: DateSpan): Promise<number> {
      await db.execute(
        sql`delete from funding_candidates where user_id = ${userId} and ${withinSpan(sql`date`, span)}`,
      );
      const rows = await selectRows<{ n: number }>(
        db,
        sql`
        with c as materialized (
          select -i.amount as amount, ${currencyOf('i')} as currency,
                 i.date
          from investment_transactions i join accounts a on a.id = i.account_id and a.type = 'investment'
          where i.user_id = ${userId} and i.amount <> 0 and ${investmentKind} = 'contribution'
        ), inserted as (
          insert into funding_candidates (user_id, transaction_id, account_id, currency, date, amount, class)
          select ${userId}, t.id, t.account_id,
                 ${currencyOf('t')}, t.date, t.amount,
                 ${transactionClass}
          from transactions t join accounts a on a.id = t.account_id
          where t.user_id = ${userId} and t.pending = false and t.transfer_kind is null and a.type <> 'investment'
            and ${withinSpan(sql`t.date`, span)}
            and exists (
              select 1 from c
               where c.amount = t.amount
                 and c.currency = ${currencyOf('t')}
                 and c.date >= t.date - ${FUNDING_MAX_DAYS}::int and c.date <= t.date + ${FUNDING_MAX_DAYS}::int)
          returning 1
        )
        select count(*)::int as n from inserted`,
      );
      return rows[0]?.n ?? 0;
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
