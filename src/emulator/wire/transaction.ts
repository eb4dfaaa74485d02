import type { PersonalFinanceCategory, Transaction, TransactionCounterparty } from 'plaid';
import { centsToAmount } from '../core/money.js';
import type { TransactionRecord } from '../state/transaction-record.js';

export interface TransactionWireOptions {
  readonly includeOriginalDescription?: boolean;
}

/** Builds the Plaid `Transaction` for a stored record. */
export function toPlaidTransaction(
  record: TransactionRecord,
  options: TransactionWireOptions = {},
): Transaction {
  const d = record.descriptor;
  const name = record.nameOverride ?? d.name;
  const pfc = d.personal_finance_category;
  const transaction: Transaction = {
    account_id: record.accountId,
    account_owner: null,
    amount: centsToAmount(record.amountCents),
    authorized_date: record.authorizedDate,
    authorized_datetime: null,
    check_number: null,
    counterparties: d.counterparties as TransactionCounterparty[],
    date: record.date,
    datetime: null,
    iso_currency_code: record.currency.iso,
    location: d.location,
    logo_url: d.logo_url,
    merchant_entity_id: d.merchant_entity_id,
    merchant_name: d.merchant_name,
    name,
    original_description: options.includeOriginalDescription ? name.toUpperCase() : null,
    payment_channel: d.payment_channel as Transaction['payment_channel'],
    payment_meta: d.payment_meta,
    pending: record.pending,
    pending_transaction_id: record.pendingTransactionId,
    personal_finance_category: pfc ? ({ ...pfc, version: 'v1' } as PersonalFinanceCategory) : null,
    transaction_code: d.transaction_code as Transaction['transaction_code'],
    transaction_id: record.id,
    unofficial_currency_code: record.currency.unofficial,
    website: d.website,
  };
  return d.extras ? { ...transaction, ...d.extras, ...structural(transaction) } : transaction;
}

/** Fields a fixture's extras may never override: they belong to the record. */
function structural(t: Transaction): Partial<Transaction> {
  return {
    account_id: t.account_id,
    amount: t.amount,
    date: t.date,
    authorized_date: t.authorized_date,
    pending: t.pending,
    pending_transaction_id: t.pending_transaction_id,
    transaction_id: t.transaction_id,
    iso_currency_code: t.iso_currency_code,
    unofficial_currency_code: t.unofficial_currency_code,
    name: t.name,
  };
}
