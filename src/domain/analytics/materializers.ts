import type { Database } from '../../db/client.js';
import type { AnalyticsRepository } from '../../db/repositories/analytics.js';
import { createRepositories, type Repositories } from '../../db/repositories/index.js';
import { formatDate } from '../../lib/dates.js';
import { calculateNetWorthHistory, netWorthPointJson } from './net-worth.js';
import { matchTransfers } from './transfers.js';

/** What asking for a refresh of a person's read model did. */
export type RefreshOutcome =
  /** Recomputed (transfers, cash-flow sums, net worth), covering every request made before it started. */
  | { status: 'refreshed'; transfers: number; cashflowRows: number; netWorthDays: number }
  /** A refresh that started after this request already covered it: nothing to do. */
  | { status: 'covered' }
  /** Other syncs of the person are still to finish; the last of them refreshes (see `afterSync`). */
  | { status: 'deferred'; unfinishedSyncs: number };

export interface RefreshOptions {
  /**
   * Set by a finished sync of `itemId`: when syncs of the person's other items are still queued or
   * running (queued since `since`), leave the refresh to the last of them, so that a burst (the first
   * sync of ten items) refreshes once or twice instead of ten times.
   */
  afterSync?: { itemId: string; since: Date };
  /**
   * Ask for nothing new: only carry out requests still open (a sync that changed nothing, or was
   * blocked, after another sync left the refresh to it).
   */
  openRequestsOnly?: boolean;
}

/**
 * Materializers: run the pure calculators over one user's rows and write the results, so that reads
 * never rescan history. Every change to a person's data asks for a refresh (`refreshUserAnalytics`).
 *
 * One refresh of a person runs at a time, in any process: the request is numbered first
 * (read_model_state.requested_seq), then one database transaction locks the person's state row, skips
 * the work when a refresh that started later already covered the request, and otherwise recomputes the
 * transfers, the cash-flow sums and net worth and records the request number it covered, all in that one
 * transaction. The tables' unique keys make a duplicate impossible even if this were bypassed.
 */
export function createAnalyticsMaterializers(deps: {
  db: Database;
  /** The composition root's repositories (src/domain/services.ts); by default, over `db`. */
  repositories?: Pick<Repositories, 'readModel'>;
  now?: () => Date;
}) {
  const now = deps.now ?? (() => new Date());
  const { readModel } = deps.repositories ?? createRepositories(deps.db);

  async function materializeTransfers(analytics: AnalyticsRepository, userId: string): Promise<number> {
    const candidates = await analytics.transferCandidates(userId);
    const matches = matchTransfers(candidates);
    await analytics.replaceTransfers(userId, matches);
    return matches.length;
  }

  async function materializeNetWorth(analytics: AnalyticsRepository, userId: string): Promise<number> {
    const inputs = await analytics.netWorthInputs(userId);
    const to = formatDate(now());
    // An account without snapshots counts from its current balance, as of its last update.
    const snapshotted = new Set(inputs.snapshots.map((s) => s.accountId));
    const snapshots = inputs.snapshots.flatMap((s) =>
      s.balance === null ? [] : [{ ...s, balance: s.balance }],
    );
    for (const account of inputs.accounts) {
      if (!snapshotted.has(account.id) && account.currentBalance !== null) {
        snapshots.push({
          accountId: account.id,
          date: formatDate(account.balancesAsOf ?? account.updatedAt),
          balance: account.currentBalance,
        });
      }
    }
    const earliest = [inputs.firstTransactionDate, ...snapshots.map((s) => s.date)]
      .filter((d): d is string => d !== null)
      .sort()[0];
    const days = earliest
      ? calculateNetWorthHistory({
          accounts: inputs.accounts,
          snapshots,
          transactions: inputs.posted,
          from: earliest,
          to,
        })
      : [];
    await analytics.replaceNetWorth(
      userId,
      days.map((day) => ({ ...day, pointJson: netWorthPointJson(day) })),
    );
    return days.length;
  }

  /** Transfers first (cash flow depends on them), then the daily cash-flow sums, then net worth. */
  async function refreshUserAnalytics(userId: string, options: RefreshOptions = {}): Promise<RefreshOutcome> {
    const seq = options.openRequestsOnly ? undefined : await readModel.requestRefresh(userId);
    return deps.db.transaction(async (tx) => {
      const { readModel: locked, analytics, attribution } = createRepositories(tx);
      const state = await locked.lockForRefresh(userId);
      if (!state) return { status: 'covered' } as const; // the user is gone, or never asked
      if (state.refreshedSeq >= (seq ?? state.requestedSeq)) return { status: 'covered' } as const;
      if (options.afterSync) {
        const { itemId, since } = options.afterSync;
        const unfinishedSyncs = await locked.unfinishedSyncsOfOtherItems(userId, itemId, since);
        if (unfinishedSyncs > 0) return { status: 'deferred', unfinishedSyncs } as const;
      }
      const started = Date.now();
      const transfers = await materializeTransfers(analytics, userId);
      const cashflowRows = await analytics.replaceCashflowDaily(userId);
      // GET /v1/net-worth/change's read model (classed by transfer and category, like the cash-flow sums).
      await attribution.replaceAccountFlows(userId);
      await attribution.replaceFundingCandidates(userId);
      const netWorthDays = await materializeNetWorth(analytics, userId);
      // Every request numbered before the lock was taken is covered: their data had committed by then.
      await locked.recordRefresh(userId, state.requestedSeq, now(), Date.now() - started);
      return { status: 'refreshed', transfers, cashflowRows, netWorthDays } as const;
    });
  }

  /**
   * After an owner's edit or a rule application: only what the owner's fields feed — the transfers when
   * a category changed (cross-currency pairing reads it), then the cash-flow sums; net worth does not
   * depend on them (it was 5 of the 5.5 s of a refresh of 100,000 transactions over five years). Under
   * the person's state row lock, like a full refresh (one at a time); it covers no numbered request. A
   * person without a state row (never refreshed) gets a full refresh.
   */
  async function refreshCashflow(userId: string, options: { transfers: boolean }): Promise<void> {
    const done = await deps.db.transaction(async (tx) => {
      const { readModel: locked, analytics, attribution } = createRepositories(tx);
      if (!(await locked.lockForRefresh(userId))) return false;
      if (options.transfers) await materializeTransfers(analytics, userId);
      await analytics.replaceCashflowDaily(userId);
      await attribution.replaceAccountFlows(userId);
      await attribution.replaceFundingCandidates(userId);
      return true;
    });
    if (!done) await refreshUserAnalytics(userId);
  }

  return { refreshUserAnalytics, refreshCashflow };
}

export type AnalyticsMaterializers = ReturnType<typeof createAnalyticsMaterializers>;
