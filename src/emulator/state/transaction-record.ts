import type { Location, PaymentMeta, Transaction, TransactionCode, TransactionCounterparty } from 'plaid';
import type { Currency } from '../core/money.js';

/** Everything about a transaction that comes from its merchant; shared by all rows of that merchant. */
export interface TransactionDescriptor {
  readonly name: string;
  readonly merchant_name: string | null;
  readonly merchant_entity_id: string | null;
  readonly payment_channel: 'online' | 'in store' | 'other';
  readonly personal_finance_category: {
    readonly primary: string;
    readonly detailed: string;
    readonly confidence_level: string;
  } | null;
  readonly website: string | null;
  readonly logo_url: string | null;
  readonly transaction_code: `${TransactionCode}` | null;
  readonly counterparties: readonly TransactionCounterparty[];
  readonly location: Location;
  readonly payment_meta: PaymentMeta;
  /** Other Plaid fields a fixture supplied verbatim (e.g. `category`, `check_number`). */
  readonly extras?: Readonly<Partial<Transaction>>;
}

/**
 * One transaction as the emulator stores it: compact, immutable, money in integer cents. A change
 * (posting, a tip, churn) replaces the record; the wire object is built only when served.
 */
export interface TransactionRecord {
  readonly id: string;
  readonly accountId: string;
  readonly amountCents: number;
  readonly currency: Currency;
  readonly date: string;
  readonly authorizedDate: string | null;
  readonly pending: boolean;
  readonly pendingTransactionId: string | null;
  readonly descriptor: TransactionDescriptor;
  /** Replaces `descriptor.name` after churn renamed the row. */
  readonly nameOverride?: string;
}

export const EMPTY_LOCATION: Location = Object.freeze({
  address: null,
  city: null,
  region: null,
  postal_code: null,
  country: null,
  lat: null,
  lon: null,
  store_number: null,
});

export const EMPTY_PAYMENT_META: PaymentMeta = Object.freeze({
  reference_number: null,
  ppd_id: null,
  payee: null,
  by_order_of: null,
  payer: null,
  payment_method: null,
  payment_processor: null,
  reason: null,
});
