/**
 * The pagination of /transactions/sync: page through one whole update from a cursor, each attempt inside
 * `withinAttempt` (the caller's database transaction, which applies every page as it arrives and stores
 * the cursor with the data at the end), restarting from that same cursor — in a fresh attempt, the
 * previous one rolled back — when Plaid reports TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION (NOTES §4).
 */

import type { TransactionsSyncResponse } from 'plaid';
import type { PlaidResponse } from '../../plaid/client.js';
import { classifyPlaidError, isPlaidApiError } from '../../plaid/errors.js';

export const SYNC_PAGE_SIZE = 500;
/** Whole-loop attempts when the item changes under the pagination. */
export const MAX_PAGINATION_ATTEMPTS = 3;
/** A runaway guard: 2,000 pages of 500 is a million rows. */
const MAX_PAGES = 10_000;

export type SyncPage = PlaidResponse<TransactionsSyncResponse>;

export interface PaginatedUpdate {
  /** False when Plaid said NOT_READY (empty `next_cursor`): nothing applied and no cursor to store. */
  ready: boolean;
  /** The last page's `next_cursor` (only meaningful when `ready`). */
  nextCursor: string;
  /** Plaid's counts over all pages of the attempt that finished. */
  added: number;
  modified: number;
  removed: number;
}

/** One attempt: `run` pages from the original cursor, handing each page to `applyPage`. */
export type AttemptRunner = (
  run: (applyPage: (page: SyncPage) => Promise<void>) => Promise<PaginatedUpdate>,
) => Promise<PaginatedUpdate>;

/**
 * Pages from `originalCursor` until `has_more` is false. `fetchPage` wraps the Plaid call (and records
 * request ids and payloads). Other errors, and a mutation error after the last attempt, propagate (and
 * roll the attempt back).
 */
export async function paginateTransactionsSync(
  originalCursor: string | null,
  fetchPage: (cursor: string | null) => Promise<SyncPage>,
  withinAttempt: AttemptRunner,
  maxAttempts = MAX_PAGINATION_ATTEMPTS,
): Promise<PaginatedUpdate & { restarts: number }> {
  for (let attempt = 1; ; attempt++) {
    try {
      const update = await withinAttempt(async (applyPage) => {
        let cursor = originalCursor;
        const counts = { added: 0, modified: 0, removed: 0 };
        // The next page is fetched while the database applies this one (at most two pages in memory).
        let applying: Promise<void> | undefined;
        for (let n = 0; n < MAX_PAGES; n++) {
          const page = await fetchPage(cursor);
          await applying;
          if (page.next_cursor === '' && !page.has_more) {
            // NOT_READY: the initial pull is not done. Never store the empty cursor.
            return { ready: false, nextCursor: '', added: 0, modified: 0, removed: 0 };
          }
          applying = applyPage(page);
          applying.catch(() => undefined); // awaited before the next page; never unhandled meanwhile
          counts.added += page.added.length;
          counts.modified += page.modified.length;
          counts.removed += page.removed.length;
          cursor = page.next_cursor;
          if (!page.has_more) {
            await applying;
            return { ready: true, nextCursor: cursor, ...counts };
          }
        }
        await applying;
        throw new Error(`/transactions/sync did not finish within ${MAX_PAGES} pages`);
      });
      return { ...update, restarts: attempt - 1 };
    } catch (error) {
      const restart =
        isPlaidApiError(error) &&
        classifyPlaidError(error).action === 'restart_sync' &&
        attempt < maxAttempts;
      if (!restart) throw error;
      // The attempt was rolled back: start again from the original cursor.
    }
  }
}
