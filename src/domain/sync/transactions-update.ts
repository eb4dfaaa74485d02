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

export interface FetchedUpdate<T = Transaction> {
  /** False when Plaid said NOT_READY (empty `next_cursor`): nothing to apply and no cursor to store. */
  ready: boolean;
  /** The pages folded into one net change set, each row mapped as its page arrived. */
  update: CollapsedUpdate<T>;
  /** The last page's `next_cursor` (only meaningful when `ready`). */
  nextCursor: string;
  /** How many times the loop restarted from the original cursor. */
  restarts: number;
}

/**
 * Pages from `originalCursor` until `has_more` is false. `fetchPage` wraps the Plaid call (and records
 * request ids and payloads). Each page is folded in (and its rows mapped) as it arrives, so only the net
 * change set is held, never the pages. Other errors, and a mutation error after the last attempt,
 * propagate.
 */
export async function fetchTransactionsUpdate<T = Transaction>(
  originalCursor: string | null,
  fetchPage: (cursor: string | null) => Promise<SyncPage>,
  map: (transaction: Transaction) => T = (t) => t as unknown as T,
  maxAttempts = MAX_PAGINATION_ATTEMPTS,
): Promise<FetchedUpdate<T>> {
  for (let attempt = 1; ; attempt++) {
    const folder = createPageFolder(map);
    let cursor = originalCursor;
    try {
      for (let n = 0; n < MAX_PAGES; n++) {
        const page = await fetchPage(cursor);
        if (page.next_cursor === '' && !page.has_more) {
          // NOT_READY: the initial pull is not done. Never store the empty cursor.
          return { ready: false, update: folder.result(), nextCursor: '', restarts: attempt - 1 };
        }
        folder.add(page);
        cursor = page.next_cursor;
        if (!page.has_more) {
          return { ready: true, update: folder.result(), nextCursor: cursor, restarts: attempt - 1 };
        }
      }
      throw new Error(`/transactions/sync did not finish within ${MAX_PAGES} pages`);
    } catch (error) {
      const restart =
        isPlaidApiError(error) &&
        classifyPlaidError(error).action === 'restart_sync' &&
        attempt < maxAttempts;
      if (!restart) throw error;
      // Drop what was folded and start again from the original cursor.
    }
  }
}

export interface CollapsedUpdate<T = Transaction> {
  /** The latest version of every added or modified transaction, once each. */
  upserts: T[];
  /** Removed ids that are not re-added later in the same update. */
  removedIds: string[];
  added: number;
  modified: number;
  removed: number;
}

/** Folds pages in order so that each transaction id ends in exactly one bucket with its last state. */
function createPageFolder<T>(map: (transaction: Transaction) => T) {
  const upserts = new Map<string, T>();
  const removed = new Set<string>();
  let added = 0;
  let modified = 0;
  let removedCount = 0;
  const put = (t: Transaction) => {
    removed.delete(t.transaction_id);
    upserts.delete(t.transaction_id); // keep Map order = order of last change
    upserts.set(t.transaction_id, map(t));
  };
  return {
    add(page: Pick<SyncPage, 'added' | 'modified' | 'removed'>) {
      for (const t of page.added) put(t);
      for (const t of page.modified) put(t);
      for (const r of page.removed as RemovedTransaction[]) {
        upserts.delete(r.transaction_id);
        removed.add(r.transaction_id);
      }
      added += page.added.length;
      modified += page.modified.length;
      removedCount += page.removed.length;
    },
    result(): CollapsedUpdate<T> {
      return {
        upserts: [...upserts.values()],
        removedIds: [...removed],
        added,
        modified,
        removed: removedCount,
      };
    },
  };
}

/** The same folding over pages already in hand. */
export function collapsePages(
  pages: readonly Pick<SyncPage, 'added' | 'modified' | 'removed'>[],
): CollapsedUpdate {
  const folder = createPageFolder((t) => t);
  for (const page of pages) folder.add(page);
  return folder.result();
}
