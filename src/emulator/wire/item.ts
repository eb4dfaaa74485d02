import type { Item, ItemWithConsentFields, Products } from 'plaid';
import type { EmulatorStore } from '../state/store.js';
import type { EmulatedItem } from '../state/item.js';

const BILLABLE = new Set(['transactions', 'investments', 'liabilities', 'auth', 'identity', 'assets']);

/** The Plaid `Item` object. */
export function toPlaidItem(store: EmulatorStore, item: EmulatedItem): Item {
  const institution = store.institutions.get(item.institutionId);
  const billed = item.products.filter((p) => BILLABLE.has(p));
  const available = (institution?.products ?? []).filter(
    (p) => !item.products.includes(p) && p !== 'balance',
  );
  return {
    available_products: available as Products[],
    billed_products: billed as Products[],
    consent_expiration_time: null,
    error: item.error,
    institution_id: item.institutionId,
    institution_name: item.institutionName,
    item_id: item.id,
    products: item.products as Products[],
    consented_products: item.products as Products[],
    update_type: 'background' as Item['update_type'],
    webhook: item.webhook,
    auth_method: null,
  };
}

export function toPlaidItemWithConsent(store: EmulatorStore, item: EmulatedItem): ItemWithConsentFields {
  return { ...toPlaidItem(store, item), created_at: item.createdAt } as unknown as ItemWithConsentFields;
}
