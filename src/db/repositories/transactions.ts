import { and, desc, eq, gt, ilike, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../client.js';
import { transactions } from '../schema/index.js';
import { jsonBoolean, jsonMoney, jsonObject, jsonPlain, jsonText } from '../wire-format.js';

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

const t = transactions;

/**
 * One transaction as the API shows it (the `Transaction` schema of the HTTP layer), built by PostgreSQL:
 * amounts as exact decimal strings, our sign convention (negative = money out) as stored.
 */
const transactionJson = jsonObject({
  id: jsonPlain(t.id),
  account_id: jsonPlain(t.accountId),
  date: jsonText(t.date),
  authorized_date: jsonText(t.authorizedDate),
  name: jsonText(t.name),
  merchant_name: jsonText(t.merchantName),
  amount: jsonMoney(t.amount),
  currency: jsonText(sql`coalesce(${t.isoCurrencyCode}, ${t.unofficialCurrencyCode}, 'XXX')`),
  pending: jsonBoolean(t.pending),
  category: jsonObject({
    primary: jsonText(t.categoryPrimary),
    detailed: jsonText(t.categoryDetailed),
    confidence: jsonText(t.categoryConfidence),
    user_override: jsonText(t.userCategory),
  }),
  transfer_kind: jsonPlain(t.transferKind),
  note: jsonText(t.userNote),
});

/** A page of transactions, already in the API's JSON (see `transactionJson`). */
export interface TransactionPage {
  /** A JSON array of the page's transactions, newest first. */
  json: string;
  /** True when rows follow this page. */
  more: boolean;
  /** The keyset position of the page's last row (where the next page starts). */
  last: { date: string; id: string } | null;
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

const p = sql.placeholder;

/** The WHERE clause for the filters present, with placeholders: its shape is the cache key. */
function conditionsFor(filters: TransactionFilters, withCursor: boolean): SQL | undefined {
  const conditions: (SQL | undefined)[] = [eq(t.userId, p('userId'))];
  if (filters.accountIds?.length) conditions.push(sql`${t.accountId} = any(${p('accountIds')}::uuid[])`);
  if (filters.startDate) conditions.push(sql`${t.date} >= ${p('startDate')}::date`);
  if (filters.endDate) conditions.push(sql`${t.date} <= ${p('endDate')}::date`);
  if (filters.category) {
    conditions.push(
      or(
        sql`coalesce(${t.userCategory}, ${t.categoryPrimary}) = ${p('category')}`,
        eq(t.categoryDetailed, p('category')),
      ),
    );
  }
  if (filters.merchant) conditions.push(ilike(t.merchantName, p('merchant')));
  if (filters.q) conditions.push(or(ilike(t.name, p('q')), ilike(t.merchantName, p('q'))));
  if (filters.minAmount) conditions.push(sql`abs(${t.amount}) >= ${p('minAmount')}::numeric`);
  if (filters.maxAmount) conditions.push(sql`abs(${t.amount}) <= ${p('maxAmount')}::numeric`);
  if (filters.pending !== undefined) conditions.push(eq(t.pending, p('pending')));
  if (filters.direction === 'in') conditions.push(gt(t.amount, '0'));
  if (filters.direction === 'out') conditions.push(lt(t.amount, '0'));
  if (withCursor)
    conditions.push(sql`(${t.date}, ${t.id}) < (${p('afterDate')}::date, ${p('afterId')}::uuid)`);
  return and(...conditions);
}

export function createTransactionsRepository(db: Database) {
  // One prepared statement per combination of filters in use (built once, then reused).
  const prepared = new Map<string, ReturnType<typeof prepare>>();
  const prepare = (filters: TransactionFilters, withCursor: boolean, name: string) => {
    // `limit + 1` rows in keyset order, numbered; the extra row only says whether more follow.
    const rows = db
      .select({
        json: transactionJson.as('json'),
        date: sql<string>`${t.date}::text`.as('position_date'),
        id: sql<string>`${t.id}::text`.as('position_id'),
        n: sql<number>`row_number() over (order by ${t.date} desc, ${t.id} desc)`.as('n'),
      })
      .from(t)
      .where(conditionsFor(filters, withCursor))
      .orderBy(desc(t.date), desc(t.id))
      .limit(p('fetch'))
      .as('page');
    return db
      .select({
        json: sql<string>`'[' || coalesce(string_agg(${rows.json}, ',' order by ${rows.n}) filter (where ${rows.n} <= ${p('limit')}), '') || ']'`,
        fetched: sql<number>`count(*)::int`,
        lastDate: sql<string | null>`max(${rows.date}) filter (where ${rows.n} = ${p('limit')})`,
        lastId: sql<string | null>`max(${rows.id}) filter (where ${rows.n} = ${p('limit')})`,
      })
      .from(rows)
      .prepare(name);
  };

  return {
    /** Newest first, keyset-paginated on (date, id): stable while new rows arrive. */
    async pageForUser(
      userId: string,
      filters: TransactionFilters,
      page: { limit: number; after?: { date: string; id: string } },
    ): Promise<TransactionPage> {
      const shape = [
        filters.accountIds?.length ? 'a' : '',
        filters.startDate ? 's' : '',
        filters.endDate ? 'e' : '',
        filters.category ? 'c' : '',
        filters.merchant ? 'm' : '',
        filters.q ? 'q' : '',
        filters.minAmount ? 'n' : '',
        filters.maxAmount ? 'x' : '',
        filters.pending !== undefined ? 'p' : '',
        filters.direction ?? '',
        page.after ? 'k' : '',
      ].join('');
      let query = prepared.get(shape);
      if (!query) {
        query = prepare(filters, page.after !== undefined, `transactions_page_${shape || 'all'}`);
        prepared.set(shape, query);
      }
      const [result] = await query.execute({
        userId,
        accountIds: filters.accountIds,
        startDate: filters.startDate,
        endDate: filters.endDate,
        category: filters.category,
        merchant: filters.merchant === undefined ? undefined : escapeLike(filters.merchant),
        q: filters.q === undefined ? undefined : `%${escapeLike(filters.q)}%`,
        minAmount: filters.minAmount,
        maxAmount: filters.maxAmount,
        pending: filters.pending,
        afterDate: page.after?.date,
        afterId: page.after?.id,
        fetch: page.limit + 1,
        limit: page.limit,
      });
      const { json, fetched, lastDate, lastId } = result!;
      return {
        json,
        more: fetched > page.limit,
        last: lastDate && lastId ? { date: lastDate, id: lastId } : null,
      };
    },
  };
}

export type TransactionsRepository = ReturnType<typeof createTransactionsRepository>;
