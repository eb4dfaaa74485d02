import type { TransactionRecord } from './transaction-record.js';

interface Totals {
  postedCents: number;
  pendingOutCents: number;
}

/** Running sums per account, kept up to date by the ledger's listener, so balances cost O(1). */
export class BalanceBook {
  private readonly totals = new Map<string, Totals>();

  totalsOf(accountId: string): Totals {
    let t = this.totals.get(accountId);
    if (!t) {
      t = { postedCents: 0, pendingOutCents: 0 };
      this.totals.set(accountId, t);
    }
    return t;
  }

  readonly onChange = (before: TransactionRecord | null, after: TransactionRecord | null): void => {
    if (before) this.apply(before, -1);
    if (after) this.apply(after, 1);
  };

  private apply(record: TransactionRecord, sign: 1 | -1): void {
    const t = this.totalsOf(record.accountId);
    if (record.pending) {
      if (record.amountCents > 0) t.pendingOutCents += sign * record.amountCents;
    } else {
      t.postedCents += sign * record.amountCents;
    }
  }
}
