import type {
  Holding,
  InvestmentTransaction,
  InvestmentTransactionSubtype,
  InvestmentTransactionType,
  Security,
} from 'plaid';
import { centsToAmount } from '../core/money.js';
import type { EmulatedItem } from '../state/item.js';
import type { Market } from '../state/market.js';
import { positionValueCents } from '../state/portfolio.js';
import type { InvestmentTransactionRecord } from '../state/portfolio.js';

function quantity(qtyMilli: number): number {
  const q = qtyMilli / 1000;
  return q === 0 ? 0 : q;
}

/** Holdings and the securities they reference, for the given accounts, priced on `today`. */
export function holdingsOf(
  item: EmulatedItem,
  market: Market,
  accountIds: ReadonlySet<string>,
  today: string,
): { holdings: Holding[]; securities: Security[] } {
  if (item.fixtureExtras) {
    const holdings = item.fixtureExtras.holdings.filter((h) => accountIds.has(h.account_id));
    const used = new Set(holdings.map((h) => h.security_id));
    return { holdings, securities: item.fixtureExtras.securities.filter((s) => used.has(s.security_id)) };
  }
  const portfolio = item.portfolio;
  if (!portfolio) return { holdings: [], securities: [] };
  const holdings: Holding[] = [];
  const used = new Set<string>();
  for (const account of item.accounts) {
    if (!accountIds.has(account.id) || account.rule !== 'portfolio') continue;
    for (const [securityId, p] of portfolio.positions.get(account.id) ?? []) {
      const security = market.byIdOrUndefined(securityId);
      if (!security || p.qtyMilli === 0) continue;
      const price = market.priceCents(security, today);
      holdings.push({
        account_id: account.id,
        security_id: securityId,
        institution_price: centsToAmount(price),
        institution_price_as_of: today,
        institution_price_datetime: null,
        institution_value: centsToAmount(positionValueCents(p.qtyMilli, price)),
        cost_basis: centsToAmount(p.costCents),
        quantity: quantity(p.qtyMilli),
        iso_currency_code: account.currency.iso,
        unofficial_currency_code: account.currency.unofficial,
        vested_quantity: null,
        vested_value: null,
      });
      used.add(securityId);
    }
    const cash = portfolio.cash(account.id);
    if (cash !== 0) {
      holdings.push({
        account_id: account.id,
        security_id: market.cash.id,
        institution_price: 1,
        institution_price_as_of: today,
        institution_price_datetime: null,
        institution_value: centsToAmount(cash),
        cost_basis: centsToAmount(cash),
        quantity: centsToAmount(cash),
        iso_currency_code: account.currency.iso,
        unofficial_currency_code: account.currency.unofficial,
        vested_quantity: null,
        vested_value: null,
      });
      used.add(market.cash.id);
    }
  }
  const securities = market.securities
    .filter((s) => used.has(s.id))
    .map((s) => market.toPlaidSecurity(s, today));
  return { holdings, securities };
}

export function toPlaidInvestmentTransaction(record: InvestmentTransactionRecord): InvestmentTransaction {
  return {
    investment_transaction_id: record.id,
    account_id: record.accountId,
    security_id: record.securityId,
    date: record.date,
    name: record.name,
    quantity: quantity(record.qtyMilli),
    amount: centsToAmount(record.amountCents),
    price: centsToAmount(record.priceCents),
    fees: centsToAmount(record.feesCents),
    type: record.type as InvestmentTransactionType,
    subtype: record.subtype as InvestmentTransactionSubtype,
    iso_currency_code: record.currency.iso,
    unofficial_currency_code: record.currency.unofficial,
  };
}

/** Every investment transaction of the item for the given accounts, in date range, newest first. */
export function investmentTransactionsOf(
  item: EmulatedItem,
  accountIds: ReadonlySet<string>,
  start: string,
  end: string,
): InvestmentTransaction[] {
  const source: InvestmentTransaction[] = item.fixtureExtras
    ? item.fixtureExtras.investmentTransactions
    : (item.portfolio?.transactions ?? []).map(toPlaidInvestmentTransaction);
  const rows = source
    .map((t, index) => ({ t, index }))
    .filter(({ t }) => accountIds.has(t.account_id) && t.date >= start && t.date <= end);
  rows.sort((a, b) => (a.t.date === b.t.date ? b.index - a.index : a.t.date < b.t.date ? 1 : -1));
  return rows.map(({ t }) => t);
}

export function securitiesFor(
  item: EmulatedItem,
  market: Market,
  ids: ReadonlySet<string>,
  today: string,
): Security[] {
  if (item.fixtureExtras) return item.fixtureExtras.securities.filter((s) => ids.has(s.security_id));
  return market.securities.filter((s) => ids.has(s.id)).map((s) => market.toPlaidSecurity(s, today));
}
