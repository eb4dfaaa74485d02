/**
 * Which products a sync of an item runs, and what the item's owner is shown of each.
 *
 * Accounts (and balances) always; then the sync products of the Plaid products the item has (what Plaid
 * lists in `products`, `billed_products` and `consented_products`, refreshed from every `/accounts/get`
 * answer): transactions → `transactions`; investments → `holdings` + `investment_transactions`;
 * liabilities → `liabilities`. Plaid's `available_products` are not synced: calling one adds (and bills)
 * a product the owner did not link. A product Plaid answered as unsupported (PRODUCTS_NOT_SUPPORTED,
 * NO_INVESTMENT_ACCOUNTS, …) is not called again until the item gains accounts or Plaid lists the product
 * anew; a product not ready yet (PRODUCT_NOT_READY) is called again by the next sync.
 */

import type { z } from 'zod';
import type { Database } from '../../db/client.js';
import { createRepositories } from '../../db/repositories/index.js';
import type { ItemProductStateRow } from '../../db/repositories/items.js';
import type { SyncProduct } from '../../db/repositories/sync-runs.js';
import { syncProducts, type ItemProductStatus } from '../../db/schema/index.js';
import type { itemSchema } from '../../http/routes/items.js';
import { toSyncErrorView } from './run-errors.js';

/** Plaid product → the sync products that read it. Other Plaid products (auth, identity…) add none. */
export const SYNC_PRODUCTS_OF_PLAID_PRODUCT: Readonly<Record<string, readonly SyncProduct[]>> = {
  transactions: ['transactions'],
  investments: ['holdings', 'investment_transactions'],
  liabilities: ['liabilities'],
};

/** The item's Plaid products as one list (Plaid's `products` ∪ `billed_products` ∪ `consented_products`). */
export function plaidProductsOf(item: {
  products?: readonly string[] | null;
  billed_products?: readonly string[] | null;
  consented_products?: readonly string[] | null;
}): string[] {
  return [
    ...new Set([
      ...(item.products ?? []),
      ...(item.billed_products ?? []),
      ...(item.consented_products ?? []),
    ]),
  ]
    .map(String)
    .sort();
}

/** `accounts` and the sync products of the item's Plaid products, in pipeline order. */
export function linkedSyncProducts(plaidProducts: readonly string[]): SyncProduct[] {
  const wanted = new Set<SyncProduct>(['accounts']);
  for (const p of plaidProducts) for (const s of SYNC_PRODUCTS_OF_PLAID_PRODUCT[p] ?? []) wanted.add(s);
  return syncProducts.filter((p) => wanted.has(p));
}

/** What a sync of the item runs: its linked products but those Plaid said are unsupported (accounts always). */
export function syncPlan(
  plaidProducts: readonly string[],
  states: readonly Pick<ItemProductStateRow, 'product' | 'status'>[],
): SyncProduct[] {
  const unsupported = new Set(states.filter((s) => s.status === 'unsupported').map((s) => s.product));
  return linkedSyncProducts(plaidProducts).filter((p) => p === 'accounts' || !unsupported.has(p));
}

/**
 * For the job queue: the products a sync of the item will run, one queued ledger row each. `db` may be
 * the caller's transaction. An item that is not the user's gets accounts only (its sync will refuse it).
 */
export async function plannedSyncProducts(
  db: Database,
  userId: string,
  itemId: string,
): Promise<SyncProduct[]> {
  const { items } = createRepositories(db);
  const item = await items.findItem(userId, itemId);
  if (!item) return ['accounts'];
  return syncPlan(item.products, await items.listProductStates(userId, itemId));
}

export type SyncProductStatus = ItemProductStatus | 'not_linked';

/** One entry of `sync_products` in `GET /v1/items`, typed by the route's response schema. */
export type SyncProductStateView = z.output<typeof itemSchema>['sync_products'][number];

/** Every sync product of the item with its state (`not_linked`: the item has no such Plaid product). */
export function syncProductsView(
  plaidProducts: readonly string[],
  states: readonly ItemProductStateRow[],
): SyncProductStateView[] {
  const linked = new Set(linkedSyncProducts(plaidProducts));
  const byProduct = new Map(states.map((s) => [s.product, s]));
  return syncProducts.map((product) => {
    const state = byProduct.get(product);
    if (!linked.has(product))
      return { product, status: 'not_linked', since: null, checked_at: null, reason: null };
    if (!state) return { product, status: 'active', since: null, checked_at: null, reason: null };
    return {
      product,
      status: state.status,
      since: state.since.toISOString(),
      checked_at: state.checkedAt.toISOString(),
      reason: state.status === 'active' ? null : toSyncErrorView(state.reason),
    };
  });
}
