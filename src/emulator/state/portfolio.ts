import type { Currency } from '../core/money.js';
import type { Market, MarketSecurity } from './market.js';

export interface Position {
  /** Thousandths of a share (cash: thousandths of a dollar). */
  qtyMilli: number;
  /** Total cost of the position in cents (Plaid's `cost_basis` is a total, not per share). */
  costCents: number;
}

export type InvestmentType = 'buy' | 'sell' | 'cash' | 'fee' | 'transfer' | 'cancel';

export interface InvestmentTransactionRecord {
  readonly id: string;
  readonly accountId: string;
  readonly securityId: string | null;
  readonly date: string;
  readonly name: string;
  readonly qtyMilli: number;
  /** Positive when cash leaves the account (a buy, a fee), negative when it comes in. */
  readonly amountCents: number;
  readonly priceCents: number;
  readonly feesCents: number;
  readonly type: InvestmentType;
  readonly subtype: string;
  readonly currency: Currency;
}

/** Value of `qtyMilli` thousandths at `priceCents`, in cents. */
export function positionValueCents(qtyMilli: number, priceCents: number): number {
  return Math.round((qtyMilli * priceCents) / 1000);
}

/**
 * An item's investment positions and their history. Holdings are the opening positions plus every
 * investment transaction: buys add shares and cost, sells remove shares and a proportional cost,
 * and every transaction moves the account's cash by −amount.
 */
export class Portfolio {
  readonly positions = new Map<string, Map<string, Position>>();
  readonly cashCents = new Map<string, number>();
  readonly transactions: InvestmentTransactionRecord[] = [];

  constructor(private readonly market: Market) {}

  position(accountId: string, securityId: string): Position {
    let byAccount = this.positions.get(accountId);
    if (!byAccount) {
      byAccount = new Map();
      this.positions.set(accountId, byAccount);
    }
    let p = byAccount.get(securityId);
    if (!p) {
      p = { qtyMilli: 0, costCents: 0 };
      byAccount.set(securityId, p);
    }
    return p;
  }

  cash(accountId: string): number {
    return this.cashCents.get(accountId) ?? 0;
  }

  open(accountId: string, security: MarketSecurity, qtyMilli: number, costCents: number): void {
    const p = this.position(accountId, security.id);
    p.qtyMilli += qtyMilli;
    p.costCents += costCents;
  }

  openCash(accountId: string, cents: number): void {
    this.cashCents.set(accountId, this.cash(accountId) + cents);
  }

  record(tx: InvestmentTransactionRecord): void {
    this.transactions.push(tx);
    this.cashCents.set(tx.accountId, this.cash(tx.accountId) - tx.amountCents - tx.feesCents);
    if (!tx.securityId || tx.qtyMilli === 0) return;
    const p = this.position(tx.accountId, tx.securityId);
    if (tx.qtyMilli > 0) {
      p.costCents += tx.amountCents;
    } else if (p.qtyMilli > 0) {
      p.costCents -= Math.round((p.costCents * -tx.qtyMilli) / p.qtyMilli);
    }
    p.qtyMilli += tx.qtyMilli;
  }

  /** Market value of the account in cents on `date`, cash included. */
  valueCents(accountId: string, date: string): number {
    let total = this.cash(accountId);
    for (const [securityId, p] of this.positions.get(accountId) ?? []) {
      const security = this.market.byIdOrUndefined(securityId);
      if (!security || p.qtyMilli === 0) continue;
      total += positionValueCents(p.qtyMilli, this.market.priceCents(security, date));
    }
    return total;
  }
}
