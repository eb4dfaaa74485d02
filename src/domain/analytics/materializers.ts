import { isEmbeddedDatabase, type Database } from '../../db/client.js';
import type { DateSpan } from '../../db/repositories/analytics.js';
import { createRepositories, type Repositories } from '../../db/repositories/index.js';
import { addDays, formatDate } from '../../lib/dates.js';
import { calculateNetWorthHistory, netWorthPointJson } from './net-worth.js';
import { matchTransfers, TRANSFER_MAX_DAYS, type TransferCandidate } from './transfers.js';

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
 * Embedded mode rewrites a person's read model span by span, each span about this many transactions:
 * every statement then holds PGlite's one connection for tens of milliseconds, not seconds.
 */
export const EMBEDDED_REFRESH_SPAN_TRANSACTIONS = 2_500;

/** The share of the transactions' pages sampled to cut a long history into spans. */
const SPAN_SAMPLE_PERCENT = 1;
/** Sampled rows below which the sample is too thin to cut by: the counts per day are read instead. */
const SPAN_SAMPLE_TRUSTED = 100;

/**
 * Cuts a history, given as transactions per day in date order, into spans of at most `size`
 * transactions each, or one day when a day holds more (a day is never cut). The first span has no start
 * and the last no end: together they cover every date, before and after the days given too.
 */
export function cutIntoSpans(days: readonly { date: string; n: number }[], size: number): DateSpan[] {
  const starts: string[] = [];
  let inSpan = 0;
  for (const day of days) {
    if (inSpan > 0 && inSpan + day.n > size) {
      starts.push(day.date);
      inSpan = 0;
    }
    inSpan += day.n;
  }
  return [undefined, ...starts].map((from, index) => ({
    ...(from !== undefined ? { from } : {}),
    ...(index < starts.length ? { until: starts[index]! } : {}),
  }));
}

/**
 * The transactions the transfer matcher can pair, span by span: the transfer-like legs, then the other
 * transactions with a transfer-like leg of the opposite amount near them (each span asks with the legs
 * dated within TRANSFER_MAX_DAYS of it).
 */
export async function transferCandidates(
  analytics: Pick<Repositories['analytics'], 'transferLikeLegs' | 'legsOppositeTo'>,
  userId: string,
  spans: readonly (DateSpan | undefined)[],
  pause: () => Promise<void> = () => Promise.resolve(),
): Promise<TransferCandidate[]> {
  const legs: TransferCandidate[] = [];
  for (const span of spans) {
    legs.push(...(await analytics.transferLikeLegs(userId, span)));
    await pause();
  }
  const others: TransferCandidate[] = [];
  for (const span of spans) {
    const from = span?.from === undefined ? undefined : addDays(span.from, -TRANSFER_MAX_DAYS);
    const until = span?.until === undefined ? undefined : addDays(span.until, TRANSFER_MAX_DAYS);
    const near = legs.filter(
      (leg) => (from === undefined || leg.date >= from) && (until === undefined || leg.date < until),
    );
    others.push(...(await analytics.legsOppositeTo(userId, near, span)));
    await pause();
  }
  return [...legs, ...others];
}

/** Lets a request that arrived meanwhile run between two statements (the connection is shared). */
const yieldToOthers = () => new Promise<void>((resolve) => setImmediate(resolve));

/** What a recomputation rewrites: everything, or (after an edit) what the owner's fields feed. */
interface Recompute {
  transfers: boolean;
  netWorth: boolean;
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
 *
 * Embedded mode (PGlite: one process, one connection) cannot hold the connection for the seconds a
 * person with 100,000 transactions takes: another person's read would wait for all of it. There a
 * refresh runs in process, one at a time per person, as many short statements over spans of the
 * person's history (EMBEDDED_REFRESH_SPAN_TRANSACTIONS), yielding between them; the person's own
 * requests wait until it is done (`settled`, awaited when a request is authenticated), so they never see
 * a half-rewritten read model. A refresh cut short by a crash leaves its request open
 * (refreshed_seq < requested_seq); `refreshOpenRequests` at start-up redoes it.
 */
export function createAnalyticsMaterializers(deps: {
  db: Database;
  /** The composition root's repositories (src/domain/services.ts); by default, over `db`. */
  repositories?: Pick<Repositories, 'readModel' | 'analytics' | 'attribution'>;
  now?: () => Date;
  /** Embedded mode's span size (EMBEDDED_REFRESH_SPAN_TRANSACTIONS; tests make it small). */
  embeddedSpanTransactions?: number;
}) {
  const now = deps.now ?? (() => new Date());
  const spanSize = deps.embeddedSpanTransactions ?? EMBEDDED_REFRESH_SPAN_TRANSACTIONS;
  const repositories = deps.repositories ?? createRepositories(deps.db);
  const { readModel } = repositories;
  const embedded = isEmbeddedDatabase(deps.db);
  /** Embedded mode: each person's refreshes, chained (the last link settles when all are done). */
  const running = new Map<string, Promise<void>>();

  /** Runs `work` after the person's refreshes already running (embedded mode). */
  function oneAtATime<T>(userId: string, work: () => Promise<T>): Promise<T> {
    const result = (running.get(userId) ?? Promise.resolve()).then(work);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    running.set(userId, tail);
    void tail.then(() => {
      if (running.get(userId) === tail) running.delete(userId);
    });
    return result;
  }

  /**
   * Rewrites the person's read model from `spans` (one undefined span: the whole history at once),
   * with `pause` between statements. Transfers first (the cash-flow sums depend on them), then per span
   * the cash-flow sums, the net-worth-change flows and funding candidates, then net worth.
   */
  async function recompute(
    repos: Pick<Repositories, 'analytics' | 'attribution'>,
    userId: string,
    spans: (DateSpan | undefined)[],
    what: Recompute,
    pause: () => Promise<void>,
  ) {
    const { analytics, attribution } = repos;
    let transfers = 0;
    if (what.transfers) {
      const matches = matchTransfers(await transferCandidates(analytics, userId, spans, pause));
      await analytics.replaceTransfers(userId, matches);
      await pause();
      transfers = matches.length;
    }
    let cashflowRows = 0;
    for (const span of spans) {
      cashflowRows += await analytics.replaceCashflowDaily(userId, span);
      await pause();
      // GET /v1/net-worth/change's read model (classed by transfer and category, like the cash-flow sums).
      await attribution.replaceAccountFlows(userId, span);
      await pause();
      await attribution.replaceFundingCandidates(userId, span);
      await pause();
    }
    let netWorthDays = 0;
    if (what.netWorth) {
      const inputs = await analytics.netWorthInputs(userId, { posted: spans.length === 1 });
      if (spans.length > 1) {
        for (const span of spans) {
          inputs.posted.push(...(await analytics.postedSums(userId, span)));
          await pause();
        }
      }
      netWorthDays = await writeNetWorth(repos, userId, inputs);
    }
    return { transfers, cashflowRows, netWorthDays };
  }

  async function writeNetWorth(
    { analytics }: Pick<Repositories, 'analytics'>,
    userId: string,
    inputs: Awaited<ReturnType<Repositories['analytics']['netWorthInputs']>>,
  ): Promise<number> {
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

  /** The refresh as one transaction under the person's state row lock (PostgreSQL). */
  function refreshLocked(userId: string, seq: number | undefined, options: RefreshOptions) {
    return deps.db.transaction(async (tx) => {
      const repos = createRepositories(tx);
      const state = await repos.readModel.lockForRefresh(userId);
      const skip = await whyNot(repos.readModel, userId, state, seq, options);
      if (skip) return skip;
      const started = Date.now();
      const done = await recompute(repos, userId, [undefined], { transfers: true, netWorth: true }, noPause);
      // Every request numbered before the lock was taken is covered: their data had committed by then.
      await repos.readModel.recordRefresh(userId, state!.requestedSeq, now(), Date.now() - started);
      return { status: 'refreshed', ...done } as const;
    });
  }

  /** The refresh span by span, in process, one at a time per person (embedded mode). */
  function refreshInSpans(userId: string, seq: number | undefined, options: RefreshOptions) {
    return oneAtATime(userId, async (): Promise<RefreshOutcome> => {
      const state = await readModel.current(userId);
      const skip = await whyNot(readModel, userId, state, seq, options);
      if (skip) return skip;
      const started = Date.now();
      const spans = await spansOf(userId);
      const done = await recompute(
        repositories,
        userId,
        spans,
        { transfers: true, netWorth: true },
        yieldToOthers,
      );
      // Every request numbered before the state was read is covered: their data had committed by then.
      await readModel.recordRefresh(userId, state!.requestedSeq, now(), Date.now() - started);
      return { status: 'refreshed', ...done };
    });
  }

  /** Why this refresh has nothing to do (covered, or deferred to a later sync), or undefined. */
  async function whyNot(
    state: Pick<Repositories['readModel'], 'unfinishedSyncsOfOtherItems'>,
    userId: string,
    current: { requestedSeq: number; refreshedSeq: number } | undefined,
    seq: number | undefined,
    options: RefreshOptions,
  ): Promise<RefreshOutcome | undefined> {
    if (!current) return { status: 'covered' }; // the user is gone, or never asked
    if (current.refreshedSeq >= (seq ?? current.requestedSeq)) return { status: 'covered' };
    if (options.afterSync) {
      const { itemId, since } = options.afterSync;
      const unfinishedSyncs = await state.unfinishedSyncsOfOtherItems(userId, itemId, since);
      if (unfinishedSyncs > 0) return { status: 'deferred', unfinishedSyncs };
    }
    return undefined;
  }

  /**
   * The person's history cut into spans of about `spanSize` transactions: from a 1% sample of the
   * transactions' pages, or, when that finds few, from the counts per day (a small history: cheap).
   */
  async function spansOf(userId: string): Promise<DateSpan[]> {
    const sampled = await repositories.analytics.transactionsPerDay(userId, SPAN_SAMPLE_PERCENT);
    const estimate = sampled.reduce((sum, day) => sum + day.n, 0);
    if (estimate >= SPAN_SAMPLE_TRUSTED * (100 / SPAN_SAMPLE_PERCENT)) return cutIntoSpans(sampled, spanSize);
    await yieldToOthers();
    return cutIntoSpans(await repositories.analytics.transactionsPerDay(userId), spanSize);
  }

  /** Transfers first (cash flow depends on them), then the daily cash-flow sums, then net worth. */
  async function refreshUserAnalytics(userId: string, options: RefreshOptions = {}): Promise<RefreshOutcome> {
    const seq = options.openRequestsOnly ? undefined : await readModel.requestRefresh(userId);
    return embedded ? refreshInSpans(userId, seq, options) : refreshLocked(userId, seq, options);
  }

  /**
   * After an owner's edit or a rule application: only what the owner's fields feed — the transfers when
   * a category changed (cross-currency pairing reads it), then the cash-flow sums; net worth does not
   * depend on them (it was 5 of the 5.5 s of a refresh of 100,000 transactions over five years). Under
   * the person's state row lock, like a full refresh (one at a time); it covers no numbered request. A
   * person without a state row (never refreshed) gets a full refresh.
   */
  async function refreshCashflow(userId: string, options: { transfers: boolean }): Promise<void> {
    const what = { transfers: options.transfers, netWorth: false };
    const done = embedded
      ? await oneAtATime(userId, async () => {
          if (!(await readModel.current(userId))) return false;
          const spans = await spansOf(userId);
          await recompute(repositories, userId, spans, what, yieldToOthers);
          return true;
        })
      : await deps.db.transaction(async (tx) => {
          const repos = createRepositories(tx);
          if (!(await repos.readModel.lockForRefresh(userId))) return false;
          await recompute(repos, userId, [undefined], what, noPause);
          return true;
        });
    if (!done) await refreshUserAnalytics(userId);
  }

  /**
   * Embedded mode, at start-up: redoes the refreshes a stop cut short (their requests are still open).
   * Resolves once they are queued, each person's requests held from then on (`settled`); `done`
   * resolves with the people refreshed.
   */
  async function refreshOpenRequests(): Promise<{ people: number; done: Promise<number> }> {
    const people = await readModel.withOpenRequests();
    const outcomes = people.map((userId) => refreshUserAnalytics(userId, { openRequestsOnly: true }));
    const done = Promise.all(outcomes).then(
      (all) => all.filter((outcome) => outcome.status === 'refreshed').length,
    );
    return { people: people.length, done };
  }

  /**
   * Settles when the person's refreshes running in process (embedded mode) are done; undefined when none
   * runs. A request of the person waits for it, so that it never reads a half-rewritten read model.
   */
  function settled(userId: string): Promise<void> | undefined {
    return running.get(userId);
  }

  return { refreshUserAnalytics, refreshCashflow, refreshOpenRequests, settled };
}

const noPause = () => Promise.resolve();

export type AnalyticsMaterializers = ReturnType<typeof createAnalyticsMaterializers>;
