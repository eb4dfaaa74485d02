/**
 * Only what an item has is synced: accounts always, plus the sync products of the item's Plaid products;
 * a product Plaid answers as unsupported is recorded on the item (when, why) and not called again; one
 * not ready yet is recorded and called again by the next sync. The API shows the per-product state and
 * the ledger says why a run was skipped or failed, in the published schemas.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { and, eq } from 'drizzle-orm';
import { Products } from 'plaid';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createItemsRepository } from '../../src/db/repositories/items.js';
import { createSyncRunsRepository } from '../../src/db/repositories/sync-runs.js';
import { accounts, syncProducts } from '../../src/db/schema/index.js';
import { plannedSyncProducts } from '../../src/domain/sync/products.js';
import { bearer, newAccessToken, newUser } from '../factories/users.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { databaseKinds } from '../helpers/database.js';
import { startSyncHarness, type SyncHarness } from './support.js';

describe.each(databaseKinds())('products an item has (%s)', (kind) => {
  let h: SyncHarness;
  let t: TestApp;
  let userId: string;
  let token: string;
  let ajv: Ajv2020;

  beforeAll(async () => {
    h = await startSyncHarness(kind);
    t = await buildTestApp(kind, {}, undefined, { database: h.database, plaid: h.plaid });
    const doc = (await t.app.inject({ url: '/openapi.json' })).json<Record<string, unknown>>();
    ajv = new Ajv2020({ strict: false, allErrors: true });
    ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
    ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
    ajv.addSchema(doc, 'openapi');
  });
  beforeEach(async () => {
    // Sandbox logins share account names and masks, so each test links as its own user (no duplicate).
    userId = (await newUser(t.app)).user.id;
    token = (await newAccessToken(t.app, userId, { scope: 'read' })).token;
    h.calls.length = 0;
  });
  afterAll(async () => {
    await t?.close();
    await h?.close();
  });

  /** GET `url`, checked against the 200 schema that /openapi.json publishes for `route`. */
  async function getValid<T>(route: string, url: string): Promise<T> {
    const validate = ajv.compile({
      $ref: `openapi#/paths/${route.replaceAll('/', '~1')}/get/responses/200/content/application~1json/schema`,
    });
    const res = await t.app.inject({ url, headers: bearer(token) });
    expect(res.statusCode, res.body).toBe(200);
    const body: unknown = res.json();
    expect(validate(body), `${url}: ${ajv.errorsText(validate.errors)}`).toBe(true);
    return body as T;
  }

  async function link(products?: Products[]) {
    const publicToken = await h.publicToken(products ? { products } : {});
    return h.linking.linkItem({ userId, publicToken });
  }

  function fault(endpoint: string, code: string) {
    return h.control('POST', '/__emulator/faults', { endpoint, error_code: code, count: 1 });
  }

  interface SyncProductView {
    product: string;
    status: string;
    since: string | null;
    reason: { code: string; action: string; plaid: { request_id: string | null } | null } | null;
  }

  async function syncProductsOf(itemId: string): Promise<Record<string, SyncProductView>> {
    const body = await getValid<{ data: { sync_products: SyncProductView[] } }>(
      '/v1/items/{id}',
      `/v1/items/${itemId}`,
    );
    return Object.fromEntries(body.data.sync_products.map((p) => [p.product, p]));
  }

  it('should call only accounts and the products the item was linked with', async () => {
    const item = await link([Products.Transactions]);
    expect(await plannedSyncProducts(h.db, userId, item.id)).toEqual(['accounts', 'transactions']);

    const result = await h.sync.syncItem(userId, item.id, { trigger: 'link' });
    expect(result.products.map((p) => [p.product, p.status])).toEqual([
      ['accounts', 'succeeded'],
      ['transactions', 'succeeded'],
    ]);
    expect(h.calls).not.toContain('investmentsHoldingsGet');
    expect(h.calls).not.toContain('investmentsTransactionsGet');
    expect(h.calls).not.toContain('liabilitiesGet');
    const states = await syncProductsOf(item.id);
    expect(Object.values(states).map((s) => [s.product, s.status])).toEqual([
      ['accounts', 'active'],
      ['transactions', 'active'],
      ['holdings', 'not_linked'],
      ['investment_transactions', 'not_linked'],
      ['liabilities', 'not_linked'],
    ]);
  });

  it('should record an unsupported product with when and why and never call it again', async () => {
    const item = await link();
    expect(await plannedSyncProducts(h.db, userId, item.id)).toEqual([...syncProducts]);
    await fault('/investments/holdings/get', 'NO_INVESTMENT_ACCOUNTS');
    await fault('/liabilities/get', 'NO_LIABILITY_ACCOUNTS');
    const first = await h.sync.syncItem(userId, item.id, { trigger: 'link' });
    const byProduct = Object.fromEntries(first.products.map((p) => [p.product, p]));
    expect(byProduct.holdings?.status).toBe('skipped');
    expect(byProduct.liabilities?.status).toBe('skipped');
    expect(first.status).toBe('succeeded');

    const states = await createItemsRepository(h.db).listProductStates(userId, item.id);
    expect(
      states
        .filter((s) => s.status !== 'active')
        .map((s) => [s.product, s.status])
        .sort(),
    ).toEqual([
      ['holdings', 'unsupported'],
      ['liabilities', 'unsupported'],
    ]);
    const shown = await syncProductsOf(item.id);
    expect(shown.holdings).toMatchObject({
      status: 'unsupported',
      since: h.clock.now.toISOString(),
      reason: { code: 'NO_INVESTMENT_ACCOUNTS', action: 'product_unavailable' },
    });
    expect(shown.holdings?.reason?.plaid?.request_id).toBeTruthy();
    expect(shown.liabilities).toMatchObject({
      status: 'unsupported',
      reason: { code: 'NO_LIABILITY_ACCOUNTS' },
    });
    expect(shown.investment_transactions?.status).toBe('active');

    // The next sync queues and runs only what the item supports; rows queued for the others are closed.
    expect(await plannedSyncProducts(h.db, userId, item.id)).toEqual([
      'accounts',
      'transactions',
      'investment_transactions',
    ]);
    const runs = createSyncRunsRepository(h.db);
    const runIds = await runs.createQueuedRuns({
      userId,
      itemId: item.id,
      trigger: 'manual',
      products: [...syncProducts],
    });
    h.calls.length = 0;
    const second = await h.sync.syncItem(userId, item.id, { trigger: 'manual', runIds });
    expect(second.products.map((p) => p.product)).toEqual([
      'accounts',
      'transactions',
      'investment_transactions',
    ]);
    expect(h.calls).not.toContain('investmentsHoldingsGet');
    expect(h.calls).not.toContain('liabilitiesGet');
    const rows = await runs.findRuns(userId, runIds);
    const closed = rows.filter((r) => r.product === 'holdings' || r.product === 'liabilities');
    expect(closed.map((r) => r.status)).toEqual(['skipped', 'skipped']);
    expect(closed.map((r) => r.error)).toEqual([
      expect.objectContaining({ name: 'ProductNotSynced', action: 'product_off' }),
      expect.objectContaining({ name: 'ProductNotSynced', action: 'product_off' }),
    ]);
    expect(rows.every((r) => r.status !== 'queued')).toBe(true);
  });

  it('should ask Plaid again about an unsupported product once the item gains an account', async () => {
    const item = await link();
    await fault('/investments/holdings/get', 'NO_INVESTMENT_ACCOUNTS');
    await h.sync.syncItem(userId, item.id, { trigger: 'link' });
    expect((await syncProductsOf(item.id)).holdings?.status).toBe('unsupported');

    // An account this item did not have before (as after update mode with account selection): here one
    // of ours is forgotten, so the next /accounts/get brings it as new.
    const [account] = await h.db
      .select({ id: accounts.id })
      .from(accounts)
      .where(and(eq(accounts.userId, userId), eq(accounts.itemId, item.id)))
      .limit(1);
    await h.db.delete(accounts).where(eq(accounts.id, account!.id));
    h.calls.length = 0;
    const again = await h.sync.syncItem(userId, item.id, { trigger: 'manual' });
    expect(h.calls).toContain('investmentsHoldingsGet');
    expect(again.products.find((p) => p.product === 'holdings')?.status).toBe('succeeded');
    expect((await syncProductsOf(item.id)).holdings?.status).toBe('active');
  });

  it('should close the queued rows a sync did not reach because the item needs its owner', async () => {
    const item = await link();
    await h.sync.syncItem(userId, item.id, { trigger: 'link' });
    await h.control('POST', `/__emulator/items/${item.plaidItemId}/events`, { event: 'ITEM_LOGIN_REQUIRED' });
    const runs = createSyncRunsRepository(h.db);
    const runIds = await runs.createQueuedRuns({
      userId,
      itemId: item.id,
      trigger: 'webhook',
      products: await plannedSyncProducts(h.db, userId, item.id),
    });
    const result = await h.sync.syncItem(userId, item.id, { trigger: 'webhook', runIds });
    expect(result.itemStatus).toBe('login_required');
    const rows = await runs.findRuns(userId, runIds);
    expect(rows.find((r) => r.product === 'accounts')?.status).toBe('failed');
    const rest = rows.filter((r) => r.product !== 'accounts');
    expect(rest).toHaveLength(4);
    for (const row of rest) {
      expect(row).toMatchObject({
        status: 'skipped',
        error: { kind: 'internal', name: 'ItemNeedsOwner', action: 'item_blocked' },
      });
    }
  });

  it('should record a product that is not ready yet and call it again at the next sync', async () => {
    const item = await link();
    await fault('/investments/transactions/get', 'PRODUCT_NOT_READY');
    const first = await h.sync.syncItem(userId, item.id, { trigger: 'link' });
    expect(first.products.find((p) => p.product === 'investment_transactions')?.status).toBe('failed');
    expect(first.retryable).toBe(true);
    expect((await syncProductsOf(item.id)).investment_transactions).toMatchObject({
      status: 'not_ready',
      reason: { code: 'PRODUCT_NOT_READY', action: 'retry' },
    });

    h.clock.now = new Date(h.clock.now.getTime() + 60_000);
    h.calls.length = 0;
    const second = await h.sync.syncItem(userId, item.id, { trigger: 'retry' });
    expect(h.calls).toContain('investmentsTransactionsGet');
    expect(second.status).toBe('succeeded');
    expect((await syncProductsOf(item.id)).investment_transactions).toMatchObject({
      status: 'active',
      since: h.clock.now.toISOString(),
      reason: null,
    });
  });

  it('should show in the ledger why a product was skipped and why one failed, in the published schema', async () => {
    const item = await link();
    await fault('/liabilities/get', 'NO_LIABILITY_ACCOUNTS');
    await fault('/investments/holdings/get', 'INTERNAL_SERVER_ERROR');
    await h.sync.syncItem(userId, item.id, { trigger: 'link' });

    interface RunView {
      product: string;
      status: string;
      error: {
        source: string;
        code: string;
        action: string;
        retryable: boolean;
        retry_after_ms: number | null;
        plaid: { error_type: string; error_code: string; request_id: string | null; endpoint: string } | null;
      } | null;
    }
    const body = await getValid<{ data: RunView[] }>('/v1/sync/runs', `/v1/sync/runs?item_id=${item.id}`);
    const byProduct = Object.fromEntries(body.data.map((r) => [r.product, r]));
    expect(byProduct.liabilities).toMatchObject({
      status: 'skipped',
      error: {
        source: 'plaid',
        code: 'NO_LIABILITY_ACCOUNTS',
        action: 'product_unavailable',
        retryable: false,
        retry_after_ms: null,
        plaid: {
          error_type: 'ITEM_ERROR',
          error_code: 'NO_LIABILITY_ACCOUNTS',
          endpoint: '/liabilities/get',
        },
      },
    });
    expect(byProduct.holdings).toMatchObject({
      status: 'failed',
      error: {
        source: 'plaid',
        code: 'INTERNAL_SERVER_ERROR',
        action: 'retry',
        retryable: true,
        plaid: { error_type: 'API_ERROR', error_code: 'INTERNAL_SERVER_ERROR' },
      },
    });
    expect(byProduct.holdings?.error?.retry_after_ms).toBeGreaterThan(0);
    for (const run of [byProduct.liabilities, byProduct.holdings]) {
      expect(run?.error?.plaid?.request_id).toBeTruthy();
    }
    expect(byProduct.accounts?.error).toBeNull();
  });
});
