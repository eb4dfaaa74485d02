import type { AccountBalancesRepository } from '../../db/repositories/account-balances.js';
import { errors } from '../../errors/catalog.js';
import {
  addDays,
  formatDate,
  spanProblem,
  startOfMonth,
  startOfWeek,
  type Interval,
} from '../../lib/dates.js';
import { currencyOf, money } from '../../lib/money.js';
import { calculateNetWorthHistory } from '../analytics/net-worth.js';
import { NET_WORTH_MAX_PERIODS } from '../analytics/service.js';

export interface BalancePointView {
  date: string;
  balance: string;
  estimated: boolean;
}

const periodOf = (date: string, interval: Interval): string =>
  interval === 'day' ? date : interval === 'week' ? startOfWeek(date) : startOfMonth(date);

/**
 * One account's daily balance history, computed as net worth computes it (analytics/net-worth.ts): the
 * day's snapshot, else the last one carried forward; before the first snapshot walked back through
 * posted transactions (investment accounts keep their first snapshot), those days `estimated`. For
 * week and month, each period's last day in the range. Days before anything is known are left out.
 */
export function createAccountBalancesService(deps: {
  balances: AccountBalancesRepository;
  now?: () => Date;
}) {
  const now = deps.now ?? (() => new Date());
  return {
    async history(
      userId: string,
      accountId: string,
      q: { start?: string | undefined; end?: string | undefined; interval: Interval },
    ): Promise<{ account_id: string; currency: string; interval: Interval; data: BalancePointView[] }> {
      const end = q.end ?? formatDate(now());
      const start = q.start ?? addDays(end, -89);
      if (end < start)
        throw errors.validationFailed([{ field: 'query.start_date', message: 'must not be after end_date' }]);
      const problem = spanProblem(start, end, q.interval, NET_WORTH_MAX_PERIODS[q.interval]);
      if (problem)
        throw errors.validationFailed([
          { field: q.start ? 'query.start_date' : 'query.end_date', message: problem },
        ]);

      const inputs = await deps.balances.historyInputs(userId, accountId);
      if (!inputs) throw errors.notFound('account', accountId);
      const { account } = inputs;
      const currency = currencyOf(account);
      const snapshots = inputs.snapshots.flatMap((s) =>
        s.balance === null ? [] : [{ accountId, date: s.date, balance: s.balance }],
      );
      // An account without snapshots counts from its current balance, as of its last update (as net worth).
      if (snapshots.length === 0 && account.currentBalance !== null)
        snapshots.push({
          accountId,
          date: formatDate(account.balancesAsOf ?? account.updatedAt),
          balance: account.currentBalance,
        });
      const known = [...snapshots.map((s) => s.date), ...inputs.posted.map((p) => p.date)].sort()[0];
      const from = known && known > start ? known : start;
      const days =
        known === undefined || from > end
          ? []
          : calculateNetWorthHistory({
              accounts: [{ id: accountId, type: account.type, currency }],
              snapshots,
              transactions: inputs.posted.map((p) => ({ accountId, date: p.date, amount: p.amount })),
              from,
              to: end,
            });
      // One account, one currency: its net worth is its balance on the owner's side.
      const points = days.map((d) => ({ date: d.date, balance: money(d.netWorth), estimated: d.estimated }));
      const data =
        q.interval === 'day'
          ? points
          : points.filter(
              (p, i) =>
                i === points.length - 1 ||
                periodOf(points[i + 1]!.date, q.interval) !== periodOf(p.date, q.interval),
            );
      return { account_id: accountId, currency, interval: q.interval, data };
    },
  };
}

export type AccountBalancesService = ReturnType<typeof createAccountBalancesService>;
