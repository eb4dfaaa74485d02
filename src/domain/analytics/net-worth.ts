import { addDays } from '../../lib/dates.js';
import { fromUnits, money, toUnits } from '../../lib/money.js';

/**
 * Pure net-worth calculator. Balances follow the owner's sign (docs/domain.md), so within one currency
 * net worth is the sum of balances; credit and loan accounts are liabilities, every other type an asset.
 *
 * Per account and day: the balance snapshot of that day; between snapshots the last one carried forward;
 * before the first snapshot the balance is walked back through posted transactions
 * (balance(d) = balance(first) − Σ amount of transactions dated after d up to the first snapshot), and
 * investment accounts (whose value moves with prices) keep their first snapshot: those days are `estimated`.
 */
export interface NetWorthAccount {
  id: string;
  type: string;
  currency: string;
}

export interface BalancePoint {
  accountId: string;
  date: string;
  balance: string;
}

export interface PostedAmount {
  accountId: string;
  date: string;
  amount: string;
}

export interface NetWorthDay {
  currency: string;
  date: string;
  assets: string;
  liabilities: string;
  netWorth: string;
  estimated: boolean;
}

const LIABILITY_TYPES = new Set(['credit', 'loan']);

export function isLiability(accountType: string): boolean {
  return LIABILITY_TYPES.has(accountType);
}

export function calculateNetWorthHistory(input: {
  accounts: NetWorthAccount[];
  snapshots: BalancePoint[];
  transactions: PostedAmount[];
  from: string;
  to: string;
}): NetWorthDay[] {
  const { from, to } = input;
  if (from > to) return [];
  const dates: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) dates.push(d);
  const index = new Map(dates.map((d, i) => [d, i]));

  const snapshotsByAccount = groupBy(input.snapshots, (s) => s.accountId);
  const txByAccount = groupBy(input.transactions, (t) => t.accountId);
  // currency → per-day sums
  const totals = new Map<
    string,
    { assets: bigint[]; liabilities: bigint[]; estimated: boolean[]; seen: boolean[] }
  >();

  for (const account of input.accounts) {
    const snapshots = (snapshotsByAccount.get(account.id) ?? []).sort((a, b) => (a.date < b.date ? -1 : 1));
    if (snapshots.length === 0) continue;
    const values: (bigint | undefined)[] = new Array(dates.length);
    const estimated: boolean[] = new Array(dates.length).fill(false);

    // From the first snapshot on: snapshot or carried forward.
    const first = snapshots[0]!;
    let current: bigint | undefined;
    let s = 0;
    for (let i = 0; i < dates.length; i++) {
      const d = dates[i]!;
      while (s < snapshots.length && snapshots[s]!.date <= d) current = toUnits(snapshots[s++]!.balance);
      values[i] = current;
    }

    // Before the first snapshot: walk back through posted transactions.
    const firstIndex = first.date < from ? -1 : (index.get(first.date) ?? dates.length);
    if (firstIndex > 0) {
      const walkBack = account.type !== 'investment';
      const perDay = new Map<string, bigint>();
      if (walkBack) {
        for (const t of txByAccount.get(account.id) ?? []) {
          if (t.date > first.date) continue;
          perDay.set(t.date, (perDay.get(t.date) ?? 0n) + toUnits(t.amount));
        }
      }
      // balance at end of day d = balance(first) − Σ amounts dated in (d, first.date]
      let balance = toUnits(first.balance);
      for (let d = first.date; d > to; d = addDays(d, -1)) balance -= perDay.get(d) ?? 0n;
      for (let i = Math.min(firstIndex, dates.length) - 1; i >= 0; i--) {
        const next = dates[i + 1];
        if (next !== undefined && next <= first.date) balance -= perDay.get(next) ?? 0n;
        values[i] = balance;
        estimated[i] = true;
      }
    }

    let sums = totals.get(account.currency);
    if (!sums) {
      sums = {
        assets: new Array(dates.length).fill(0n),
        liabilities: new Array(dates.length).fill(0n),
        estimated: new Array(dates.length).fill(false),
        seen: new Array(dates.length).fill(false),
      };
      totals.set(account.currency, sums);
    }
    const liability = isLiability(account.type);
    for (let i = 0; i < dates.length; i++) {
      const value = values[i];
      if (value === undefined) continue;
      sums.seen[i] = true;
      if (liability)
        sums.liabilities[i] = sums.liabilities[i]! - value; // owed, as a positive amount
      else sums.assets[i] = sums.assets[i]! + value;
      if (estimated[i]) sums.estimated[i] = true;
    }
  }

  const days: NetWorthDay[] = [];
  for (const [currency, sums] of [...totals].sort(([a], [b]) => (a < b ? -1 : 1))) {
    for (let i = 0; i < dates.length; i++) {
      if (!sums.seen[i]) continue;
      days.push({
        currency,
        date: dates[i]!,
        assets: fromUnits(sums.assets[i]!),
        liabilities: fromUnits(sums.liabilities[i]!),
        netWorth: fromUnits(sums.assets[i]! - sums.liabilities[i]!),
        estimated: sums.estimated[i]!,
      });
    }
  }
  return days;
}

/**
 * One history point as GET /v1/net-worth shows it (the `history.points` items of its schema), as JSON
 * text: rendered once by the materializer and stored with the day, so reads only concatenate.
 */
export function netWorthPointJson(day: NetWorthDay): string {
  return JSON.stringify({
    currency: day.currency,
    date: day.date,
    assets: money(day.assets),
    liabilities: money(day.liabilities),
    net_worth: money(day.netWorth),
    estimated: day.estimated,
  });
}

function groupBy<T>(rows: T[], key: (row: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const row of rows) {
    const k = key(row);
    const list = map.get(k);
    if (list) list.push(row);
    else map.set(k, [row]);
  }
  return map;
}
