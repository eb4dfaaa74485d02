/**
 * Plaid errors become item state and run records: login required stops Plaid traffic for the item,
 * transient failures are retryable and isolated to their product, unsupported products are skipped,
 * and NOT_READY stores no cursor.
 */
import { sql } from 'drizzle-orm';
import { Products } from 'plaid';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { selectRows } from '../../src/db/client.js';
import { databaseKinds } from '../helpers/database.js';
import {
  expectedTransactions,
  itemRow,
  ourTransactions,
  startSyncHarness,
  type SyncHarness,
} from './support.js';

describe.each(databaseKinds())('sync errors (%s)', (kind) => {
  let h: SyncHarness;
  let userId: string;

  beforeAll(async () => {
    h = await startSyncHarness(kind);
  });
  beforeEach(async () => {
    // Sandbox logins share account names and masks, so each test links as its own user (no duplicate).
    userId = await h.newUser();
  });
  afterAll(() => h.close());

  async function link(options: Parameters<SyncHarness['publicToken']>[0] = {}) {
    return h.linking.linkItem({ userId, publicToken: await h.publicToken(options) });
  }

  it('should isolate a transient failure to its product and flag the run retryable', async () => {
    const item = await link();
    await h.control('POST', '/__emulator/faults', {
      endpoint: '/investments/holdings/get',
      error_code: 'INTERNAL_SERVER_ERROR',
      count: 1,
    });
    const result = await h.sync.syncItem(userId, item.id, { trigger: 'link' });
    expect(result.products.map((p) => [p.product, p.status])).toEqual([
      ['accounts', 'succeeded'],
      ['transactions', 'succeeded'],
      ['holdings', 'failed'],
      ['investment_transactions', 'succeeded'],
      ['liabilities', 'succeeded'],
    ]);
    expect(result.status).toBe('partial');
    expect(result.retryable).toBe(true);
    expect(result.products[2]?.error).toMatchObject({
      kind: 'plaid',
      errorCode: 'INTERNAL_SERVER_ERROR',
      action: 'retry',
      retryable: true,
    });
    const row = await itemRow(h.db, userId, item.id);
    expect(row.status).toBe('good');
    expect(row.lastSyncedAt).toBeNull();
    const [run] = await selectRows<{ status: string; error: { retryable: boolean } }>(
      h.db,
      sql`select status, error from sync_runs where id = ${result.products[2]?.runId ?? ''}`,
    );
    expect(run).toMatchObject({ status: 'failed', error: { retryable: true } });

    const retry = await h.sync.syncItem(userId, item.id, { trigger: 'retry' });
    expect(retry.status).toBe('succeeded');
    expect((await itemRow(h.db, userId, item.id)).lastSyncedAt).not.toBeNull();
  });

  it('should mark the item login_required and make no Plaid call until it is repaired', async () => {
    const item = await link({ username: 'user_transactions_dynamic', password: 'x' });
    expect((await h.sync.syncItem(userId, item.id, { trigger: 'link' })).status).toBe('succeeded');
    await h.control('POST', `/__emulator/items/${item.plaidItemId}/events`, { event: 'ITEM_LOGIN_REQUIRED' });

    h.calls.length = 0;
    const result = await h.sync.syncItem(userId, item.id, { trigger: 'schedule' });
    expect(result.status).toBe('failed');
    expect(result.itemStatus).toBe('login_required');
    expect(result.retryable).toBe(false);
    expect(result.products).toHaveLength(1); // stopped after the first product said so
    expect(h.calls).toEqual(['accountsGet']);
    const row = await itemRow(h.db, userId, item.id);
    expect(row.status).toBe('login_required');
    expect(row.lastError).toMatchObject({ errorCode: 'ITEM_LOGIN_REQUIRED' });

    h.calls.length = 0;
    const again = await h.sync.syncItem(userId, item.id, { trigger: 'schedule' });
    expect(again).toMatchObject({ status: 'blocked', itemStatus: 'login_required', products: [] });
    expect(h.calls).toEqual([]);
  });

  it('should sync only the accounts of an item linked without a data product, and finish', async () => {
    const item = await link({ institutionId: 'ins_109512', products: [Products.Auth] });
    h.calls.length = 0;
    const result = await h.sync.syncItem(userId, item.id, { trigger: 'link' });
    expect(result.products.map((p) => [p.product, p.status])).toEqual([['accounts', 'succeeded']]);
    expect(h.calls).toEqual(['accountsGet']);
    expect(result.status).toBe('succeeded');
    const row = await itemRow(h.db, userId, item.id);
    expect(row.status).toBe('good');
    expect(row.lastSyncedAt).not.toBeNull();
  });

  it('should skip a product Plaid does not support for the item and still finish the sync', async () => {
    const item = await link();
    await h.control('POST', '/__emulator/faults', {
      endpoint: '/transactions/sync',
      error_code: 'PRODUCTS_NOT_SUPPORTED',
      count: 1,
    });
    const result = await h.sync.syncItem(userId, item.id, { trigger: 'link' });
    const byProduct = Object.fromEntries(result.products.map((p) => [p.product, p]));
    expect(byProduct.transactions).toMatchObject({
      status: 'skipped',
      error: { errorCode: 'PRODUCTS_NOT_SUPPORTED', action: 'product_unavailable', retryable: false },
    });
    expect(result.status).toBe('succeeded');
    expect((await itemRow(h.db, userId, item.id)).lastSyncedAt).not.toBeNull();
  });

  it('should refuse another user’s item as if it did not exist', async () => {
    const item = await link({ username: 'user_yuppie', password: 'x' });
    const stranger = await h.newUser();
    await expect(h.sync.syncItem(stranger, item.id, { trigger: 'manual' })).rejects.toMatchObject({
      status: 404,
    });
  });
});

describe.each(databaseKinds())('transactions not ready yet (%s)', (kind) => {
  let h: SyncHarness;
  beforeAll(async () => {
    h = await startSyncHarness(kind, { notReadyDelayMs: 60_000 });
  });
  afterAll(() => h.close());

  it('should succeed with no changes and never store the empty NOT_READY cursor', async () => {
    const userId = await h.newUser();
    const item = await h.linking.linkItem({ userId, publicToken: await h.publicToken() });
    const result = await h.sync.syncItem(userId, item.id, { trigger: 'link' });
    expect(result.products.find((p) => p.product === 'transactions')).toMatchObject({
      status: 'succeeded',
      added: 0,
      modified: 0,
      removed: 0,
    });
    const row = await itemRow(h.db, userId, item.id);
    expect(row.transactionsCursor).toBeNull();
    expect(await ourTransactions(h.db, userId, item.id)).toEqual([]);
    expect(expectedTransactions(await h.groundTruth(item.plaidItemId)).length).toBeGreaterThan(0);
  });
});
