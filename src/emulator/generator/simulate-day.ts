import { Prng } from '../core/prng.js';
import type { EmulatedItem } from '../state/item.js';
import type { Market } from '../state/market.js';
import { dailyChurn } from './churn.js';
import { dailyInvesting } from './investing.js';
import { dailySpending } from './daily-spending.js';

/** Posts or drops the pending rows due on `date` and adds the scheduled second legs. */
export function settle(item: EmulatedItem, date: string): void {
  for (const [id, plan] of [...item.pendingPlans]) {
    if (plan.postOn > date) continue;
    if (plan.vanishes) item.vanish(id);
    else item.post(id, plan.postedCents, plan.postOn);
  }
  const due = item.memory.scheduled.filter((row) => row.on <= date);
  if (due.length === 0) return;
  item.memory.scheduled.splice(
    0,
    item.memory.scheduled.length,
    ...item.memory.scheduled.filter((row) => row.on > date),
  );
  for (const row of due) {
    const account = item.account(row.accountId);
    if (account) item.open(account, row.descriptor, row.cents, row.on, null);
  }
}

/**
 * Everything that happens to an item on one day. The randomness is a function of the item's
 * generation key and the date only, so history generation and clock advances share one code path.
 */
export function simulateDay(item: EmulatedItem, market: Market, date: string): void {
  settle(item, date);
  if (item.profile === 'fixture') return;
  const prng = Prng.from(item.generationKey, 'day', date);
  dailySpending(item, date, prng);
  dailyInvesting(item, market, date, prng);
  dailyChurn(item, prng);
}
