import { and, desc, eq, gt, ilike, lt, or, sql, type SQL } from 'drizzle-orm';
import { preparedRows, type Database } from '../client.js';
import { transactions } from '../schema/index.js';

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

/** The columns the API shows (no raw payload, no bookkeeping timestamps). */
const listColumns = {
  id: t.id,
  accountId: t.accountId,
  date: t.date,
  authorizedDate: t.authorizedDate,
  name: t.name,
  merchantName: t.merchantName,
  amount: t.amount,
  isoCurrencyCode: t.isoCurrencyCode,
  unofficialCurrencyCode: t.unofficialCurrencyCode,
  pending: t.pending,
  categoryPrimary: t.categoryPrimary,
  categoryDetailed: t.categoryDetailed,
  categoryConfidence: t.categoryConfidence,
  userCategory: t.userCategory,
  transferKind: t.transferKind,
  transferReason: t.transferReason,
  transferPairId: t.transferPairId,
  userNote: t.userNote,
  userTags: t.userTags,
  excluded: t.excluded,
  excludedReason: t.excludedReason,
  userMerchantName: t.userMerchantName,
  editVersion: t.editVersion,
};

/**
 * A row as the driver returns it, without the ORM's per-field mapping (a 500-row page spent more time
 * there than in the database): the columns' SQL names, money and dates as strings.
 */
export interface TransactionListRow {
  id: string;
  account_id: string;
  date: string;
  authorized_date: string | null;
  name: string;
  merchant_name: string | null;
  amount: string;
  iso_currency_code: string | null;
  unofficial_currency_code: string | null;
  pending: boolean;
  category_primary: string | null;
  category_detailed: string | null;
  category_confidence: string | null;
  user_category: string | null;
  transfer_kind: (typeof t.$inferSelect)['transferKind'];
  transfer_reason: (typeof t.$inferSelect)['transferReason'];
  transfer_pair_id: string | null;
  user_note: string | null;
  user_tags: string[];
  excluded: boolean;
  excluded_reason: string | null;
  user_merchant_name: string | null;
  edit_version: number;
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

const p = sql.placeholder;

/**
 * The first page without filters (the hot read) hides the user and the page size from the planner, each
 * behind an InitPlan (`(select $n)`): its plan is then the same whoever asks, so PostgreSQL keeps the
 * prepared statement's generic plan instead of planning every request. With both visible it never did: a
 * custom plan knowing `limit 51` (or the heavy user's row count) always looked cheaper than the generic
 * one, and planning cost about 80 µs of the statement's ~190 µs. The plan is the same backward scan of
 * (user_id, date, id). Not for a cursor's page: its statement already runs generic (with the cursor's
 * values hidden too it went back to planning each time).
 */
const planFixedShapes = new Set(['']);

/** The WHERE clause for the filters present, with placeholders: its shape is the cache key. */
function conditionsFor(
  filters: TransactionFilters,
  withCursor: boolean,
  planFixed: boolean,
): SQL | undefined {
  const conditions: (SQL | undefined)[] = [
    planFixed ? sql`${t.userId} = (select ${p('userId')}::uuid)` : eq(t.userId, p('userId')),
  ];
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
  const prepare = (filters: TransactionFilters, withCursor: boolean, planFixed: boolean, name: string) =>
    db
      .select(listColumns)
      .from(t)
      .where(conditionsFor(filters, withCursor, planFixed))
      .orderBy(desc(t.date), desc(t.id))
      // drizzle renders an SQL limit as given (its type says number or placeholder only).
      .limit(planFixed ? (sql`(select ${p('limit')}::int)` as unknown as number) : p('limit'))
      .prepare(name);

  return {
    /** Newest first, keyset-paginated on (date, id): stable while new rows arrive. */
    listForUser(
      userId: string,
      filters: TransactionFilters,
      page: { limit: number; after?: { date: string; id: string } },
    ): Promise<TransactionListRow[]> {
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
        query = prepare(
          filters,
          page.after !== undefined,
          planFixedShapes.has(shape),
          `transactions_list_${shape || 'all'}`,
        );
        prepared.set(shape, query);
      }
      return preparedRows<TransactionListRow>(query, {
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
        limit: page.limit,
      });
    },
  };
}

export type TransactionsRepository = ReturnType<typeof createTransactionsRepository>;
