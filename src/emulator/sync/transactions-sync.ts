import type { RemovedTransaction, Transaction } from 'plaid';
import { plaidErrors } from '../http/plaid-error.js';
import type { EmulatedItem } from '../state/item.js';
import { toPlaidTransaction } from '../wire/transaction.js';
import { decodeCursor, encodeCursor, isResting } from './cursor.js';

export interface SyncPageRequest {
  readonly cursor: string | null;
  readonly count: number;
  readonly accountId: string | null;
  readonly includeOriginalDescription: boolean;
}

export interface SyncPage {
  readonly added: Transaction[];
  readonly modified: Transaction[];
  readonly removed: RemovedTransaction[];
  readonly nextCursor: string;
  readonly hasMore: boolean;
}

/**
 * One page of `/transactions/sync` (NOTES.md §4). A resting cursor (or none) starts a new sequence
 * frozen at the current version; a mid-pagination cursor continues it, unless the item changed
 * since the sequence started, which is `TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION`.
 */
export function syncPage(item: EmulatedItem, request: SyncPageRequest): SyncPage {
  const version = item.ledger.version;
  let base: number;
  let pageStart: number;
  let position: number;

  if (request.cursor === null || request.cursor === '') {
    base = 0;
    pageStart = version;
    position = 0;
  } else if (request.cursor === 'now') {
    const resting = {
      itemId: item.id,
      accountId: request.accountId,
      base: version,
      pageStart: version,
      position: version,
    };
    return { added: [], modified: [], removed: [], nextCursor: encodeCursor(resting), hasMore: false };
  } else {
    const cursor = decodeCursor(request.cursor);
    if (!cursor || cursor.itemId !== item.id || cursor.pageStart > version) {
      throw plaidErrors.invalidField('cursor is not valid for this Item');
    }
    if (cursor.accountId !== request.accountId) {
      throw plaidErrors.invalidField('cursor was issued for a different options.account_id');
    }
    if (isResting(cursor)) {
      base = cursor.pageStart;
      pageStart = version;
      position = cursor.pageStart;
    } else {
      if (version !== cursor.pageStart) throw plaidErrors.mutationDuringPagination();
      base = cursor.base;
      pageStart = cursor.pageStart;
      position = cursor.position;
    }
  }

  const scan = item.ledger.scan(base, position, pageStart, request.count, request.accountId ?? undefined);
  const wire = { includeOriginalDescription: request.includeOriginalDescription };
  const added: Transaction[] = [];
  const modified: Transaction[] = [];
  const removed: RemovedTransaction[] = [];
  for (const change of scan.changes) {
    if (change.kind === 'added') added.push(toPlaidTransaction(change.record, wire));
    else if (change.kind === 'modified') modified.push(toPlaidTransaction(change.record, wire));
    else removed.push({ transaction_id: change.id, account_id: change.accountId });
  }
  const next = scan.hasMore
    ? { itemId: item.id, accountId: request.accountId, base, pageStart, position: scan.position }
    : { itemId: item.id, accountId: request.accountId, base: pageStart, pageStart, position: pageStart };
  return { added, modified, removed, nextCursor: encodeCursor(next), hasMore: scan.hasMore };
}
