import { describe, expect, it } from 'vitest';
import { generateItem } from '../../src/emulator/generator/generate-item.js';
import { Market } from '../../src/emulator/state/market.js';
import { toPlaidAccount } from '../../src/emulator/wire/account.js';
import { toPlaidTransaction } from '../../src/emulator/wire/transaction.js';

function generate(seed: number, itemId = 'item-a', days = 120, username = 'user_good') {
  const market = new Market(seed);
  const item = generateItem(
    {
      seed,
      itemId,
      institutionId: 'ins_109508',
      institutionName: 'First Platypus Bank',
      username,
      profile: 'stable',
      products: ['transactions', 'investments'],
      webhook: null,
      daysRequested: days,
      today: '2025-03-14',
      createdAt: '2025-03-14T12:00:00.000Z',
    },
    market,
  );
  return { item, market };
}

function snapshot(seed: number, itemId?: string) {
  const { item } = generate(seed, itemId);
  return {
    transactions: [...item.ledger.live()].map((r) => toPlaidTransaction(r)),
    accounts: item.accounts.map((a) => toPlaidAccount(item, a, '2025-03-14')),
  };
}

describe('data generator', () => {
  it('is deterministic by seed', () => {
    expect(snapshot(7)).toEqual(snapshot(7));
    expect(snapshot(7).transactions).not.toEqual(snapshot(8).transactions);
  });

  it('gives two items of the same user the same amounts under different ids', () => {
    const a = snapshot(7, 'item-a').transactions;
    const b = snapshot(7, 'item-b').transactions;
    expect(a.map((t) => [t.amount, t.date, t.name])).toEqual(b.map((t) => [t.amount, t.date, t.name]));
    expect(a[0]!.transaction_id).not.toBe(b[0]!.transaction_id);
  });

  it('keeps every amount an exact number of cents and exactly one currency field', () => {
    const { transactions } = snapshot(3);
    for (const t of transactions) {
      expect(Number.isInteger(Math.round(t.amount * 100))).toBe(true);
      expect(Math.round(t.amount * 100) / 100).toBe(t.amount);
      expect((t.iso_currency_code === null) !== (t.unofficial_currency_code === null)).toBe(true);
    }
  });

  it('generates realistic categories: salary in, rent, groceries, restaurants, subscriptions, card payments, refunds', () => {
    const { transactions } = snapshot(11);
    const detailed = new Set(transactions.map((t) => t.personal_finance_category?.detailed));
    for (const d of [
      'INCOME_WAGES',
      'RENT_AND_UTILITIES_RENT',
      'FOOD_AND_DRINK_GROCERIES',
      'FOOD_AND_DRINK_RESTAURANT',
      'ENTERTAINMENT_TV_AND_MOVIES',
      'LOAN_PAYMENTS_CREDIT_CARD_PAYMENT',
      'TRANSFER_IN_SAVINGS',
    ]) {
      expect(detailed).toContain(d);
    }
    expect(
      transactions
        .filter((t) => t.personal_finance_category?.detailed === 'INCOME_WAGES')
        .every((t) => t.amount < 0),
    ).toBe(true);
    expect(transactions.some((t) => t.name === 'Amazon Refund' && t.amount < 0)).toBe(true);
    const cardPayments = transactions.filter((t) => t.name === 'PLAID CREDIT CARD AUTOPAY');
    const cardCredits = transactions.filter((t) => t.name === 'AUTOPAY PAYMENT - THANK YOU');
    for (const p of cardPayments.filter((t) => t.date < '2025-03-10')) {
      expect(cardCredits.some((c) => c.amount === -p.amount)).toBe(true);
    }
  });

  it('moves prices deterministically and keeps them positive', () => {
    const market = new Market(5);
    const vti = market.bySymbol('VTI');
    expect(market.priceCents(vti, '2025-01-02')).toBe(new Market(5).priceCents(vti, '2025-01-02'));
    expect(market.priceCents(vti, '2025-01-02')).not.toBe(market.priceCents(vti, '2025-01-03'));
    expect(market.priceCents(market.cash, '2025-01-02')).toBe(100);
  });

  it('derives holdings from opening positions plus investment transactions', () => {
    const { item } = generate(9, 'item-x', 365);
    const portfolio = item.portfolio!;
    const ira = item.accountByRole('ira')!;
    const buys = portfolio.transactions.filter((t) => t.accountId === ira.id && t.type === 'buy');
    expect(buys.length).toBeGreaterThanOrEqual(11);
    const cash = portfolio.transactions
      .filter((t) => t.accountId === ira.id)
      .reduce((sum, t) => sum - t.amountCents - t.feesCents, 30_000);
    expect(portfolio.cash(ira.id)).toBe(cash);
  });
});
