/**
 * The import step of /transactions/sync: page through one whole update from a cursor, restarting from
 * that same cursor when Plaid reports TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION, and collapse the
 * pages into one net change set. Nothing is written here; the caller commits the result and the cursor
 * together (NOTES §4).
 */

import type { RemovedTransaction, Transaction, TransactionsSyncResponse } from 'plaid';
import type { PlaidResponse } from '../../plaid/client.js';
import { classifyPlaidError, isPlaidApiError } from '../../plaid/errors.js';

export const SYNC_PAGE_SIZE = 500;
/** Whole-loop attempts when the item changes under the pagination. */
export const MAX_PAGINATION_ATTEMPTS = 3;
/** A runaway guard: 2,000 pages of 500 is a million rows. */
const MAX_PAGES = 10_000;

export type SyncPage = PlaidResponse<TransactionsSyncResponse>;

export interface FetchedUpdate {
  /** False when Plaid said NOT_READY (empty `next_cursor`): nothing to apply and no cursor to store. */
  ready: boolean;
  pages: SyncPage[];
  /** The last page's `next_cursor` (only meaningful when `ready`). */
  nextCursor: string;
  /** How many times the loop restarted from the original cursor. */
  restarts: number;
}

/**
 * Pages from `originalCursor` until `has_more` is false. `fetchPage` wraps the Plaid call (and records
 * request ids and payloads). Other errors, and a mutation error after the last attempt, propagate.
 */
export async function fetchTransactionsUpdate(
  originalCursor: string | null,
  fetchPage: (cursor: string | null) => Promise<SyncPage>,
  maxAttempts = MAX_PAGINATION_ATTEMPTS,
): Promise<FetchedUpdate> {
  for (let attempt = 1; ; attempt++) {
    const pages: SyncPage[] = [];
    let cursor = originalCursor;
    try {
      for (let n = 0; n < MAX_PAGES; n++) {
        const page = await fetchPage(cursor);
        if (page.next_cursor === '' && !page.has_more) {
          // NOT_READY: the initial pull is not done. Never store the empty cursor.
          return { ready: false, pages: [], nextCursor: '', restarts: attempt - 1 };
        }
        pages.push(page);
        cursor = page.next_cursor;
        if (!page.has_more) return { ready: true, pages, nextCursor: cursor, restarts: attempt - 1 };
      }
      throw new Error(`/transactions/sync did not finish within ${MAX_PAGES} pages`);
    } catch (error) {
      const restart =
        isPlaidApiError(error) &&
        classifyPlaidError(error).action === 'restart_sync' &&
        attempt < maxAttempts;
      if (!restart) throw error;
      // Drop the accumulated pages and start again from the original cursor.
    }
  }
}

export interface CollapsedUpdate {
  /** The latest version of every added or modified transaction, once each. */
  upserts: Transaction[];
  /** Removed ids that are not re-added later in the same update. */
  removedIds: string[];
  added: number;
  modified: number;
  removed: number;
}

/** Folds pages in order so that each transaction id ends in exactly one bucket with its last state. */
export function collapsePages(
  pages: readonly Pick<SyncPage, 'added' | 'modified' | 'removed'>[],
): CollapsedUpdate {
  const upserts = new Map<string, Transaction>();
  const removed = new Set<string>();
  let added = 0;
  let modified = 0;
  let removedCount = 0;
  const put = (t: Transaction) => {
    removed.delete(t.transaction_id);
    upserts.delete(t.transaction_id); // keep Map order = order of last change
    upserts.set(t.transaction_id, t);
  };
  for (const page of pages) {
    for (const t of page.added) put(t);
    for (const t of page.modified) put(t);
    for (const r of page.removed as RemovedTransaction[]) {
      upserts.delete(r.transaction_id);
      removed.add(r.transaction_id);
    }
    added += page.added.length;
    modified += page.modified.length;
    removedCount += page.removed.length;
  }
  return { upserts: [...upserts.values()], removedIds: [...removed], added, modified, removed: removedCount };
}
