import type { EmulatedItem } from '../state/item.js';
import type { EmulatorStore } from '../state/store.js';
import { webhookPayloads } from '../webhooks/payloads.js';

/** The item's state before a change, to tell afterwards what changed. */
export interface ItemMark {
  readonly ledgerVersion: number;
  readonly investmentTransactions: number;
  readonly positions: number;
}

export function mark(item: EmulatedItem): ItemMark {
  let positions = 0;
  for (const byAccount of item.portfolio?.positions.values() ?? []) positions += byAccount.size;
  return {
    ledgerVersion: item.ledger.version,
    investmentTransactions: item.portfolio?.transactions.length ?? 0,
    positions,
  };
}

export interface ChangeSummary {
  readonly added: number;
  readonly modified: number;
  readonly removed: string[];
  readonly investmentTransactions: number;
}

/** Net transaction changes since `since`, without copying the ledger. */
export function summarize(item: EmulatedItem, since: ItemMark): ChangeSummary {
  const version = item.ledger.version;
  const scan = item.ledger.scan(since.ledgerVersion, since.ledgerVersion, version, Number.MAX_SAFE_INTEGER);
  let added = 0;
  let modified = 0;
  const removed: string[] = [];
  for (const c of scan.changes) {
    if (c.kind === 'added') added++;
    else if (c.kind === 'modified') modified++;
    else removed.push(c.id);
  }
  return {
    added,
    modified,
    removed,
    investmentTransactions: (item.portfolio?.transactions.length ?? 0) - since.investmentTransactions,
  };
}

/**
 * Fires the webhooks Plaid sends after new data (NOTES.md §5): SYNC_UPDATES_AVAILABLE once sync has
 * been activated, the legacy DEFAULT_UPDATE / TRANSACTIONS_REMOVED, and the investments updates.
 * Items in an error state get nothing: Plaid cannot refresh them.
 */
export function notifyDataChanged(
  store: EmulatorStore,
  item: EmulatedItem,
  since: ItemMark,
  pricesMoved: boolean,
): ChangeSummary {
  const summary = summarize(item, since);
  if (item.error || item.removed) return summary;
  const now = store.clock.now().toISOString();
  const transactionsChanged = summary.added + summary.modified + summary.removed.length > 0;
  if (transactionsChanged) {
    item.lastTransactionsUpdate = now;
    if (item.syncActivated) store.notify(item, webhookPayloads.syncUpdatesAvailable(item.id, true, true));
    store.notify(item, webhookPayloads.transactionsLegacy(item.id, 'DEFAULT_UPDATE', summary.added));
    if (summary.removed.length > 0)
      store.notify(item, webhookPayloads.transactionsRemoved(item.id, summary.removed));
  }
  if (item.portfolio && item.products.includes('investments')) {
    const after = mark(item);
    if (pricesMoved || after.positions !== since.positions || summary.investmentTransactions > 0) {
      item.lastInvestmentsUpdate = now;
      store.notify(
        item,
        webhookPayloads.holdingsUpdate(
          item.id,
          Math.max(0, after.positions - since.positions),
          after.positions,
        ),
      );
    }
    if (summary.investmentTransactions > 0) {
      store.notify(
        item,
        webhookPayloads.investmentsTransactionsUpdate(item.id, summary.investmentTransactions, 0),
      );
    }
  }
  return summary;
}
