import { Prng } from '../core/prng.js';
import * as m from '../catalog/merchants.js';
import type { EmulatedItem } from '../state/item.js';
import { addDays } from '../core/dates.js';

/**
 * `/transactions/refresh` for `user_transactions_dynamic` (NOTES.md §8): posts every earlier
 * pending row, adds new pending rows, and adds $1.00 to one earlier posted amount.
 * Returns whether anything changed (always, for this user).
 */
export function dynamicRefresh(item: EmulatedItem, today: string, refreshNumber: number): boolean {
  const prng = Prng.from(item.generationKey, 'refresh', refreshNumber);
  for (const [id, plan] of [...item.pendingPlans]) {
    if (plan.vanishes) item.vanish(id);
    else item.post(id, plan.postedCents, today);
  }
  const earlier = item.memory.recentPosted.filter((id) => item.ledger.get(id)?.pending === false);
  const card = item.accountByRole('credit') ?? item.accounts[0];
  if (!card) return false;
  for (let i = 0; i < 3; i++) {
    const merchant = prng.pick([...m.RESTAURANTS, ...m.GROCERIES, ...m.COFFEE]);
    const cents = prng.int(merchant.minCents, merchant.maxCents);
    item.open(card, merchant.descriptor, cents, today, {
      postOn: addDays(today, 2),
      postedCents: cents,
      vanishes: false,
    });
  }
  if (earlier.length > 0) {
    const id = prng.pick(earlier);
    const record = item.ledger.get(id);
    if (record) item.modify(id, { amountCents: record.amountCents + 100 });
  }
  return true;
}
