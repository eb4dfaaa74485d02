/** The pure import step of /transactions/sync: page folding and the restart rule. */
import type { Transaction } from 'plaid';
import { describe, expect, it } from 'vitest';
import {
  collapsePages,
  fetchTransactionsUpdate,
  type SyncPage,
} from '../../src/domain/sync/transactions-update.js';
import { PlaidApiError } from '../../src/plaid/errors.js';

const tx = (id: string, amount = 1) => ({ transaction_id: id, amount }) as unknown as Transaction;
const page = (p: Partial<SyncPage>): SyncPage =>
  ({
    added: [],
    modified: [],
    removed: [],
    has_more: false,
    next_cursor: 'c',
    request_id: 'r',
    ...p,
  }) as SyncPage;

const mutation = () =>
  new PlaidApiError({
    status: 400,
    errorType: 'TRANSACTIONS_ERROR',
    errorCode: 'TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION',
    errorMessage: '',
    displayMessage: null,
    requestId: 'req',
    endpoint: '/transactions/sync',
  });

describe('collapsePages', () => {
  it('should keep the last state of each id and drop rows removed later in the same update', () => {
    const result = collapsePages([
      page({ added: [tx('a'), tx('b'), tx('p')] }),
      page({
        modified: [tx('a', 2)],
        removed: [
          { transaction_id: 'p', account_id: 'acc' },
          { transaction_id: 'gone', account_id: 'acc' },
        ],
      }),
      page({ added: [tx('gone', 3)] }),
    ]);
    expect(result.upserts.map((t) => [t.transaction_id, t.amount])).toEqual([
      ['b', 1],
      ['a', 2],
      ['gone', 3],
    ]);
    expect(result.removedIds).toEqual(['p']);
    expect(result).toMatchObject({ added: 4, modified: 1, removed: 2 });
  });
});

describe('fetchTransactionsUpdate', () => {
  it('should restart the whole loop from the original cursor after a mutation error', async () => {
    const seen: (string | null)[] = [];
    let failed = false;
    const update = await fetchTransactionsUpdate('orig', async (cursor) => {
      seen.push(cursor);
      if (cursor === 'p2' && !failed) {
        failed = true;
        throw mutation();
      }
      return cursor === 'orig'
        ? page({ has_more: true, next_cursor: 'p2', added: [tx('x')] })
        : page({ next_cursor: 'end' });
    });
    expect(seen).toEqual(['orig', 'p2', 'orig', 'p2']);
    expect(update).toMatchObject({ ready: true, nextCursor: 'end', restarts: 1 });
    // Only the pages of the successful attempt were folded in.
    expect(update.update.upserts.map((t) => t.transaction_id)).toEqual(['x']);
    expect(update.update.added).toBe(1);
  });

  it('should give up after the bounded number of attempts', async () => {
    let calls = 0;
    const run = fetchTransactionsUpdate(null, async (cursor) => {
      calls++;
      if (cursor === 'p2') throw mutation();
      return page({ has_more: true, next_cursor: 'p2' });
    });
    await expect(run).rejects.toBeInstanceOf(PlaidApiError);
    expect(calls).toBe(6);
  });

  it('should report NOT_READY (empty cursor) as not ready, with nothing to store', async () => {
    const update = await fetchTransactionsUpdate(null, async () => page({ next_cursor: '' }));
    expect(update).toMatchObject({ ready: false, nextCursor: '', restarts: 0 });
    expect(update.update.upserts).toEqual([]);
  });
});
