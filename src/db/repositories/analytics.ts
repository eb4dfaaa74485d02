import { and, asc, eq, sql, type SQL } from 'drizzle-orm';
import { addDays, addMonths, startOfMonth } from '../../lib/dates.js';
import {
  TRANSFER_LIKE_CATEGORIES,
  TRANSFER_MAX_DAYS,
  type TransferCandidate,
} from '../../domain/analytics/transfers.js';
import { selectRows, type Database } from '../client.js';
import type { ChannelSubscription, ListenerLifecycle } from '../notifications.js';
import {
  accounts,
  balanceSnapshots,
  cashflowDaily,
  cashflowMonthly,
  holdings,
  netWorthDaily,
  netWorthPointsMonthly,
  securities,
  transactions,
  type TransferKind,
  type TransferMatchReason,
} from '../schema/index.js';

/** Reads and writes of the analytics read model. Every query is scoped to one user. */

const currencyExpr = (t: { isoCurrencyCode: unknown; unofficialCurrencyCode: unknown }) =>
  sql<string>`coalesce(${t.isoCurrencyCode}, ${t.unofficialCurrencyCode}, 'XXX')`;

/** A whitelisted date_trunc unit, inlined (a parameter would not match between DISTINCT ON and ORDER BY). */
function truncUnit(interval: 'day' | 'week' | 'month'): SQL {
  return sql.raw({ day: "'day'", week: "'week'", month: "'month'" }[interval]);
}

/** The whole calendar months inside [start, end], as [first month, month after the last) — empty when none. */
export function wholeMonths(start: string, end: string): [string, string] {
  const from = start.endsWith('-01') ? start : addMonths(startOfMonth(start), 1);
  const to = startOfMonth(addDays(end, 1));
  return from < to ? [from, to] : [start, start];
}

/**
 * A span of transaction dates, [from, until): the piece of a person's history one step of an embedded
 * refresh rewrites (src/domain/analytics/materializers.ts). A missing end is open: the first span of a
 * refresh has no `from` and the last no `until`, so together they cover every date, old rows included.
 */
export interface DateSpan {
  from?: string;
  until?: string;
}

/** `column` inside `span` (true for the whole history). */
export function withinSpan(column: SQL, span: DateSpan | undefined): SQL {
  const parts: SQL[] = [];
  if (span?.from !== undefined) parts.push(sql`${column} >= ${span.from}::date`);
  if (span?.until !== undefined) parts.push(sql`${column} < ${span.until}::date`);
  return parts.length === 0 ? sql`true` : sql.join(parts, sql` and `);
}

/**
 * The months whose monthly sums are rebuilt with `span`'s days: from the month `span` starts in to the
 * month it ends in, that one excluded (a later span completes it). With the spans of a refresh, in date
 * order, each month is rebuilt once, after its last day was rewritten.
 */
function monthsCompletedBy(span: DateSpan | undefined): DateSpan | undefined {
  if (!span) return undefined;
  return {
    ...(span.from !== undefined ? { from: startOfMonth(span.from) } : {}),
    ...(span.until !== undefined ? { until: startOfMonth(span.until) } : {}),
  };
}

/** Inflows that count as income; other non-transfer inflows (refunds) reduce spending. */
export const INCOME_CATEGORIES = ['INCOME', 'EARNED_INCOME', 'TRANSFER_IN'] as const;

export interface CashflowRow {
  currency: string;
  period: string | null;
  kind: 'income' | 'spending' | TransferKind;
  category: string | null;
  detailed: string | null;
  merchant: string | null;
  total: string;
  /** The sum of the positive amounts alone (for transfers: the money moved, counted once). */
  inflow: string;
  count: number;
}

export interface HoldingPositionRow {
  accountId: string;
  accountName: string;
  securityId: string;
  ticker: string | null;
  securityName: string | null;
  securityType: string | null;
  isCashEquivalent: boolean;
  quantity: string;
  price: string;
  priceAsOf: string | null;
  value: string;
  costBasis: string | null;
  gain: string | null;
  gainPercent: string | null;
  currency: string;
}

/** The one currency code of the transaction aliased `t`. */
const currencyOfT = sql`coalesce(t.iso_currency_code, t.unofficial_currency_code, 'XXX')`;
/** A transaction `t` (joined to its account `a`) as a transfer-matching candidate. */
const candidateColumns = sql`
  select t.id, t.account_id as "accountId", a.type as "accountType", to_char(t.date, 'YYYY-MM-DD') as date,
         t.amount::text as amount, ${currencyOfT} as currency,
         coalesce(t.user_category, t.category_primary) as category,
         case when t.user_category is null then t.category_detailed end as detailed
  from ${transactions} t join ${accounts} a on a.id = t.account_id`;
const categoryOf = sql`coalesce(t.user_category, t.category_primary)`;
const transferLikeList = sql.join(
  [...TRANSFER_LIKE_CATEGORIES].map((c) => sql`${c}`),
  sql`, `,
);

export function createAnalyticsRepository(db: Database) {
  let holdingPositionsQuery:
    { execute(values: { userId: string }): Promise<HoldingPositionRow[]> } | undefined;
  /** The user's posted transactions summed per account and day (inside `span`, when given). */
  const postedSums = (
    userId: string,
    span?: DateSpan,
  ): Promise<{ accountId: string; date: string; amount: string }[]> =>
    db
      .select({
        accountId: transactions.accountId,
        date: transactions.date,
        amount: sql<string>`sum(${transactions.amount})::text`,
      })
      .from(transactions)
      .where(
        and(
          eq(transactions.userId, userId),
          eq(transactions.pending, false),
          withinSpan(sql`${transactions.date}`, span),
        ),
      )
      .groupBy(transactions.accountId, transactions.date);
  return {
    /**
     * Recomputes one user's daily cash-flow sums from their transactions (after transfer matching): the
     * owner's category and merchant overrides count, excluded transactions do not. With `span`, only the
     * days inside it, and the monthly sums of the months it completes (an embedded refresh goes through a
     * person's history span by span, in date order: a month cut by two spans is rebuilt with the second).
     */
    async replaceCashflowDaily(userId: string, span?: DateSpan): Promise<number> {
      const t = transactions;
      const category = sql`coalesce(${t.userCategory}, ${t.categoryPrimary})`;
      const incomeList = sql.join(
        INCOME_CATEGORIES.map((c) => sql`${c}`),
        sql`, `,
      );
      return db.transaction(async (tx) => {
        await tx.execute(
          sql`delete from ${cashflowDaily} where user_id = ${userId} and ${withinSpan(sql`date`, span)}`,
        );
        const rows = await selectRows<{ n: number }>(
          tx as unknown as Database,
          sql`
          with inserted as (
            insert into ${cashflowDaily} (user_id, date, currency, kind, category, detailed, merchant, pending, total, inflow, count)
            select ${t.userId}, ${t.date}, ${currencyExpr(t)},
                   case when ${t.transferKind} is not null then ${t.transferKind}
                        when ${t.amount} > 0 and (${category} is null or ${category} in (${incomeList})) then 'income'
                        else 'spending' end,
                   coalesce(${category}, 'UNCATEGORIZED'),
                   coalesce(${t.categoryDetailed}, 'UNCATEGORIZED'),
                   coalesce(${t.userMerchantName}, ${t.merchantName}, ${t.name}),
                   ${t.pending},
                   sum(${t.amount}),
                   sum(case when ${t.amount} > 0 then ${t.amount} else 0 end),
                   count(*)
            from ${t}
            -- An excluded transaction (the owner's edit or a rule: reimbursed, …) is neither income nor
            -- spending; it stays listed with the transactions.
            where ${t.userId} = ${userId} and not ${t.excluded} and ${withinSpan(sql`${t.date}`, span)}
            group by 1, 2, 3, 4, 5, 6, 7, 8
            returning 1
          )
          select count(*)::int as n from inserted`,
        );
        const months = monthsCompletedBy(span);
        await tx.execute(
          sql`delete from ${cashflowMonthly} where user_id = ${userId} and ${withinSpan(sql`month`, months)}`,
        );
        await tx.execute(sql`
          insert into ${cashflowMonthly} (user_id, month, currency, kind, category, detailed, merchant, pending, total, inflow, count)
          select user_id, date_trunc('month', date::timestamp)::date, currency, kind, category, detailed, merchant, pending,
                 sum(total), sum(inflow), sum(count)
          from ${cashflowDaily}
          where user_id = ${userId} and ${withinSpan(sql`date`, months)}
          group by 1, 2, 3, 4, 5, 6, 7, 8`);
        return rows[0]?.n ?? 0;
      });
    },

    /**
     * The range's cash-flow sums, one statement: per (currency, period, kind), per (currency, kind,
     * category, merchant) — a category's total is its merchants' added up — and, when asked, per
     * (currency, kind, detailed). Two or three grouping sets: each costs a hash lookup per input row.
     */
    async cashflow(
      userId: string,
      range: {
        start: string;
        end: string;
        interval: 'month' | 'week';
        includePending: boolean;
        /** Also the spending per detailed category. */
        detailed?: boolean;
      },
    ): Promise<CashflowRow[]> {
      const d = cashflowDaily;
      const m = cashflowMonthly;
      // Whole calendar months come from the monthly sums, the partial months at the edges from the daily.
      const [fullFrom, fullTo] =
        range.interval === 'month' ? wholeMonths(range.start, range.end) : [range.start, range.start];
      const pending = (column: SQL) => (range.includePending ? sql`` : sql`and ${column} = false`);
      // The partial months at the edges, each its own index range: [from, fullFrom) and [fullTo, end].
      const daily = (from: string, until: SQL) => sql`
          select ${d.currency}, date_trunc(${truncUnit(range.interval)}, ${d.date}::timestamp)::date,
                 ${d.kind}, ${d.category}, ${d.detailed}, ${d.merchant}, ${d.total}, ${d.inflow}, ${d.count}
          from ${d}
          where ${d.userId} = ${userId} and ${d.date} >= ${from}::date and ${d.date} ${until}
                and ${d.date} <= ${range.end}::date
            ${pending(sql`${d.pending}`)}`;
      return selectRows<CashflowRow>(
        db,
        sql`
        with t as (
          select ${m.currency} as currency, ${m.month} as period, ${m.kind} as kind, ${m.category} as category,
                 ${m.detailed} as detailed, ${m.merchant} as merchant, ${m.total} as total, ${m.inflow} as inflow,
                 ${m.count} as n
          from ${m}
          where ${m.userId} = ${userId} and ${m.month} >= ${fullFrom}::date and ${m.month} < ${fullTo}::date
            ${pending(sql`${m.pending}`)}
          union all
          ${daily(range.start, sql`< ${fullFrom}::date`)}
          union all
          ${daily(fullTo, sql`<= ${range.end}::date`)}
        )
        select currency,
               case when grouping(period) = 0 then to_char(period, 'YYYY-MM-DD') end as period,
               kind,
               case when grouping(category) = 0 then category end as category,
               ${range.detailed ? sql`case when grouping(detailed) = 0 then detailed end` : sql`null`} as detailed,
               case when grouping(merchant) = 0 then merchant end as merchant,
               sum(total)::text as total,
               sum(inflow)::text as inflow,
               sum(n)::int as count
        from t
        group by grouping sets ((currency, period, kind), (currency, kind, category, merchant)
                                ${range.detailed ? sql`, (currency, kind, detailed)` : sql``})
      `,
      );
    },

    /**
     * Net worth points per currency (every day, or the last known day of each week or month), as the
     * JSON array the API shows, from the points the materializer rendered: whole months of a daily
     * history come joined from net_worth_points_monthly, the days of the partial months at its edges
     * from net_worth_daily (each edge its own index range).
     */
    async netWorthHistoryJson(
      userId: string,
      range: { start: string; end: string; interval: 'day' | 'week' | 'month' },
    ): Promise<string> {
      const n = netWorthDaily;
      const m = netWorthPointsMonthly;
      let rows: { points: string }[];
      if (range.interval === 'day') {
        const [fullFrom, fullTo] = wholeMonths(range.start, range.end);
        rows = await selectRows<{ points: string }>(
          db,
          sql`select ${m.points} as points, ${m.currency} as currency, ${m.month} as at
              from ${m}
              where ${m.userId} = ${userId} and ${m.month} >= ${fullFrom}::date and ${m.month} < ${fullTo}::date
              union all
              select ${n.pointJson}, ${n.currency}, ${n.date}
              from ${n}
              where ${n.userId} = ${userId} and ${n.date} >= ${range.start}::date and ${n.date} < ${fullFrom}::date
              union all
              select ${n.pointJson}, ${n.currency}, ${n.date}
              from ${n}
              where ${n.userId} = ${userId} and ${n.date} >= ${fullTo}::date and ${n.date} <= ${range.end}::date
              order by currency, at`,
        );
      } else if (range.interval === 'month') {
        // The last known day of each month: for each month the materializer joined (currency, month), one
        // backward probe of net_worth_daily's key, instead of reading and sorting every day of the range.
        const within = sql`${n.userId} = ${m.userId} and ${n.currency} = ${m.currency}
                and ${n.date} >= ${m.month} and ${n.date} < (${m.month} + interval '1 month')::date
                and ${n.date} >= ${range.start}::date and ${n.date} <= ${range.end}::date`;
        rows = await selectRows<{ points: string }>(
          db,
          sql`select p.points from ${m}
              cross join lateral (
                select ${n.pointJson} as points from ${n} where ${within} order by ${n.date} desc limit 1
              ) p
              where ${m.userId} = ${userId} and ${m.month} >= ${startOfMonth(range.start)}::date
                and ${m.month} <= ${range.end}::date
              order by ${m.currency}, ${m.month}`,
        );
      } else {
        const period = sql`date_trunc(${truncUnit(range.interval)}, ${n.date}::timestamp)`;
        const inRange = sql`${n.userId} = ${userId} and ${n.date} between ${range.start}::date and ${range.end}::date`;
        rows = await selectRows<{ points: string }>(
          db,
          sql`select points from (
                select distinct on (${n.currency}, ${period}) ${n.pointJson} as points, ${n.currency} as currency, ${n.date} as date
                from ${n} where ${inRange}
                order by ${n.currency}, ${period}, ${n.date} desc
              ) p order by currency, date`,
        );
      }
      return `[${rows.map((row) => row.points).join(',')}]`;
    },

    /**
     * Everything the net-worth materializer needs for one user. Without `posted` (an embedded refresh
     * reads the posted sums span by span with `postedSums`), the posted sums are left empty.
     */
    async netWorthInputs(userId: string, options: { posted: boolean } = { posted: true }) {
      const accountRows = await db
        .select({
          id: accounts.id,
          type: accounts.type,
          currency: currencyExpr(accounts),
          currentBalance: accounts.currentBalance,
          balancesAsOf: accounts.balancesAsOf,
          updatedAt: accounts.updatedAt,
        })
        .from(accounts)
        .where(eq(accounts.userId, userId));
      const snapshots = await db
        .select({
          accountId: balanceSnapshots.accountId,
          date: balanceSnapshots.date,
          balance: balanceSnapshots.currentBalance,
        })
        .from(balanceSnapshots)
        .where(eq(balanceSnapshots.userId, userId));
      const posted = options.posted ? await postedSums(userId) : [];
      const [span] = await db
        .select({ first: sql<string | null>`min(${transactions.date})::text` })
        .from(transactions)
        .where(eq(transactions.userId, userId));
      return { accounts: accountRows, snapshots, posted, firstTransactionDate: span?.first ?? null };
    },

    postedSums,

    /**
     * The user's transactions per day, in date order: counted, or, with `samplePercent`, estimated from
     * that share of the table's pages (TABLESAMPLE SYSTEM: tens of milliseconds where counting 100,000
     * rows scans them all). Each sampled row stands for 100 / samplePercent rows.
     */
    transactionsPerDay(userId: string, samplePercent?: number): Promise<{ date: string; n: number }[]> {
      const sample =
        samplePercent === undefined ? sql`` : sql`tablesample system (${samplePercent}) repeatable (17)`;
      const weight = samplePercent === undefined ? 1 : 100 / samplePercent;
      return selectRows<{ date: string; n: number }>(
        db,
        sql`select to_char(date, 'YYYY-MM-DD') as date, (count(*) * ${weight})::int as n
              from ${transactions} ${sample}
             where user_id = ${userId} group by date order by date`,
      );
    },

    /**
     * Makes one user's stored net worth equal `days`: days no longer there are deleted, new or changed ones
     * written, unchanged ones left alone (one JSON parameter, not 9 per row: drizzle's multi-row insert of
     * 1,500 days cost ~0.4 s). The monthly joined points are rebuilt when anything changed.
     */
    async replaceNetWorth(
      userId: string,
      days: Omit<typeof netWorthDaily.$inferInsert, 'userId' | 'updatedAt'>[],
    ): Promise<number> {
      const fresh = JSON.stringify(
        days.map((d) => ({
          currency: d.currency,
          date: d.date,
          assets: d.assets,
          liabilities: d.liabilities,
          net_worth: d.netWorth,
          estimated: d.estimated ?? false,
          point_json: d.pointJson,
        })),
      );
      return db.transaction(async (tx) => {
        const [changed] = await selectRows<{ n: number }>(
          tx as unknown as Database,
          sql`
          with fresh as (
            select * from jsonb_to_recordset(${fresh}::jsonb) as r(
              currency text, date date, assets numeric, liabilities numeric, net_worth numeric,
              estimated boolean, point_json text)
          ), gone as (
            delete from net_worth_daily n
            where n.user_id = ${userId}
              and not exists (select 1 from fresh f where f.currency = n.currency and f.date = n.date)
            returning 1
          ), written as (
            insert into net_worth_daily (user_id, currency, date, assets, liabilities, net_worth, estimated, point_json)
            select ${userId}, currency, date, assets, liabilities, net_worth, estimated, point_json from fresh
            on conflict (user_id, currency, date) do update
              set assets = excluded.assets, liabilities = excluded.liabilities, net_worth = excluded.net_worth,
                  estimated = excluded.estimated, point_json = excluded.point_json, updated_at = now()
              where (net_worth_daily.assets, net_worth_daily.liabilities, net_worth_daily.net_worth,
                     net_worth_daily.estimated, net_worth_daily.point_json)
                    is distinct from (excluded.assets, excluded.liabilities, excluded.net_worth,
                                      excluded.estimated, excluded.point_json)
            returning 1
          )
          select ((select count(*) from gone) + (select count(*) from written))::int as n`,
        );
        const n = changed?.n ?? 0;
        if (n === 0) return 0;
        const d = netWorthDaily;
        await tx.delete(netWorthPointsMonthly).where(eq(netWorthPointsMonthly.userId, userId));
        await tx.execute(sql`
          insert into ${netWorthPointsMonthly} (user_id, currency, month, points)
          select ${d.userId}, ${d.currency}, date_trunc('month', ${d.date}::timestamp)::date,
                 string_agg(${d.pointJson}, ',' order by ${d.date})
          from ${d} where ${d.userId} = ${userId}
          group by 1, 2, 3`);
        return n;
      });
    },

    /**
     * The user's posted transactions that look like a transfer leg (categorised as a transfer or a loan
     * payment, or not at all), as matching candidates (src/domain/analytics/transfers.ts); with `span`,
     * those dated inside it. With `legsOppositeTo`, they are the whole candidate set: no other
     * transaction can be paired by any rule.
     */
    transferLikeLegs(userId: string, span?: DateSpan): Promise<TransferCandidate[]> {
      return selectRows<TransferCandidate>(
        db,
        sql`${candidateColumns}
            where t.user_id = ${userId} and t.pending = false and ${withinSpan(sql`t.date`, span)}
              and (${categoryOf} is null or ${categoryOf} in (${transferLikeList}))`,
      );
    },

    /**
     * The user's other posted transactions (not transfer-like) with a leg of `legs` of exactly the
     * opposite amount, in the same currency, in another account, at most TRANSFER_MAX_DAYS away: the
     * only ones the matcher can pair with them. With `span`, those dated inside it. The legs go as one
     * JSON parameter, so the statement reads the span's rows only (the transfer-like legs around it come
     * from `transferLikeLegs`), and a person with 100,000 card payments sends the matcher their few
     * transfer-like legs and these (test/integration/embedded-refresh.test.ts holds the matches to those
     * over every posted transaction).
     */
    async legsOppositeTo(
      userId: string,
      legs: readonly TransferCandidate[],
      span?: DateSpan,
    ): Promise<TransferCandidate[]> {
      if (legs.length === 0) return [];
      const given = JSON.stringify(
        legs.map((leg) => ({
          account_id: leg.accountId,
          date: leg.date,
          amount: leg.amount,
          currency: leg.currency,
        })),
      );
      return selectRows<TransferCandidate>(
        db,
        sql`${candidateColumns}
            where t.user_id = ${userId} and t.pending = false and ${withinSpan(sql`t.date`, span)}
              and not (${categoryOf} is null or ${categoryOf} in (${transferLikeList}))
              and exists (
                select 1 from jsonb_to_recordset(${given}::jsonb) as o(account_id uuid, date date, amount numeric, currency text)
                 where o.amount = -t.amount and o.currency = ${currencyOfT}
                   and o.account_id <> t.account_id
                   and o.date between t.date - ${TRANSFER_MAX_DAYS}::int and t.date + ${TRANSFER_MAX_DAYS}::int)`,
      );
    },

    /**
     * Stores one user's transfers: both legs of each match get its kind, its reason and each other's id;
     * every leg of an earlier match is cleared first (kind, pair and reason together).
     */
    async replaceTransfers(
      userId: string,
      matches: { outflowId: string; inflowId: string; kind: TransferKind; reason: TransferMatchReason }[],
    ): Promise<void> {
      // Both legs of every match, as one JSON parameter.
      const wanted = JSON.stringify(
        matches.flatMap((m) => [
          { id: m.outflowId, pair: m.inflowId, kind: m.kind, reason: m.reason },
          { id: m.inflowId, pair: m.outflowId, kind: m.kind, reason: m.reason },
        ]),
      );
      const recordset = sql`jsonb_to_recordset(${wanted}::jsonb) as w(id uuid, pair uuid, kind text, reason text)`;
      await db.transaction(async (tx) => {
        // Only legs whose pairing changes are written: first the ones losing or changing theirs are
        // cleared (a pair id is unique, so a leg's new partner must be free first), then the new set.
        await tx.execute(sql`
          update ${transactions} t
             set transfer_kind = null, transfer_pair_id = null, transfer_reason = null
           where t.user_id = ${userId}
             and (t.transfer_kind is not null or t.transfer_pair_id is not null or t.transfer_reason is not null)
             and not exists (
               select 1 from ${recordset}
                where w.id = t.id and w.pair = t.transfer_pair_id and w.kind = t.transfer_kind
                  and w.reason is not distinct from t.transfer_reason)`);
        if (matches.length === 0) return;
        await tx.execute(sql`
          update ${transactions} t
             set transfer_kind = w.kind, transfer_pair_id = w.pair, transfer_reason = w.reason
            from ${recordset}
           where t.id = w.id and t.user_id = ${userId}
             and (t.transfer_kind, t.transfer_pair_id, t.transfer_reason)
                 is distinct from (w.kind, w.pair, w.reason)`);
      });
    },

    /** Per merchant, currency and direction: the posted, non-transfer history since `since` (≥ 2 rows). */
    async merchantHistories(userId: string, since: string) {
      const t = transactions;
      return selectRows<{
        merchant: string;
        currency: string;
        direction: 'in' | 'out';
        dates: string[];
        amounts: string[];
        account_ids: string[];
      }>(
        db,
        sql`
        select coalesce(${t.merchantName}, ${t.name}) as merchant,
               ${currencyExpr(t)} as currency,
               case when ${t.amount} > 0 then 'in' else 'out' end as direction,
               array_agg(to_char(${t.date}, 'YYYY-MM-DD') order by ${t.date}, ${t.id}) as dates,
               array_agg(${t.amount}::text order by ${t.date}, ${t.id}) as amounts,
               array_agg(${t.accountId}::text order by ${t.date}, ${t.id}) as account_ids
        from ${t}
        where ${t.userId} = ${userId} and ${t.pending} = false and ${t.transferKind} is null
          and ${t.date} >= ${since}::date and ${t.amount} <> 0
        group by 1, 2, 3
        having count(*) >= 2`,
      );
    },

    holdingPositions(userId: string): Promise<HoldingPositionRow[]> {
      // Built once per repository, on first use (its value a placeholder): the hot read does not assemble
      // its query on every request.
      holdingPositionsQuery ??= (() => {
        const h = holdings;
        return db
          .select({
            accountId: h.accountId,
            accountName: accounts.name,
            securityId: h.securityId,
            ticker: securities.tickerSymbol,
            securityName: securities.name,
            securityType: securities.type,
            isCashEquivalent: securities.isCashEquivalent,
            quantity: h.quantity,
            price: h.institutionPrice,
            priceAsOf: h.institutionPriceAsOf,
            value: h.institutionValue,
            costBasis: h.costBasis,
            gain: sql<string | null>`(${h.institutionValue} - ${h.costBasis})::text`,
            gainPercent: sql<
              string | null
            >`case when ${h.costBasis} > 0 then round((${h.institutionValue} - ${h.costBasis}) * 100 / ${h.costBasis}, 2)::text end`,
            currency: currencyExpr(h),
          })
          .from(h)
          .innerJoin(securities, eq(securities.id, h.securityId))
          .innerJoin(accounts, eq(accounts.id, h.accountId))
          .where(eq(h.userId, sql.placeholder('userId')))
          .orderBy(asc(accounts.name), sql`${h.institutionValue} desc`, asc(h.securityId))
          .prepare('holding_positions_for_user');
      })();
      return holdingPositionsQuery.execute({ userId });
    },

    accountsOfUser(userId: string) {
      return db
        .select({
          id: accounts.id,
          name: accounts.name,
          type: accounts.type,
          currentBalance: accounts.currentBalance,
          availableBalance: accounts.availableBalance,
          currency: currencyExpr(accounts),
        })
        .from(accounts)
        .where(eq(accounts.userId, userId))
        .orderBy(asc(accounts.name), asc(accounts.id));
    },
  };
}

export type AnalyticsRepository = ReturnType<typeof createAnalyticsRepository>;

/**
 * Where the statement triggers of drizzle/0014_read_model_changes_per_user.sql announce, at commit, whose
 * data a statement wrote in a table the read answers come from: the owners' ids, comma-separated, or '*'
 * (many people, a TRUNCATE) for everyone.
 */
const READ_MODEL_CHANNEL = 'read_model_changes';

export interface ReadModelChangeHandlers extends ListenerLifecycle {
  /** `'*'`: anyone's data may have changed. */
  onChanged(userIds: readonly string[] | '*'): void;
}

/** A read-model announcement's payload: the ids it names, or '*' for everyone (also for anything odd). */
export function announcedOwners(payload: string): readonly string[] | '*' {
  if (payload === '' || payload === '*') return '*';
  const ids = payload.split(',');
  return ids.every((id) => /^[0-9a-f-]{36}$/.test(id)) ? ids : '*';
}

/** Follows the read-model changes committed by every process on this database, this one included. */
export function readModelChangesSubscription(handlers: ReadModelChangeHandlers): ChannelSubscription {
  return {
    channel: READ_MODEL_CHANNEL,
    handlers: {
      onNotification: (payload) => handlers.onChanged(announcedOwners(payload)),
      onListening: () => handlers.onListening(),
      onLost: (error, retryInMs) => handlers.onLost(error, retryInMs),
    },
  };
}
