/**
 * The Plaid sync pipeline for one item: import (Plaid calls, raw payloads kept) → process (pure mappers,
 * our sign convention) → materialize (upserts, cursor committed with the data, analytics refreshed).
 *
 * One `syncItem` call records one `sync_runs` row per product. Products fail independently; an error that
 * says the item itself is unusable (login required, revoked, broken token) marks the item and stops the
 * run, and later calls refuse to reach Plaid for that item until it is repaired.
 */

import type { Transaction } from 'plaid';
import { isEmbeddedDatabase, type Database } from '../../db/client.js';
import { createRepositories, type Repositories } from '../../db/repositories/index.js';
import type { ItemProductStateRow, PlaidItemRow } from '../../db/repositories/items.js';
import { PendingPageMissingError, type TransactionsSyncSession } from '../../db/repositories/sync-data.js';
import type { SyncProduct, SyncTrigger } from '../../db/repositories/sync-runs.js';
import type { ItemStatus } from '../../db/schema/index.js';
import { errors } from '../../errors/catalog.js';
import { addDays, formatDate } from '../../lib/dates.js';
import type { Logger } from '../../lib/logger.js';
import type { PlaidClient, PlaidResponse } from '../../plaid/client.js';
import { isPlaidApiError } from '../../plaid/errors.js';
import {
  mapAccount,
  mapHolding,
  mapInvestmentTransaction,
  mapLiabilities,
  mapSecurity,
  mapTransaction,
} from '../../plaid/mappers.js';
import type { MetricsRecorder } from '../../metrics/metrics.js';
import type { AnalyticsMaterializers, RefreshOutcome } from '../analytics/materializers.js';
import { decryptItemAccessToken, type AccessTokenCipher } from '../items/access-token-cipher.js';
import { linkedSyncProducts, plaidProductsOf, syncPlan } from './products.js';
import {
  describeSyncError,
  internalSyncError,
  ITEM_STOPPING_ACTIONS,
  productStateOf,
  type SyncRunError,
} from './run-errors.js';
import {
  paginateTransactionsSync,
  SYNC_PAGE_SIZE,
  type PaginatedUpdate,
  type SyncPage,
} from './transactions-update.js';

/** First investment-transactions pull: Plaid's maximum history; later pulls: a sliding window. */
export const INVESTMENT_HISTORY_DAYS = 730;
export const INVESTMENT_WINDOW_DAYS = 30;
const INVESTMENT_PAGE_SIZE = 500;
/**
 * /transactions/sync page size on the embedded database: each page is one database transaction there,
 * during which nobody else's query runs; a fifth of Plaid's maximum keeps that wait short.
 */
export const EMBEDDED_SYNC_PAGE_SIZE = 100;
const MAX_INVESTMENT_PAGES = 1_000;

/**
 * A sync of another item of the person queued or running for longer than this (the job timeout) is taken
 * for lost: the refresh after a sync no longer waits for it.
 */
const UNFINISHED_SYNC_HORIZON_MS = 15 * 60_000;

/** Item statuses for which the pipeline makes no Plaid call until the item is repaired. */
export const BLOCKED_ITEM_STATUSES: ReadonlySet<ItemStatus> = new Set(['login_required', 'revoked', 'error']);

export interface SyncServiceDeps {
  db: Database;
  /** The composition root's repositories (src/domain/services.ts); by default, over `db`. */
  repositories?: Pick<Repositories, 'items' | 'syncRuns' | 'syncData'>;
  plaid: PlaidClient;
  cipher: AccessTokenCipher;
  materializers: Pick<AnalyticsMaterializers, 'refreshUserAnalytics'>;
  now?: () => Date;
  logger?: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Each product's run counted and timed (src/metrics); default: nowhere. */
  metrics?: Pick<MetricsRecorder, 'syncRun'>;
  /**
   * Fetch a transactions update whole, then apply it one page per database transaction (see
   * fetchThenApplyPageByPage); default: on the embedded database only.
   */
  transactionsPageByPage?: boolean;
}

export interface ProductRunResult {
  product: SyncProduct;
  runId: string;
  status: 'succeeded' | 'failed' | 'skipped';
  added: number;
  modified: number;
  removed: number;
  /** The run wrote data the read model is computed from (see Counts). */
  readModelChanged: boolean;
  error?: SyncRunError;
}

export interface SyncItemResult {
  itemId: string;
  /** `blocked`: the item needs the user (or is gone); Plaid was not called. */
  status: 'succeeded' | 'partial' | 'failed' | 'blocked';
  itemStatus: ItemStatus;
  /** True when at least one product failed with a transient error (the job queue should retry). */
  retryable: boolean;
  retryAfterMs: number | null;
  products: ProductRunResult[];
  /** True when the read model reflects this sync: refreshed now, covered, or left to a sync still running. */
  analyticsRefreshed: boolean;
  analytics: RefreshOutcome['status'] | 'failed' | 'not_needed';
}

export interface SyncItemOptions {
  trigger: SyncTrigger;
  /** Ledger rows queued with the job (one per product); runs without one get a new row. */
  runIds?: string[];
}

interface Counts {
  added: number;
  modified: number;
  removed: number;
  cursorAfter?: string | null;
  /**
   * Whether the run wrote data the read model is computed from (transactions, accounts and their
   * balance snapshots: src/domain/analytics/materializers.ts). A sync that changed none of it asks for
   * no refresh: an unchanged re-sync (a webhook, the scheduler) costs no recomputation.
   */
  readModelChanged: boolean;
}

interface RunContext {
  userId: string;
  item: PlaidItemRow;
  accessToken: string;
  today: string;
  runId: string;
  requestIds: string[];
  /** Raw payload inserts still in flight; the run waits for them before it finishes. */
  payloadWrites: Promise<void>[];
  /** Where raw payloads go while a transactions update holds its database transaction. */
  payloadSink?: Pick<TransactionsSyncSession, 'savePayload'>;
  /** What the accounts step learnt about the item, for choosing the products that follow. */
  observed: ItemObservations;
}

interface ItemObservations {
  /** The item's Plaid products as `/accounts/get` listed them. */
  plaidProducts?: string[];
  /** Accounts that were not there before (update mode, new accounts shared): worth asking again. */
  newAccounts?: boolean;
}

export function createSyncService(deps: SyncServiceDeps) {
  const { items, syncRuns: runs, syncData: data } = deps.repositories ?? createRepositories(deps.db);
  const now = deps.now ?? (() => new Date());
  const { plaid } = deps;
  // One connection (embedded PGlite): no database transaction may span the whole update.
  const pageByPage = deps.transactionsPageByPage ?? isEmbeddedDatabase(deps.db);
  const secondsSince = (start: Date) => (now().getTime() - start.getTime()) / 1000;

  /** Calls Plaid, keeps the request id and the raw payload (import step). */
  async function call<T>(
    ctx: RunContext,
    endpoint: string,
    send: () => Promise<PlaidResponse<T>>,
  ): Promise<PlaidResponse<T>> {
    let response: PlaidResponse<T>;
    try {
      response = await send();
    } catch (error) {
      if (isPlaidApiError(error) && error.requestId) ctx.requestIds.push(error.requestId);
      throw error;
    }
    ctx.requestIds.push(response.request_id);
    // Kept off the critical path: the next page is fetched while this one is stored. One write at a
    // time, so that unwritten pages never pile up in memory when the database is the slower side.
    await ctx.payloadWrites.at(-1);
    const write = (ctx.payloadSink ?? runs).savePayload({
      userId: ctx.userId,
      itemId: ctx.item.id,
      syncRunId: ctx.runId,
      endpoint,
      requestId: response.request_id,
      payload: response,
    });
    write.catch(() => undefined); // awaited by the run; never an unhandled rejection meanwhile
    ctx.payloadWrites.push(write);
    return response;
  }

  async function syncAccounts(ctx: RunContext): Promise<Counts> {
    const response = await call(ctx, '/accounts/get', () =>
      plaid.accountsGet({ access_token: ctx.accessToken }),
    );
    const before = await data.accountIdMap(ctx.userId, ctx.item.id);
    const rows = response.accounts.map((a) => mapAccount(a, { userId: ctx.userId, itemId: ctx.item.id }));
    // Only new or changed accounts come back; the others keep the ids they had.
    const saved = await data.upsertAccounts(rows);
    const ids = new Map([...before, ...saved.map((s) => [s.plaidAccountId, s.id] as const)]);
    const snapshotsWritten = await data.upsertBalanceSnapshots(
      rows.flatMap((row) => {
        const accountId = ids.get(row.plaidAccountId);
        if (!accountId) return [];
        return [
          {
            accountId,
            userId: ctx.userId,
            date: ctx.today,
            currentBalance: row.currentBalance ?? null,
            availableBalance: row.availableBalance ?? null,
            isoCurrencyCode: row.isoCurrencyCode ?? null,
            unofficialCurrencyCode: row.unofficialCurrencyCode ?? null,
          },
        ];
      }),
    );
    const added = saved.filter((s) => !before.has(s.plaidAccountId)).length;
    ctx.observed.plaidProducts = plaidProductsOf(response.item);
    ctx.observed.newAccounts = before.size > 0 && added > 0;
    return {
      added,
      modified: saved.length - added,
      removed: 0,
      readModelChanged: saved.length > 0 || snapshotsWritten > 0,
    };
  }

  async function syncTransactions(ctx: RunContext): Promise<Counts> {
    let original = ctx.item.transactionsCursor ?? null;
    const accountIds = await data.accountIdMap(ctx.userId, ctx.item.id);
    const map = (t: Transaction) =>
      mapTransaction(t, { userId: ctx.userId, itemId: ctx.item.id, accountIds });
    // An update left part-applied (embedded mode, the process stopped between two pages) is finished
    // first, from its stored pages: the cursor then describes every row again, and the sync goes on
    // from there.
    const finished = await finishPendingUpdate(ctx, map);
    if (finished) original = finished.cursorAfter;
    const update = await (pageByPage
      ? fetchThenApplyPageByPage(ctx, original, map)
      : applyInOneTransaction(ctx, original, map));
    if (update.restarts > 0) {
      deps.logger?.warn(
        { userId: ctx.userId, itemId: ctx.item.id, syncRunId: ctx.runId, restarts: update.restarts },
        'transactions sync restarted from the original cursor after a mutation during pagination',
      );
    }
    const before = finished ?? { added: 0, modified: 0, removed: 0 };
    const changed = before.added + before.modified + before.removed > 0;
    if (!update.ready) return { ...before, cursorAfter: original, readModelChanged: changed };
    return {
      added: before.added + update.added,
      modified: before.modified + update.modified,
      removed: before.removed + update.removed,
      cursorAfter: update.nextCursor,
      readModelChanged: changed || update.added + update.modified + update.removed > 0,
    };
  }

  /** A stored /transactions/sync page as rows to upsert and ids to remove. */
  function pageRows(payload: unknown, map: (t: Transaction) => ReturnType<typeof mapTransaction>) {
    const page = payload as SyncPage;
    return {
      upserts: [...page.added, ...page.modified].map(map),
      removedPlaidIds: page.removed.map((r) => r.transaction_id),
    };
  }

  /**
   * Applies again the pages of an update left part-applied (plaid_items.transactions_pending), each in
   * its own transaction as fetchThenApplyPageByPage does, the cursor stored with the last. Returns its
   * counts and cursor, or null when there was none. A page no longer in plaid_payloads (pruned) or a
   * cursor that moved: the update cannot be finished, so the cursor is forgotten and the next update
   * starts from nothing (Plaid sends every transaction again).
   */
  async function finishPendingUpdate(
    ctx: RunContext,
    map: (t: Transaction) => ReturnType<typeof mapTransaction>,
  ): Promise<{ added: number; modified: number; removed: number; cursorAfter: string | null } | null> {
    const pending = ctx.item.transactionsPending;
    if (!pending) return null;
    const cursor = ctx.item.transactionsCursor ?? null;
    const counts = { added: 0, modified: 0, removed: 0 };
    try {
      if (pending.cursorBefore !== cursor) throw new PendingPageMissingError();
      // Every page again, from the first and in order: how far the stopped run got is not recorded
      // (a page applied twice leaves the same rows), so the marker is written once, not with each page.
      for (const [index, requestId] of pending.requestIds.entries()) {
        if (index > 0) await new Promise((resolve) => setImmediate(resolve));
        const last = index === pending.requestIds.length - 1;
        await data.applyStoredTransactionsPage(
          {
            userId: ctx.userId,
            itemId: ctx.item.id,
            expectedCursor: pending.cursorBefore,
            syncRunId: pending.syncRunId,
            requestId,
            ...(last ? { cursorAfter: pending.cursorAfter } : {}),
          },
          (payload) => {
            const page = payload as SyncPage;
            counts.added += page.added.length;
            counts.modified += page.modified.length;
            counts.removed += page.removed.length;
            return pageRows(payload, map);
          },
        );
      }
    } catch (error) {
      if (!(error instanceof PendingPageMissingError)) throw error;
      deps.logger?.warn(
        { userId: ctx.userId, itemId: ctx.item.id, syncRunId: ctx.runId },
        'a part-applied transactions update could not be finished: the item syncs its transactions again from the start',
      );
      await data.abandonPendingTransactionsUpdate({
        userId: ctx.userId,
        itemId: ctx.item.id,
        expectedCursor: cursor,
      });
      return { ...counts, cursorAfter: null };
    }
    deps.logger?.info(
      {
        userId: ctx.userId,
        itemId: ctx.item.id,
        syncRunId: ctx.runId,
        pages: pending.requestIds.length,
      },
      'finished a part-applied transactions update',
    );
    return { ...counts, cursorAfter: pending.cursorAfter };
  }

  /**
   * Embedded mode: every page of the update is fetched first (each kept in plaid_payloads as it comes,
   * nothing applied, so a restart after a mutation during pagination starts from an unchanged state),
   * then applied one page per database transaction, the cursor stored with the last page: the one
   * connection is free for other queries between pages. A page is never seen half-applied; the update
   * may be seen part-applied until its last page commits.
   */
  async function fetchThenApplyPageByPage(
    ctx: RunContext,
    original: string | null,
    map: (t: Transaction) => ReturnType<typeof mapTransaction>,
  ): Promise<PaginatedUpdate & { restarts: number }> {
    let requestIds: string[] = [];
    // A page with a NUL is stored with U+FFFD in its place (jsonb refuses NUL): it is applied from
    // memory, as fetched, so that the mapping cleans the bank's text exactly as on a server.
    let withNul = new Map<string, SyncPage>();
    const update = await paginateTransactionsSync(
      original,
      (cursor) =>
        call(ctx, '/transactions/sync', () =>
          plaid.transactionsSync({
            access_token: ctx.accessToken,
            count: EMBEDDED_SYNC_PAGE_SIZE,
            ...(cursor ? { cursor } : {}),
          }),
        ),
      async (run) => {
        requestIds = [];
        withNul = new Map();
        return run(async (page) => {
          requestIds.push(page.request_id);
          if (JSON.stringify(page).includes('\\u0000')) withNul.set(page.request_id, page);
        });
      },
    );
    await Promise.all(ctx.payloadWrites); // every page is stored before the first is applied
    if (!update.ready) return update;
    for (const [index, requestId] of requestIds.entries()) {
      // PGlite answers in-process, so page after page would be a chain of promises that never lets the
      // event loop read a waiting request: yield to it first, so its queries queue before this page.
      if (index > 0) await new Promise((resolve) => setImmediate(resolve));
      await data.applyStoredTransactionsPage(
        {
          userId: ctx.userId,
          itemId: ctx.item.id,
          expectedCursor: original,
          syncRunId: ctx.runId,
          requestId,
          ...(withNul.has(requestId) ? { fetched: withNul.get(requestId) } : {}),
          ...(index === requestIds.length - 1
            ? { cursorAfter: update.nextCursor }
            : index === 0
              ? {
                  // Stored with the first page: a stop before the last page leaves the next sync the means
                  // to finish this update (finishPendingUpdate) instead of a cursor behind the rows.
                  pending: {
                    cursorBefore: original,
                    cursorAfter: update.nextCursor,
                    syncRunId: ctx.runId,
                    requestIds,
                  },
                }
              : {}),
        },
        (payload) => pageRows(payload, map),
      );
    }
    return update;
  }

  /** On a server: the whole update in ONE database transaction, pages applied as they arrive. */
  function applyInOneTransaction(
    ctx: RunContext,
    original: string | null,
    map: (t: Transaction) => ReturnType<typeof mapTransaction>,
  ): Promise<PaginatedUpdate & { restarts: number }> {
    return paginateTransactionsSync(
      original,
      (cursor) =>
        call(ctx, '/transactions/sync', () =>
          plaid.transactionsSync({
            access_token: ctx.accessToken,
            count: SYNC_PAGE_SIZE,
            ...(cursor ? { cursor } : {}),
          }),
        ),
      // Each attempt is one database transaction: pages are applied as they arrive (only one page is
      // held), raw pages are kept in it too, and the cursor is stored with the data at the end.
      (run) =>
        data.inTransactionsSync(
          { userId: ctx.userId, itemId: ctx.item.id, expectedCursor: original },
          async (session) => {
            await Promise.allSettled(ctx.payloadWrites);
            ctx.payloadWrites = [];
            ctx.payloadSink = session;
            try {
              const result = await run((page) =>
                session.applyPage({
                  upserts: [...page.added, ...page.modified].map(map),
                  removedPlaidIds: page.removed.map((r) => r.transaction_id),
                }),
              );
              await Promise.all(ctx.payloadWrites); // inside the transaction, before it commits
              return result;
            } finally {
              ctx.payloadSink = undefined;
            }
          },
        ),
    );
  }

  async function syncHoldings(ctx: RunContext): Promise<Counts> {
    const response = await call(ctx, '/investments/holdings/get', () =>
      plaid.investmentsHoldingsGet({ access_token: ctx.accessToken }),
    );
    const securityIds = await data.upsertSecurities(response.securities.map(mapSecurity));
    const accountIds = await data.accountIdMap(ctx.userId, ctx.item.id);
    const rows = response.holdings.map((h) => mapHolding(h, { userId: ctx.userId, accountIds, securityIds }));
    const ours = response.accounts.flatMap((a) => {
      const id = accountIds.get(a.account_id);
      return id ? [id] : [];
    });
    await data.replaceHoldings({ userId: ctx.userId, accountIds: ours, rows, date: ctx.today });
    return { added: rows.length, modified: 0, removed: 0, readModelChanged: false };
  }

  async function syncInvestmentTransactions(ctx: RunContext): Promise<Counts> {
    const first = !(await runs.hasSucceeded(ctx.userId, ctx.item.id, 'investment_transactions'));
    const startDate = addDays(ctx.today, -(first ? INVESTMENT_HISTORY_DAYS : INVESTMENT_WINDOW_DAYS));
    const fetched = [];
    const securities = [];
    let offset = 0;
    for (let page = 0; page < MAX_INVESTMENT_PAGES; page++) {
      const response = await call(ctx, '/investments/transactions/get', () =>
        plaid.investmentsTransactionsGet({
          access_token: ctx.accessToken,
          start_date: startDate,
          end_date: ctx.today,
          options: { count: INVESTMENT_PAGE_SIZE, offset },
        }),
      );
      fetched.push(...response.investment_transactions);
      securities.push(...response.securities);
      offset += response.investment_transactions.length;
      if (response.investment_transactions.length === 0 || offset >= response.total_investment_transactions)
        break;
    }
    const securityIds = await data.upsertSecurities(securities.map(mapSecurity));
    const accountIds = await data.accountIdMap(ctx.userId, ctx.item.id);
    const rows = fetched.map((t) =>
      mapInvestmentTransaction(t, { userId: ctx.userId, itemId: ctx.item.id, accountIds, securityIds }),
    );
    await data.upsertInvestmentTransactions(rows);
    return { added: rows.length, modified: 0, removed: 0, readModelChanged: false };
  }

  async function syncLiabilities(ctx: RunContext): Promise<Counts> {
    const response = await call(ctx, '/liabilities/get', () =>
      plaid.liabilitiesGet({ access_token: ctx.accessToken }),
    );
    const accountIds = await data.accountIdMap(ctx.userId, ctx.item.id);
    const rows = mapLiabilities(response.liabilities, { userId: ctx.userId, accountIds });
    await data.upsertLiabilities(rows);
    return { added: rows.length, modified: 0, removed: 0, readModelChanged: false };
  }

  /** The job's queued ledger rows, by product (rows of another user or already run are ignored). */
  async function queuedRunsByProduct(userId: string, runIds: string[]): Promise<Map<SyncProduct, string>> {
    if (runIds.length === 0) return new Map();
    const rows = await runs.findRuns(userId, runIds);
    return new Map(rows.filter((r) => r.status === 'queued').map((r) => [r.product, r.id]));
  }

  const steps: Record<SyncProduct, (ctx: RunContext) => Promise<Counts>> = {
    accounts: syncAccounts,
    transactions: syncTransactions,
    holdings: syncHoldings,
    investment_transactions: syncInvestmentTransactions,
    liabilities: syncLiabilities,
  };

  async function runProduct(
    base: Omit<RunContext, 'runId' | 'requestIds' | 'payloadWrites'>,
    product: SyncProduct,
    trigger: SyncTrigger,
    queuedRunIds: ReadonlyMap<SyncProduct, string>,
  ): Promise<ProductRunResult> {
    const startedAt = now();
    const cursorBefore = product === 'transactions' ? (base.item.transactionsCursor ?? null) : null;
    const queued = queuedRunIds.get(product);
    const claimed =
      queued !== undefined && (await runs.claimQueuedRun(base.userId, queued, { startedAt, cursorBefore }));
    const runId = claimed
      ? queued
      : await runs.startSyncRun({
          userId: base.userId,
          itemId: base.item.id,
          product,
          trigger,
          startedAt,
          cursorBefore,
        });
    const ctx: RunContext = { ...base, runId, requestIds: [], payloadWrites: [] };
    try {
      const counts = await steps[product](ctx);
      await Promise.all(ctx.payloadWrites);
      await runs.finishSyncRun(base.userId, runId, {
        status: 'succeeded',
        finishedAt: now(),
        addedCount: counts.added,
        modifiedCount: counts.modified,
        removedCount: counts.removed,
        ...(counts.cursorAfter !== undefined ? { cursorAfter: counts.cursorAfter } : {}),
        plaidRequestIds: ctx.requestIds,
      });
      deps.metrics?.syncRun(product, 'succeeded', secondsSince(startedAt), counts);
      return { product, runId, status: 'succeeded', ...counts };
    } catch (error) {
      await Promise.allSettled(ctx.payloadWrites);
      const described = describeSyncError(error);
      const status =
        described.kind === 'plaid' && described.action === 'product_unavailable' ? 'skipped' : 'failed';
      await runs.finishSyncRun(base.userId, runId, {
        status,
        finishedAt: now(),
        plaidRequestIds: ctx.requestIds,
        error: described,
      });
      deps.metrics?.syncRun(product, status, secondsSince(startedAt));
      const log = status === 'skipped' ? deps.logger?.info : deps.logger?.warn;
      log?.call(
        deps.logger,
        { userId: base.userId, itemId: base.item.id, syncRunId: runId, product, error: described },
        status === 'skipped' ? 'product unavailable for this item' : 'product sync failed',
      );
      return {
        product,
        runId,
        status,
        added: 0,
        modified: 0,
        removed: 0,
        readModelChanged: false,
        error: described,
      };
    }
  }

  /**
   * After a sync of `itemId`: asks for a refresh of the person's read model when the sync changed data
   * (the refresh waits for the person's other unfinished syncs, the last of which does it); otherwise
   * carries out a refresh that an earlier sync left to this one. Never throws: a failed refresh is
   * logged (its SQLSTATE, never the statement) and healed by the next one.
   */
  async function refreshAfterSync(
    userId: string,
    itemId: string,
    changed: boolean,
  ): Promise<SyncItemResult['analytics']> {
    try {
      const since = new Date(now().getTime() - UNFINISHED_SYNC_HORIZON_MS);
      const outcome = await deps.materializers.refreshUserAnalytics(userId, {
        afterSync: { itemId, since },
        openRequestsOnly: !changed,
      });
      return !changed && outcome.status === 'covered' ? 'not_needed' : outcome.status;
    } catch (error) {
      deps.logger?.error({ userId, itemId, err: error }, 'analytics refresh after sync failed');
      return 'failed';
    }
  }

  /**
   * Keeps the item's Plaid products as `/accounts/get` listed them, and forgets `unsupported` verdicts
   * that may no longer hold: all of them when the item gained accounts, a product's own when Plaid lists
   * it anew. Returns the item's Plaid products.
   */
  async function reconcilePlaidProducts(
    userId: string,
    item: PlaidItemRow,
    observed: ItemObservations,
    states: Map<SyncProduct, ItemProductStateRow>,
  ): Promise<string[]> {
    const latest = observed.plaidProducts;
    const stored = [...item.products].sort();
    let forget: SyncProduct[] = [];
    if (latest && latest.join() !== stored.join()) {
      await items.setPlaidProducts(userId, item.id, latest);
      const before = new Set(linkedSyncProducts(stored));
      forget = linkedSyncProducts(latest).filter((p) => !before.has(p));
    }
    if (observed.newAccounts) forget = [...states.keys()];
    forget = forget.filter((p) => states.get(p)?.status === 'unsupported');
    if (forget.length > 0) {
      await items.clearUnsupportedProducts(userId, item.id, forget);
      for (const p of forget) states.delete(p);
    }
    return latest ?? stored;
  }

  /** Closes the queued rows of products this sync does not run, saying why. */
  async function skipProductsNotRun(
    userId: string,
    queuedRunIds: ReadonlyMap<SyncProduct, string>,
    plan: readonly SyncProduct[],
    plaidProducts: readonly string[],
    states: ReadonlyMap<SyncProduct, ItemProductStateRow>,
  ): Promise<void> {
    const linked = new Set(linkedSyncProducts(plaidProducts));
    for (const [product, runId] of queuedRunIds) {
      if (plan.includes(product)) continue;
      const state = states.get(product);
      const why = linked.has(product)
        ? `Plaid said on ${state?.since.toISOString() ?? 'an earlier sync'} that ${product} is unsupported for this item`
        : `the item has no Plaid product that provides ${product}`;
      await runs.skipQueuedRuns(
        userId,
        [runId],
        now(),
        internalSyncError('ProductNotSynced', why, {
          action: 'product_off',
          retryable: false,
          retryAfterMs: null,
        }),
      );
    }
  }

  /** Writes the product's state when the run said something about it (unchanged states are not rewritten). */
  async function recordProductState(
    userId: string,
    itemId: string,
    states: Map<SyncProduct, ItemProductStateRow>,
    result: ProductRunResult,
  ): Promise<void> {
    const current = states.get(result.product);
    const status =
      result.status === 'succeeded' ? 'active' : result.error ? productStateOf(result.error) : null;
    // No verdict, or still active: nothing to write (a product without a row is active).
    if (!status || (status === 'active' && (current?.status ?? 'active') === 'active')) return;
    const at = now();
    const reason = status === 'active' ? null : (result.error ?? null);
    await items.saveProductState(userId, itemId, { product: result.product, status, at, reason });
    states.set(result.product, {
      product: result.product,
      status,
      since: current?.status === status ? current.since : at,
      checkedAt: at,
      reason,
    });
  }

  /**
   * Syncs every product of one item of `userId`. Throws `notFound` for an item that is not the caller's.
   * Never throws for Plaid errors: they end up in the product runs, the item's status and the result.
   */
  async function syncItem(userId: string, itemId: string, options: SyncItemOptions): Promise<SyncItemResult> {
    const item = await items.findItem(userId, itemId);
    if (!item) throw errors.notFound('item', itemId);
    const queuedRunIds = await queuedRunsByProduct(userId, options.runIds ?? []);
    if (BLOCKED_ITEM_STATUSES.has(item.status)) {
      await runs.skipQueuedRuns(
        userId,
        [...queuedRunIds.values()],
        now(),
        internalSyncError(
          'ItemNeedsOwner',
          `the item is ${item.status}; it is not synced until its owner repairs it`,
          { action: 'item_blocked', retryable: false, retryAfterMs: null },
        ),
      );
      const analytics = await refreshAfterSync(userId, itemId, false);
      return {
        itemId,
        status: 'blocked',
        itemStatus: item.status,
        retryable: false,
        retryAfterMs: null,
        products: [],
        analyticsRefreshed: false,
        analytics,
      };
    }

    const accessToken = decryptItemAccessToken(deps.cipher, item);
    const observed: ItemObservations = {};
    const base = { userId, item, accessToken, today: formatDate(now()), observed };
    const states = new Map((await items.listProductStates(userId, itemId)).map((s) => [s.product, s]));
    const results: ProductRunResult[] = [];
    let itemStatus: ItemStatus = item.status;
    /** Runs one product and records what it says about the product and the item; true: stop here. */
    async function run(product: SyncProduct): Promise<boolean> {
      const result = await runProduct(base, product, options.trigger, queuedRunIds);
      results.push(result);
      await recordProductState(userId, itemId, states, result);
      const error = result.error;
      if (error?.kind === 'plaid' && error.itemStatus) {
        itemStatus = error.itemStatus;
        await items.setStatus(userId, itemId, error.itemStatus, error);
      }
      return (
        error?.kind === 'plaid' && (ITEM_STOPPING_ACTIONS.has(error.action) || error.itemStatus !== null)
      );
    }

    // Accounts always, first: its answer lists the item's Plaid products, which decide the rest.
    let stopped = await run('accounts');
    if (!stopped) {
      const plaidProducts = await reconcilePlaidProducts(userId, item, observed, states);
      const plan = syncPlan(plaidProducts, [...states.values()]);
      await skipProductsNotRun(userId, queuedRunIds, plan, plaidProducts, states);
      for (const product of plan) {
        if (product === 'accounts') continue;
        stopped = await run(product);
        if (stopped) break;
      }
    }
    if (stopped) {
      // Queued rows of products the run did not reach (the item needs its owner): closed, not left queued.
      const reached = new Set(results.map((r) => r.product));
      await runs.skipQueuedRuns(
        userId,
        [...queuedRunIds].filter(([product]) => !reached.has(product)).map(([, id]) => id),
        now(),
        internalSyncError('ItemNeedsOwner', `the sync stopped: the item is ${itemStatus}`, {
          action: 'item_blocked',
          retryable: false,
          retryAfterMs: null,
        }),
      );
    }

    const ok = results.every((r) => r.status !== 'failed');
    if (ok) await items.markSynced(userId, itemId, now());
    const analytics = await refreshAfterSync(
      userId,
      itemId,
      results.some((r) => r.readModelChanged),
    );
    const retryAfter = results.flatMap((r) => (r.error?.retryable ? [r.error.retryAfterMs ?? 1000] : []));
    return {
      itemId,
      status: ok ? 'succeeded' : results.some((r) => r.status === 'succeeded') ? 'partial' : 'failed',
      itemStatus,
      retryable: retryAfter.length > 0,
      retryAfterMs: retryAfter.length > 0 ? Math.max(...retryAfter) : null,
      products: results,
      analyticsRefreshed: analytics === 'refreshed' || analytics === 'covered' || analytics === 'deferred',
      analytics,
    };
  }

  return { syncItem };
}

export type SyncService = ReturnType<typeof createSyncService>;
