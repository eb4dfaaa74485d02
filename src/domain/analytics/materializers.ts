import type { AnalyticsRepository } from '../../db/repositories/analytics.js';
import { formatDate } from '../../lib/dates.js';
import { calculateNetWorthHistory, netWorthPointJson } from './net-worth.js';
import { matchTransfers } from './transfers.js';

/**
 * Materializers: run the pure calculators over one user's rows and write the results, so that reads
 * never rescan history. The sync pipeline calls `refreshUserAnalytics` after it applies changes.
 */
export function createAnalyticsMaterializers(deps: { analytics: AnalyticsRepository; now?: () => Date }) {
  const now = deps.now ?? (() => new Date());

  async function materializeTransfers(userId: string): Promise<number> {
    const candidates = await deps.analytics.transferCandidates(userId);
    const matches = matchTransfers(candidates);
    await deps.analytics.replaceTransfers(userId, matches);
    return matches.length;
  }

  async function materializeNetWorth(userId: string): Promise<number> {
    const inputs = await deps.analytics.netWorthInputs(userId);
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
    await deps.analytics.replaceNetWorth(
      userId,
      days.map((day) => ({ ...day, pointJson: netWorthPointJson(day) })),
    );
    return days.length;
  }

  return {
    materializeTransfers,
    materializeNetWorth,
    materializeCashflow: (userId: string) => deps.analytics.replaceCashflowDaily(userId),
    /** Transfers first (cash flow depends on them), then the daily cash-flow sums, then net worth. */
    async refreshUserAnalytics(
      userId: string,
    ): Promise<{ transfers: number; cashflowRows: number; netWorthDays: number }> {
      const transfers = await materializeTransfers(userId);
      const cashflowRows = await deps.analytics.replaceCashflowDaily(userId);
      const netWorthDays = await materializeNetWorth(userId);
      return { transfers, cashflowRows, netWorthDays };
    },
  };
}

export type AnalyticsMaterializers = ReturnType<typeof createAnalyticsMaterializers>;
