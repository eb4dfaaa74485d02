import { addDays, dayOfMonth, monthOf } from '../core/dates.js';
import type { Prng } from '../core/prng.js';
import type { AccountRecord } from '../state/account-record.js';
import type { EmulatedItem } from '../state/item.js';
import type { Market, MarketSecurity } from '../state/market.js';
import { positionValueCents } from '../state/portfolio.js';
import type { InvestmentTransactionRecord, Portfolio } from '../state/portfolio.js';

type Draft = Omit<InvestmentTransactionRecord, 'id' | 'currency' | 'accountId' | 'date'>;

function record(
  item: EmulatedItem,
  portfolio: Portfolio,
  account: AccountRecord,
  date: string,
  draft: Draft,
): void {
  portfolio.record({
    ...draft,
    id: item.ids.next(),
    accountId: account.id,
    date,
    currency: account.currency,
  });
}

function contribution(
  item: EmulatedItem,
  p: Portfolio,
  account: AccountRecord,
  date: string,
  name: string,
  cents: number,
): void {
  record(item, p, account, date, {
    securityId: null,
    name,
    qtyMilli: 0,
    amountCents: -cents,
    priceCents: 100,
    feesCents: 0,
    type: 'cash',
    subtype: 'contribution',
  });
}

/** Buys as many thousandths of a share as `budgetCents` allows. */
function buy(
  item: EmulatedItem,
  p: Portfolio,
  market: Market,
  account: AccountRecord,
  security: MarketSecurity,
  date: string,
  budgetCents: number,
): void {
  const price = market.priceCents(security, date);
  const qtyMilli = Math.floor((budgetCents * 1000) / price);
  if (qtyMilli <= 0) return;
  record(item, p, account, date, {
    securityId: security.id,
    name: `BUY ${security.spec.name}`,
    qtyMilli,
    amountCents: positionValueCents(qtyMilli, price),
    priceCents: price,
    feesCents: 0,
    type: 'buy',
    subtype: 'buy',
  });
}

function sell(
  item: EmulatedItem,
  p: Portfolio,
  market: Market,
  account: AccountRecord,
  security: MarketSecurity,
  date: string,
  qtyMilli: number,
): void {
  const price = market.priceCents(security, date);
  record(item, p, account, date, {
    securityId: security.id,
    name: `SELL ${security.spec.name}`,
    qtyMilli: -qtyMilli,
    amountCents: -positionValueCents(qtyMilli, price),
    priceCents: price,
    feesCents: 0,
    type: 'sell',
    subtype: 'sell',
  });
}

/** Opening positions on the first day of history, valued at that day's prices. */
export function openPositions(item: EmulatedItem, p: Portfolio, market: Market, date: string): void {
  const open = (account: AccountRecord | undefined, ticker: string, shares: number) => {
    if (!account) return;
    const security = market.bySymbol(ticker);
    const qtyMilli = shares * 1000;
    p.open(
      account.id,
      security,
      qtyMilli,
      Math.round(positionValueCents(qtyMilli, market.priceCents(security, date)) * 0.85),
    );
  };
  const brokerage = item.accountByRole('brokerage');
  const ira = item.accountByRole('ira');
  const k401 = item.accountByRole('k401');
  open(brokerage, 'AAPL', 25);
  open(brokerage, 'MSFT', 12);
  open(brokerage, 'VTI', 40);
  if (brokerage) p.openCash(brokerage.id, 250_000);
  open(ira, 'VXUS', 150);
  open(ira, 'BND', 120);
  open(ira, 'VFIAX', 20);
  if (ira) p.openCash(ira.id, 30_000);
  open(k401, 'VTTSX', 900);
}

/** One day of investment activity: contributions and buys, dividends, fees, occasional trades. */
export function dailyInvesting(item: EmulatedItem, market: Market, date: string, prng: Prng): void {
  const p = item.portfolio;
  if (!p) return;
  const dom = dayOfMonth(date);
  const month = monthOf(date);
  const brokerage = item.accountByRole('brokerage');
  const ira = item.accountByRole('ira');
  const k401 = item.accountByRole('k401');

  if (k401 && dom === 15) {
    contribution(item, p, k401, date, 'EMPLOYEE CONTRIBUTION', 50_000);
    contribution(item, p, k401, date, 'EMPLOYER MATCH', 25_000);
    buy(item, p, market, k401, market.bySymbol('VTTSX'), date, p.cash(k401.id));
  }
  // The checking leg of this contribution left the day before (daily-spending, day 3).
  if (ira && dom === 4) {
    contribution(item, p, ira, date, 'CONTRIBUTION FROM CHECKING', 50_000);
    const fund = market.bySymbol(['VXUS', 'BND', 'VFIAX'][month % 3] ?? 'VXUS');
    buy(item, p, market, ira, fund, addDays(date, 0), 50_000);
  }
  if (dom === 15 && month % 3 === 0) {
    for (const account of [brokerage, ira]) {
      if (!account) continue;
      for (const [securityId, position] of p.positions.get(account.id) ?? []) {
        const security = market.byIdOrUndefined(securityId);
        if (!security || security.spec.quarterlyYield === 0 || position.qtyMilli <= 0) continue;
        const cents = Math.round(
          positionValueCents(position.qtyMilli, market.priceCents(security, date)) *
            security.spec.quarterlyYield,
        );
        if (cents <= 0) continue;
        record(item, p, account, date, {
          securityId,
          name: `DIVIDEND ${security.spec.ticker}`,
          qtyMilli: 0,
          amountCents: -cents,
          priceCents: 0,
          feesCents: 0,
          type: 'cash',
          subtype: 'dividend',
        });
      }
    }
  }
  if (brokerage && dom === 1 && month % 3 === 1) {
    record(item, p, brokerage, date, {
      securityId: null,
      name: 'ACCOUNT MAINTENANCE FEE',
      qtyMilli: 0,
      amountCents: 500,
      priceCents: 0,
      feesCents: 0,
      type: 'fee',
      subtype: 'account fee',
    });
  }
  if (brokerage && prng.chance(0.03)) {
    const security = market.bySymbol(prng.pick(['AAPL', 'MSFT', 'VTI']));
    const shares = prng.int(1, 4) * 1000;
    const cost = positionValueCents(shares, market.priceCents(security, date));
    const held = p.position(brokerage.id, security.id).qtyMilli;
    if (p.cash(brokerage.id) >= cost) buy(item, p, market, brokerage, security, date, cost);
    else if (held >= shares) sell(item, p, market, brokerage, security, date, shares);
  }
}
