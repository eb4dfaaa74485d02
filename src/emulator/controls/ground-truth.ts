import type { AccountBase, Holding, InvestmentTransaction, Security, Transaction } from 'plaid';
import type { EmulatedItem } from '../state/item.js';
import type { EmulatorStore } from '../state/store.js';
import { toPlaidAccount } from '../wire/account.js';
import { holdingsOf, investmentTransactionsOf } from '../wire/investments.js';
import { toPlaidTransaction } from '../wire/transaction.js';

/** What a correct client should hold for an item right now. */
export interface GroundTruth {
  readonly item_id: string;
  readonly now: string;
  /** Every live transaction, sorted by `transaction_id`. */
  readonly transactions: Transaction[];
  readonly accounts: AccountBase[];
  readonly holdings: Holding[];
  readonly securities: Security[];
  readonly investment_transactions: InvestmentTransaction[];
}

export function groundTruth(store: EmulatorStore, item: EmulatedItem): GroundTruth {
  const today = store.clock.today();
  const transactions = [...item.ledger.live()]
    .map((r) => toPlaidTransaction(r))
    .sort((a, b) => (a.transaction_id < b.transaction_id ? -1 : a.transaction_id > b.transaction_id ? 1 : 0));
  const investmentIds = new Set(item.accounts.filter((a) => a.type === 'investment').map((a) => a.id));
  const { holdings, securities } = holdingsOf(item, store.market, investmentIds, today);
  return {
    item_id: item.id,
    now: store.clock.now().toISOString(),
    transactions,
    accounts: item.accounts.map((a) => toPlaidAccount(item, a, today)),
    holdings,
    securities,
    investment_transactions: investmentTransactionsOf(item, investmentIds, '0000-01-01', '9999-12-31'),
  };
}
