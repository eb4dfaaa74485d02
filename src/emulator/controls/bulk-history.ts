import { addDays } from '../core/dates.js';
import { Prng } from '../core/prng.js';
import * as m from '../catalog/merchants.js';
import type { EmulatedItem } from '../state/item.js';
import { targetAccount } from '../activity/inject.js';

const POOL = [...m.GROCERIES, ...m.RESTAURANTS, ...m.COFFEE, ...m.SHOPPING, ...m.GAS, ...m.RIDES];

/**
 * Appends `count` posted rows spread over the item's history (for scale tests and the benchmark):
 * one record each, no copies, so memory grows with the data only.
 */
export function addBulkHistory(item: EmulatedItem, count: number, today: string, accountId?: string): void {
  const account = targetAccount(item, accountId);
  const prng = Prng.from(item.generationKey, 'bulk', item.ledger.version);
  const span = Math.max(1, item.daysRequested);
  for (let i = 0; i < count; i++) {
    const merchant = POOL[i % POOL.length] ?? m.REFUND;
    const date = addDays(today, -1 - Math.floor((i * span) / count));
    item.open(account, merchant.descriptor, prng.int(merchant.minCents, merchant.maxCents), date, null);
  }
}
