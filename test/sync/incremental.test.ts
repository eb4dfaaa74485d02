/**
 * Re-syncs after the emulator's world moved on (postings, churn, removals), a mutation in the middle of a
 * pagination, and the owner's note surviving a pending → posted transition.
 */
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectRows } from '../../src/db/client.js';
import { transactions } from '../../src/db/schema/index.js';
import { databaseKinds } from '../helpers/database.js';
import {
  expectedAccounts,
  expectedHoldings,
  expectedInvestmentTransactions,
  expectedTransactions,
  itemRow,
  ourAccounts,
  ourHoldings,
  ourInvestmentTransactions,
  ourTransactions,
  startSyncHarness,
  type SyncHarness,
} from './support.js';

describe.each(databaseKinds())('incremental sync (%s)', (kind) => {
  let h: SyncHarness;
  let userId: string;
  let itemId: string;
  let plaidItemId: string;

  async function expectInSync() {
    const truth = await h.groundTruth(plaidItemId);
    expect(await ourTransactions(h.db, userId, itemId)).toEqual(expectedTransactions(truth));
    expect(await ourAccounts(h.db, userId, itemId)).toEqual(expectedAccounts(truth));
    expect(await ourHoldings(h.db, userId)).toEqual(expectedHoldings(truth));
    expect(await ourInvestmentTransactions(h.db, userId, itemId)).toEqual(
      expectedInvestmentTransactions(truth),
    );
  }

  beforeAll(async () => {
    h = await startSyncHarness(kind);
    userId = await h.newUser();
    const linked = await h.linking.linkItem({
      userId,
      publicToken: await h.publicToken({ username: 'user_transactions_dynamic', password: 'any' }),
    });
    itemId = linked.id;
    plaidItemId = linked.plaidItemId;
    const first = await h.sync.syncItem(userId, itemId, { trigger: 'link' });
    expect(first.status).toBe('succeeded');
  });
  afterAll(() => h.close());

  it('should stay equal to the ground truth as days pass (postings, modifications, removals)', async () => {
    let removed = 0;
    let modified = 0;
    for (const days of [1, 3, 7]) {
      await h.advance(days);
      const result = await h.sync.syncItem(userId, itemId, { trigger: 'webhook' });
      expect(result.status).toBe('succeeded');
      const tx = result.products.find((p) => p.product === 'transactions');
      removed += tx?.removed ?? 0;
      modified += tx?.modified ?? 0;
      await expectInSync();
    }
    // The emulator's week must actually have exercised removals (pending rows that posted) and churn.
    expect(removed).toBeGreaterThan(0);
    expect(modified + removed).toBeGreaterThan(0);
    const [snapshots] = await selectRows<{ days: number }>(
      h.db,
      sql`select count(distinct date)::int as days from balance_snapshots where user_id = ${userId}`,
    );
    expect(snapshots?.days).toBe(4);
  });

  it('should ask for no read-model refresh when a re-sync changed nothing, and for one when data moved', async () => {
    const state = async () => {
      const [row] = await selectRows<{ requested: number; refreshes: number }>(
        h.db,
        sql`select requested_seq::int as requested, refreshes::int as refreshes
              from read_model_state where user_id = ${userId}`,
      );
      return row;
    };
    await h.sync.syncItem(userId, itemId, { trigger: 'webhook' }); // whatever was still to take
    const before = await state();
    const unchanged = await h.sync.syncItem(userId, itemId, { trigger: 'webhook' });
    expect(unchanged.status).toBe('succeeded');
    expect(unchanged.products.filter((p) => p.readModelChanged)).toEqual([]);
    expect(unchanged.analytics).toBe('not_needed');
    expect(await state()).toEqual(before);

    await h.control('POST', `/__emulator/items/${plaidItemId}/transactions`, {
      transactions: [{ amount: 12.34, name: 'Bakery' }],
    });
    const moved = await h.sync.syncItem(userId, itemId, { trigger: 'webhook' });
    expect(moved.products.find((p) => p.product === 'transactions')?.readModelChanged).toBe(true);
    expect(moved.analytics).toBe('refreshed');
    const after = await state();
    expect(after?.requested).toBe((before?.requested ?? 0) + 1);
    expect(after?.refreshes).toBe((before?.refreshes ?? 0) + 1);
    await expectInSync();
  });

  it('should carry the owner note from a pending row to the posted row that replaces it', async () => {
    await h.control('POST', `/__emulator/items/${plaidItemId}/transactions`, {
      transactions: [{ amount: 42.17, name: 'Hardware store', pending: true, posts_after_days: 1 }],
    });
    await h.sync.syncItem(userId, itemId, { trigger: 'webhook' });
    const [pending] = await h.db
      .select()
      .from(transactions)
      .where(
        and(
          eq(transactions.userId, userId),
          eq(transactions.name, 'Hardware store'),
          eq(transactions.pending, true),
        ),
      );
    expect(pending?.amount).toBe('-42.1700');
    await h.db
      .update(transactions)
      .set({ userNote: 'new drill', userCategory: 'HOME' })
      .where(eq(transactions.plaidTransactionId, pending?.plaidTransactionId ?? ''));

    await h.advance(2);
    await h.sync.syncItem(userId, itemId, { trigger: 'webhook' });
    const rows = await h.db
      .select()
      .from(transactions)
      .where(and(eq(transactions.userId, userId), eq(transactions.name, 'Hardware store')));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      pending: false,
      pendingTransactionId: pending?.plaidTransactionId,
      userNote: 'new drill',
      userCategory: 'HOME',
    });
    await expectInSync();
  });

  it('should restart from the original cursor after a mutation between pages, never ahead of the data', async () => {
    await h.control('POST', `/__emulator/items/${plaidItemId}/transactions/generate`, { count: 1_200 });
    await h.control('POST', `/__emulator/items/${plaidItemId}/mutate-between-pages`, { after_pages: 1 });
    const before = await itemRow(h.db, userId, itemId);
    h.calls.length = 0;

    const result = await h.sync.syncItem(userId, itemId, { trigger: 'webhook' });
    expect(result.status).toBe('succeeded');
    // 3 pages of 500 for 1,200+ rows; the first attempt died on page 2, then the full loop again.
    const syncCalls = h.calls.filter((c) => c === 'transactionsSync').length;
    expect(syncCalls).toBeGreaterThanOrEqual(5);

    const after = await itemRow(h.db, userId, itemId);
    const runId = result.products.find((p) => p.product === 'transactions')?.runId ?? '';
    const [run] = await selectRows<{ cursor_before: string | null; cursor_after: string | null }>(
      h.db,
      sql`select cursor_before, cursor_after from sync_runs where id = ${runId}`,
    );
    expect(run?.cursor_before).toBe(before.transactionsCursor);
    expect(run?.cursor_after).toBe(after.transactionsCursor);
    // Transactions match now; balances were read before the mutation, so they match after the next sync.
    const truth = await h.groundTruth(plaidItemId);
    expect(await ourTransactions(h.db, userId, itemId)).toEqual(expectedTransactions(truth));

    // The committed cursor describes exactly the data: syncing again brings nothing new.
    const again = await h.sync.syncItem(userId, itemId, { trigger: 'manual' });
    expect(again.products.find((p) => p.product === 'transactions')).toMatchObject({
      added: 0,
      modified: 0,
      removed: 0,
    });
    await expectInSync();
  });

  it('should fail the run and keep the old cursor when mutations never stop', async () => {
    // A new pagination of more than one page, with the item changing under every attempt.
    await h.control('POST', `/__emulator/items/${plaidItemId}/transactions/generate`, { count: 600 });
    h.hooks.beforeCall = async (endpoint) => {
      if (endpoint !== 'transactionsSync') return;
      await h.control('POST', `/__emulator/items/${plaidItemId}/mutate-between-pages`, { after_pages: 1 });
    };
    const before = await itemRow(h.db, userId, itemId);
    h.calls.length = 0;
    const result = await h.sync.syncItem(userId, itemId, { trigger: 'webhook' });
    h.hooks.beforeCall = undefined;
    expect(h.calls.filter((c) => c === 'transactionsSync')).toHaveLength(6);
    const tx = result.products.find((p) => p.product === 'transactions');
    expect(tx?.status).toBe('failed');
    expect(tx?.error).toMatchObject({
      errorCode: 'TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION',
      retryable: true,
    });
    expect(result.retryable).toBe(true);
    const after = await itemRow(h.db, userId, itemId);
    expect(after.transactionsCursor).toBe(before.transactionsCursor);
    expect(after.lastSyncedAt).toEqual(before.lastSyncedAt);

    // The next attempt converges.
    const retry = await h.sync.syncItem(userId, itemId, { trigger: 'retry' });
    expect(retry.status).toBe('succeeded');
    // One armed mutation was left over and fired during the retry, after its balances were read.
    expect(await ourTransactions(h.db, userId, itemId)).toEqual(
      expectedTransactions(await h.groundTruth(plaidItemId)),
    );
    expect((await h.sync.syncItem(userId, itemId, { trigger: 'manual' })).status).toBe('succeeded');
    await expectInSync();
  });
});
