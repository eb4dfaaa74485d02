import type { Prng } from '../core/prng.js';
import type { EmulatedItem } from '../state/item.js';

/**
 * Picks a live, posted, recent merchant row. Churn leaves bank movements (salary, transfers, card
 * payments) alone, so both legs of a transfer always match.
 */
export function churnCandidate(item: EmulatedItem, prng: Prng): string | undefined {
  const recent = item.memory.recentPosted;
  for (let attempt = 0; attempt < 5 && recent.length > 0; attempt++) {
    const id = prng.pick(recent);
    const record = item.ledger.get(id);
    if (record && !record.pending && record.descriptor.merchant_name !== null) return id;
  }
  return undefined;
}

/** Modifies one recent row: an amount correction or a cleaned-up name. Returns whether it did. */
export function modifyOne(item: EmulatedItem, prng: Prng): boolean {
  const id = churnCandidate(item, prng);
  const record = id ? item.ledger.get(id) : undefined;
  if (!id || !record) return false;
  if (prng.chance(0.5)) {
    const delta = Math.max(1, Math.round(Math.abs(record.amountCents) * 0.02)) * (prng.chance(0.5) ? 1 : -1);
    return item.modify(id, { amountCents: record.amountCents + delta });
  }
  return item.modify(id, { nameOverride: `${record.descriptor.name} (adjusted)` });
}

/**
 * Transaction churn (NOTES.md §7): now and then the bank corrects a posted row or withdraws it.
 */
export function dailyChurn(item: EmulatedItem, prng: Prng): void {
  if (prng.chance(0.05)) modifyOne(item, prng);
  if (prng.chance(0.01)) {
    const id = churnCandidate(item, prng);
    if (id) item.remove(id);
  }
}
