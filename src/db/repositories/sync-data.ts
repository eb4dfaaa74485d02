import { and, eq, getTableColumns, inArray, sql, type SQL } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { batches } from '../batches.js';
import { selectRows, type Database } from '../client.js';
import { jsonbText } from '../../lib/text.js';
import {
  accounts,
  balanceSnapshots,
  holdingSnapshots,
  holdings,
  investmentTransactions,
  liabilities,
  plaidItems,
  plaidPayloads,
  securities,
  transactions,
  type TransactionsPendingUpdate,
} from '../schema/index.js';
import { createRulesRepository } from './rules.js';
import { HAS_OWNER_FIELDS, KEPT_COLUMNS, MERGE_KEPT_OWNER_FIELDS } from './transaction-edits.js';

type NewAccount = typeof accounts.$inferInsert;
type NewTransaction = typeof transactions.$inferInsert;
type NewSecurity = typeof securities.$inferInsert;
type NewHolding = typeof holdings.$inferInsert;
type NewInvestmentTransaction = typeof investmentTransactions.$inferInsert;
type NewLiability = typeof liabilities.$inferInsert;
type NewBalanceSnapshot = typeof balanceSnapshots.$inferInsert;

/** `SET col = excluded.col` for the given columns of an upsert. */
function excluded<T extends PgTable>(table: T, keys: readonly (keyof T['_']['columns'] & string)[]) {
  const columns = getTableColumns(table) as Record<string, { name: string }>;
  const set: Record<string, SQL> = {};
  for (const key of keys) {
    const column = columns[key];
    if (!column) throw new Error(`unknown column ${key}`);
    set[key] = sql.raw(`excluded."${column.name}"`);
  }
  return set;
}

/** Another sync committed a cursor for the item since this one started: its changes must not be applied. */
export class CursorMovedError extends Error {
  override readonly name = 'CursorMovedError';
  constructor() {
    super('the transactions cursor moved during the sync (a concurrent sync committed first)');
  }
}

/**
 * A part-applied update cannot be finished: one of its pages is no longer in plaid_payloads (pruned), or
 * the item's cursor is not the one it started from.
 */
export class PendingPageMissingError extends Error {
  override readonly name = 'PendingPageMissingError';
  constructor() {
    super('a part-applied /transactions/sync update cannot be finished');
  }
}

/** One /transactions/sync update being applied page by page inside ONE database transaction. */
export interface TransactionsSyncSession {
  /** Applies one page: upserts (added and modified, mapped), then deletions (unknown ids are no-ops). */
  applyPage(page: { upserts: NewTransaction[]; removedPlaidIds: string[] }): Promise<void>;
  /** Keeps a raw Plaid response in the same transaction (rolled back with a restarted update). */
  savePayload(input: SavePayloadInput): Promise<void>;
}

export interface SavePayloadInput {
  userId: string;
  itemId: string;
  syncRunId: string | null;
  endpoint: string;
  requestId: string | null;
  payload: unknown;
}

/** The columns a transactions upsert writes; on conflict every one but the owner and the key is replaced. */
const TRANSACTION_UPSERT_KEYS = [
  'userId',
  'itemId',
  'accountId',
  'plaidTransactionId',
  'pendingTransactionId',
  'amount',
  'isoCurrencyCode',
  'unofficialCurrencyCode',
  'date',
  'authorizedDate',
  'datetime',
  'name',
  'merchantName',
  'merchantEntityId',
  'paymentChannel',
  'pending',
  'categoryPrimary',
  'categoryDetailed',
  'categoryConfidence',
] as const satisfies readonly (keyof NewTransaction)[];
const TRANSACTION_REPLACED_KEYS = TRANSACTION_UPSERT_KEYS.filter(
  (key) => key !== 'userId' && key !== 'itemId' && key !== 'plaidTransactionId',
);
/**
 * Rows per transactions upsert. The batch travels as one JSON parameter, so the bind-parameter limit
 * does not apply; 2,000 rows are about 1 MB of JSON.
 */
const TRANSACTION_BATCH_ROWS = 2_000;

/**
 * `insert into transactions … select … from jsonb_to_recordset($1::jsonb)`: the whole batch is one JSON
 * text (the rows' encodings joined), parsed once by the server.
 * Drizzle's multi-row VALUES builder binds one parameter per cell and spent ~50 ms of CPU per 500 rows
 * building the statement (60 % of the worker's CPU in a 100,000-row first sync). Column names
 * and SQL types come from the schema, so the statement follows it.
 */
const transactionColumns = getTableColumns(transactions);
const upsertColumnNames = TRANSACTION_UPSERT_KEYS.map((key) => transactionColumns[key].name);

/** One transaction row as the JSON object the upsert reads (dates as ISO strings, amounts as decimal strings). */
function encodeTransactionRow(row: NewTransaction): string {
  const record: Record<string, unknown> = {};
  for (let i = 0; i < TRANSACTION_UPSERT_KEYS.length; i++) {
    record[upsertColumnNames[i]!] = row[TRANSACTION_UPSERT_KEYS[i]!] ?? null;
  }
  record[transactionColumns.pending.name] = row.pending ?? false;
  return JSON.stringify(record);
}

function transactionsUpsertStatement(rows: readonly NewTransaction[]): SQL {
  const columns = transactionColumns;
  const list = sql.raw(upsertColumnNames.map((name) => `"${name}"`).join(', '));
  const definitions = sql.raw(
    TRANSACTION_UPSERT_KEYS.map((key) => `"${columns[key].name}" ${columns[key].getSQLType()}`).join(', '),
  );
  const replaced = sql.raw(
    TRANSACTION_REPLACED_KEYS.map((key) => `"${columns[key].name}" = excluded."${columns[key].name}"`).join(
      ', ',
    ),
  );
  const json = `[${rows.map(encodeTransactionRow).join(',')}]`;
  return sql`
    insert into ${transactions} (${list})
    select ${list} from jsonb_to_recordset(${json}::jsonb) as r(${definitions})
    on conflict (${sql.identifier(columns.plaidTransactionId.name)}) do update
       set ${replaced}, ${sql.identifier(columns.updatedAt.name)} = now()
     -- A Plaid id never moves between users; refuse to touch another user's row.
     where ${transactions.userId} = excluded.${sql.identifier(columns.userId.name)}`;
}

/** Writes of the Plaid pipeline: upserts, atomic replacements, and the transactions cursor commit. */
/** The account fields a sync writes (from /accounts/get); a row is rewritten only when one of them changed. */
const ACCOUNT_SYNCED_COLUMNS = [
  'persistentAccountId',
  'name',
  'officialName',
  'mask',
  'type',
  'subtype',
  'currentBalance',
  'availableBalance',
  'creditLimit',
  'isoCurrencyCode',
  'unofficialCurrencyCode',
  'balancesAsOf',
  'raw',
] as const;

export function createSyncDataRepository(db: Database) {
  async function upsertTransactionRows(tx: Database, rows: readonly NewTransaction[]): Promise<void> {
    // The next batch's JSON is built while the server writes the current one (one statement in flight).
    let inFlight: Promise<unknown> | undefined;
    for (const chunk of batches(rows, TRANSACTION_BATCH_ROWS)) {
      const statement = transactionsUpsertStatement(chunk);
      await inFlight;
      inFlight = tx.execute(statement).then(() => undefined); // drizzle queries start on `then`
      inFlight.catch(() => undefined); // awaited above; never an unhandled rejection if building throws
    }
    await inFlight;
  }

  /**
   * Kept owner fields of removed rows come back: to a row Plaid added again under the same id, and to
   * a posted row whose pending_transaction_id names a removed pending one (the owner's hand-set fields
   * win over a rule's, MERGE_KEPT_OWNER_FIELDS). A kept row is consumed by its use.
   */
  async function restoreKeptEdits(tx: Database, userId: string): Promise<void> {
    const [kept] = await selectRows<{ any: boolean }>(
      tx,
      sql`select exists (select 1 from transaction_edits_kept where user_id = ${userId}) as any`,
    );
    if (!kept?.any) return;
    for (const link of [sql.raw('plaid_transaction_id'), sql.raw('pending_transaction_id')]) {
      await tx.execute(sql`
        with used as (
          delete from transaction_edits_kept k
           using transactions t
           where k.user_id = ${userId} and t.user_id = ${userId} and t.${link} = k.plaid_transaction_id
          returning k.*)
        update transactions t set ${MERGE_KEPT_OWNER_FIELDS}
          from used k
         where t.user_id = ${userId} and t.${link} = k.plaid_transaction_id`);
    }
  }

  /**
   * The writes of one /transactions/sync update on `tx` (a transaction): each page's rows upserted with
   * the person's rules applied, removed rows deleted with their owner fields kept aside, raw pages kept.
   */
  async function transactionsSession(
    tx: Database,
    input: { userId: string; itemId: string },
  ): Promise<TransactionsSyncSession> {
    // The person's rules, applied to every added and modified row of each page as it is written
    // (in this transaction, with the data): src/domain/rules.
    const rules = createRulesRepository(tx);
    const ruleIds = await rules.ruleIds(input.userId);
    return {
      async applyPage(page) {
        await upsertTransactionRows(tx, page.upserts);
        if (ruleIds.length > 0 && page.upserts.length > 0) {
          const scope = {
            kind: 'plaid_ids',
            plaidTransactionIds: page.upserts.map((row) => row.plaidTransactionId),
          } as const;
          for (const ruleId of ruleIds) await rules.apply(input.userId, ruleId, scope);
        }
        // A removed row's owner fields are kept aside: carried to the posted row that replaces a
        // pending one, or restored if Plaid adds the same id again (restoreKeptEdits, before the commit).
        for (const ids of batches(page.removedPlaidIds)) {
          const json = JSON.stringify(ids);
          await tx.execute(sql`
            with removed as (
              delete from transactions
               where user_id = ${input.userId} and item_id = ${input.itemId}
                 and plaid_transaction_id in (select jsonb_array_elements_text(${json}::jsonb))
              returning *)
            insert into transaction_edits_kept (${KEPT_COLUMNS})
            select ${KEPT_COLUMNS} from removed where ${HAS_OWNER_FIELDS}
            on conflict (user_id, plaid_transaction_id) do update
              set user_note = excluded.user_note, user_category = excluded.user_category,
                  user_tags = excluded.user_tags, excluded = excluded.excluded,
                  excluded_reason = excluded.excluded_reason,
                  user_merchant_name = excluded.user_merchant_name,
                  manual_fields = excluded.manual_fields, edit_version = excluded.edit_version,
                  kept_at = now()`);
        }
      },
      async savePayload(payload) {
        await tx
          .insert(plaidPayloads)
          .values({ ...payload, payload: sql`${jsonbText(payload.payload)}::jsonb` })
          .onConflictDoNothing();
      },
    };
  }

  /** Compare-and-set on the item's cursor (`lock`: under the item row's lock, for the commit). */
  async function checkCursor(
    tx: Database,
    input: { userId: string; itemId: string; expectedCursor: string | null },
    lock: boolean,
  ): Promise<void> {
    const query = tx
      .select({ cursor: plaidItems.transactionsCursor })
      .from(plaidItems)
      .where(and(eq(plaidItems.userId, input.userId), eq(plaidItems.id, input.itemId)));
    const [item] = lock ? await query.for('update') : await query;
    if (!item) throw new Error('the item disappeared during the sync');
    if ((item.cursor ?? null) !== input.expectedCursor) throw new CursorMovedError();
  }

  return {
    /** plaid account_id → accounts.id for one item of the caller. */
    async accountIdMap(userId: string, itemId: string): Promise<Map<string, string>> {
      const rows = await db
        .select({ id: accounts.id, plaidAccountId: accounts.plaidAccountId, type: accounts.type })
        .from(accounts)
        .where(and(eq(accounts.userId, userId), eq(accounts.itemId, itemId)));
      return new Map(rows.map((r) => [r.plaidAccountId, r.id]));
    },

    /**
     * Inserts new accounts and rewrites those whose fields changed; returns only the rows it wrote (an
     * account that came back unchanged is left alone: no write, no change notice, no refresh asked).
     */
    async upsertAccounts(rows: readonly NewAccount[]): Promise<{ id: string; plaidAccountId: string }[]> {
      if (rows.length === 0) return [];
      const changed = sql.join(
        ACCOUNT_SYNCED_COLUMNS.map(
          (key) => sql`${accounts[key]} is distinct from excluded.${sql.identifier(accounts[key].name)}`,
        ),
        sql` or `,
      );
      return db
        .insert(accounts)
        .values([...rows])
        .onConflictDoUpdate({
          target: accounts.plaidAccountId,
          set: { ...excluded(accounts, [...ACCOUNT_SYNCED_COLUMNS]), updatedAt: sql`now()` },
          setWhere: sql`${accounts.userId} = excluded."user_id" and ${accounts.itemId} = excluded."item_id" and (${changed})`,
        })
        .returning({ id: accounts.id, plaidAccountId: accounts.plaidAccountId });
    },

    /**
     * One snapshot per account and day; a later sync the same day overwrites it when a figure changed.
     * Returns how many snapshots it wrote (new, or changed).
     */
    async upsertBalanceSnapshots(rows: readonly NewBalanceSnapshot[]): Promise<number> {
      if (rows.length === 0) return 0;
      const columns = [
        'currentBalance',
        'availableBalance',
        'isoCurrencyCode',
        'unofficialCurrencyCode',
      ] as const;
      const changed = sql.join(
        columns.map(
          (key) =>
            sql`${balanceSnapshots[key]} is distinct from excluded.${sql.identifier(balanceSnapshots[key].name)}`,
        ),
        sql` or `,
      );
      const written = await db
        .insert(balanceSnapshots)
        .values([...rows])
        .onConflictDoUpdate({
          target: [balanceSnapshots.accountId, balanceSnapshots.date],
          set: excluded(balanceSnapshots, [...columns]),
          setWhere: changed,
        })
        .returning({ accountId: balanceSnapshots.accountId });
      return written.length;
    },

    /**
     * Runs `work` inside ONE database transaction: the stored cursor must still be `expectedCursor` at
     * the start and, under the item row's lock, at the commit (else CursorMovedError, all rolled back); `work` applies pages as they arrive through the
     * session; when it returns `ready`, the owner's note and category of removed pending rows are carried
     * to the posted rows that replace them and `nextCursor` is stored with the data. Anything thrown rolls
     * everything back (a restart from the original cursor starts from the same state). Only one page is
     * ever held in memory.
     */
    async inTransactionsSync<T extends { ready: boolean; nextCursor: string }>(
      input: { userId: string; itemId: string; expectedCursor: string | null },
      work: (session: TransactionsSyncSession) => Promise<T>,
    ): Promise<T> {
      return db.transaction(async (tx) => {
        // Compare-and-set on the cursor: checked now (fail fast) and again under the row lock at the end
        // (the lock is held only for the commit, so the item row stays writable — lock renewals, status
        // changes — while the pages are fetched).
        await checkCursor(tx as unknown as Database, input, false);

        const session = await transactionsSession(tx as unknown as Database, input);
        const result = await work(session);
        if (!result.ready) return result;
        await checkCursor(tx as unknown as Database, input, true);

        await restoreKeptEdits(tx as unknown as Database, input.userId);
        await tx
          .update(plaidItems)
          .set({ transactionsCursor: result.nextCursor })
          .where(and(eq(plaidItems.userId, input.userId), eq(plaidItems.id, input.itemId)));
        return result;
      });
    },

    /**
     * Embedded mode (one connection, src/db/client.ts): applies ONE page of an update whose pages were
     * all fetched and kept in plaid_payloads (`requestId` of this sync run) before any was applied, in a
     * transaction of its own, so that other people's queries run between pages. The stored cursor must
     * still be `expectedCursor` (the update's original cursor, else CursorMovedError and this page rolled
     * back); with `cursorAfter` (the last page) the kept owner fields are restored and the cursor is stored
     * with this page's data, under the item row's lock. `toPage` maps the stored Plaid page.
     */
    async applyStoredTransactionsPage(
      input: {
        userId: string;
        itemId: string;
        expectedCursor: string | null;
        syncRunId: string;
        requestId: string;
        /** The page as fetched, when it must not be read back (plaid_payloads holds U+FFFD for NUL). */
        fetched?: unknown;
        cursorAfter?: string;
        /** The first of several pages: the part-applied update, stored with it (the last page clears it). */
        pending?: TransactionsPendingUpdate;
      },
      toPage: (payload: unknown) => { upserts: NewTransaction[]; removedPlaidIds: string[] },
    ): Promise<void> {
      await db.transaction(async (tx) => {
        const last = input.cursorAfter !== undefined;
        await checkCursor(tx as unknown as Database, input, last);
        const [stored] =
          input.fetched !== undefined
            ? [{ payload: input.fetched }]
            : await tx
                .select({ payload: plaidPayloads.payload })
                .from(plaidPayloads)
                .where(
                  and(
                    eq(plaidPayloads.requestId, input.requestId),
                    eq(plaidPayloads.endpoint, '/transactions/sync'),
                    eq(plaidPayloads.userId, input.userId),
                    eq(plaidPayloads.itemId, input.itemId),
                    eq(plaidPayloads.syncRunId, input.syncRunId),
                  ),
                );
        if (!stored) throw new PendingPageMissingError();
        const session = await transactionsSession(tx as unknown as Database, input);
        await session.applyPage(toPage(stored.payload));
        // Each page: a removed pending row's owner fields reach the posted row of an earlier page now.
        await restoreKeptEdits(tx as unknown as Database, input.userId);
        if (!last && input.pending === undefined) return;
        await tx
          .update(plaidItems)
          .set(
            last
              ? { transactionsCursor: input.cursorAfter, transactionsPending: null }
              : { transactionsPending: input.pending },
          )
          .where(and(eq(plaidItems.userId, input.userId), eq(plaidItems.id, input.itemId)));
      });
    },

    /**
     * A part-applied update that can no longer be finished (a page was pruned from plaid_payloads, or the
     * cursor moved): forget it and the cursor, so the next sync starts from nothing and Plaid sends every
     * transaction again (only when `expectedCursor` is still the item's cursor).
     */
    async abandonPendingTransactionsUpdate(input: {
      userId: string;
      itemId: string;
      expectedCursor: string | null;
    }): Promise<void> {
      await db
        .update(plaidItems)
        .set({ transactionsCursor: null, transactionsPending: null })
        .where(
          and(
            eq(plaidItems.userId, input.userId),
            eq(plaidItems.id, input.itemId),
            input.expectedCursor === null
              ? sql`${plaidItems.transactionsCursor} is null`
              : eq(plaidItems.transactionsCursor, input.expectedCursor),
          ),
        );
    },

    /** Securities are shared public data (no owner). Returns plaid security_id → securities.id. */
    async upsertSecurities(rows: readonly NewSecurity[]): Promise<Map<string, string>> {
      const unique = new Map(rows.map((r) => [r.plaidSecurityId, r]));
      const ids = new Map<string, string>();
      for (const chunk of batches([...unique.values()])) {
        const returned = await db
          .insert(securities)
          .values(chunk)
          .onConflictDoUpdate({
            target: securities.plaidSecurityId,
            set: {
              ...excluded(securities, [
                'tickerSymbol',
                'name',
                'type',
                'isin',
                'cusip',
                'isCashEquivalent',
                'closePrice',
                'closePriceAsOf',
                'isoCurrencyCode',
                'unofficialCurrencyCode',
                'raw',
              ]),
              updatedAt: sql`now()`,
            },
          })
          .returning({ id: securities.id, plaidSecurityId: securities.plaidSecurityId });
        for (const r of returned) ids.set(r.plaidSecurityId, r.id);
      }
      return ids;
    },

    /**
     * Replaces the positions of the given accounts (ours, of the caller) atomically, and writes the day's
     * holding snapshot for them (replacing any earlier snapshot of that day).
     */
    async replaceHoldings(input: {
      userId: string;
      accountIds: readonly string[];
      rows: readonly NewHolding[];
      date: string;
    }): Promise<void> {
      if (input.accountIds.length === 0) return;
      const accountIds = [...input.accountIds];
      await db.transaction(async (tx) => {
        await tx
          .delete(holdings)
          .where(and(eq(holdings.userId, input.userId), inArray(holdings.accountId, accountIds)));
        await tx
          .delete(holdingSnapshots)
          .where(
            and(
              eq(holdingSnapshots.userId, input.userId),
              inArray(holdingSnapshots.accountId, accountIds),
              eq(holdingSnapshots.date, input.date),
            ),
          );
        for (const chunk of batches(input.rows)) {
          await tx.insert(holdings).values(chunk);
          await tx.insert(holdingSnapshots).values(
            chunk.map((row) => {
              const { raw: _raw, updatedAt: _updatedAt, ...rest } = row;
              return { ...rest, date: input.date };
            }),
          );
        }
      });
    },

    async upsertInvestmentTransactions(rows: readonly NewInvestmentTransaction[]): Promise<void> {
      for (const chunk of batches(rows)) {
        await db
          .insert(investmentTransactions)
          .values(chunk)
          .onConflictDoUpdate({
            target: investmentTransactions.plaidInvestmentTransactionId,
            set: {
              ...excluded(investmentTransactions, [
                'accountId',
                'securityId',
                'date',
                'name',
                'quantity',
                'price',
                'amount',
                'fees',
                'type',
                'subtype',
                'isoCurrencyCode',
                'unofficialCurrencyCode',
                'raw',
              ]),
              updatedAt: sql`now()`,
            },
            setWhere: sql`${investmentTransactions.userId} = excluded."user_id"`,
          });
      }
    },

    async upsertLiabilities(rows: readonly NewLiability[]): Promise<void> {
      if (rows.length === 0) return;
      await db
        .insert(liabilities)
        .values([...rows])
        .onConflictDoUpdate({
          target: liabilities.accountId,
          set: {
            ...excluded(liabilities, [
              'kind',
              'lastStatementBalance',
              'minimumPaymentAmount',
              'nextPaymentDueDate',
              'lastPaymentAmount',
              'lastPaymentDate',
              'interestRatePercentage',
              'originationPrincipalAmount',
              'maturityDate',
              'details',
            ]),
            updatedAt: sql`now()`,
          },
          setWhere: sql`${liabilities.userId} = excluded."user_id"`,
        });
    },
  };
}

export type SyncDataRepository = ReturnType<typeof createSyncDataRepository>;
