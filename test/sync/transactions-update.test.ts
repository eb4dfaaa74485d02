/** The pagination of /transactions/sync: pages handed over in order, and the restart rule. */
import type { Transaction } from 'plaid';
import { describe, expect, it } from 'vitest';
import {
  paginateTransactionsSync,
  type AttemptRunner,
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

/** Stands in for the database transaction: records the pages of each attempt; a throw "rolls back". */
function recordingAttempts() {
  const attempts: { pages: SyncPage[]; committed: boolean }[] = [];
  const runner: AttemptRunner = async (run) => {
    const attempt = { pages: [] as SyncPage[], committed: false };
    attempts.push(attempt);
    const result = await run(async (p) => {
      attempt.pages.push(p);
    });
    attempt.committed = true;
    return result;
  };
  return { attempts, runner };
}

describe('paginateTransactionsSync', () => {
  it('should hand every page over in order and report the last cursor and Plaid counts', async () => {
    const { attempts, runner } = recordingAttempts();
    const pages: Record<string, SyncPage> = {
      start: page({ has_more: true, next_cursor: 'p2', added: [tx('a'), tx('b')] }),
      p2: page({
        next_cursor: 'end',
        modified: [tx('a', 2)],
        removed: [{ transaction_id: 'b', account_id: 'acc' }],
      }),
    };
    const update = await paginateTransactionsSync('start', async (cursor) => pages[cursor!]!, runner);
    expect(update).toEqual({
      ready: true,
      nextCursor: 'end',
      added: 2,
      modified: 1,
      removed: 1,
      restarts: 0,
    });
    expect(attempts).toHaveLength(1);
    expect(attempts[0]!.pages).toEqual([pages.start, pages.p2]);
    expect(attempts[0]!.committed).toBe(true);
  });

  it('should restart the whole loop from the original cursor, in a new attempt, after a mutation error', async () => {
    const { attempts, runner } = recordingAttempts();
    const seen: (string | null)[] = [];
    let failed = false;
    const update = await paginateTransactionsSync(
      'orig',
      async (cursor) => {
        seen.push(cursor);
        if (cursor === 'p2' && !failed) {
          failed = true;
          throw mutation();
        }
        return cursor === 'orig'
          ? page({ has_more: true, next_cursor: 'p2', added: [tx('x')] })
          : page({ next_cursor: 'end' });
      },
      runner,
    );
    expect(seen).toEqual(['orig', 'p2', 'orig', 'p2']);
    expect(update).toMatchObject({ ready: true, nextCursor: 'end', restarts: 1, added: 1 });
    // The first attempt saw one page and was rolled back; the second applied both and committed.
    expect(attempts.map((a) => [a.pages.length, a.committed])).toEqual([
      [1, false],
      [2, true],
    ]);
  });

  it('should give up after the bounded number of attempts', async () => {
    const { attempts, runner } = recordingAttempts();
    let calls = 0;
    const run = paginateTransactionsSync(
      null,
      async (cursor) => {
        calls++;
        if (cursor === 'p2') throw mutation();
        return page({ has_more: true, next_cursor: 'p2' });
      },
      runner,
    );
    await expect(run).rejects.toBeInstanceOf(PlaidApiError);
    expect(calls).toBe(6);
    expect(attempts.every((a) => !a.committed)).toBe(true);
  });

  it('should report NOT_READY (empty cursor) as not ready, with nothing applied', async () => {
    const { attempts, runner } = recordingAttempts();
    const update = await paginateTransactionsSync(null, async () => page({ next_cursor: '' }), runner);
    expect(update).toEqual({ ready: false, nextCursor: '', added: 0, modified: 0, removed: 0, restarts: 0 });
    expect(attempts[0]!.pages).toEqual([]);
  });
});
