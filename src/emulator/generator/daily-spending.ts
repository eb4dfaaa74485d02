import {
  addDays,
  dayOfMonth,
  daysBetween,
  lastDayOfMonth,
  monthKey,
  previousMonthKey,
  weekday,
} from '../core/dates.js';
import type { Prng } from '../core/prng.js';
import * as m from '../catalog/merchants.js';
import type { Merchant } from '../catalog/merchants.js';
import type { AccountRecord } from '../state/account-record.js';
import type { EmulatedItem } from '../state/item.js';

const PAYDAY_ANCHOR = '2020-01-03';
const SALARY_CENTS = 386_247;
const RENT_CENTS = 185_000;
const STUDENT_PAYMENT_CENTS = 28_500;
const SAVINGS_TRANSFER_CENTS = 50_000;
const IRA_CONTRIBUTION_CENTS = 50_000;
const DEFAULT_CARD_PAYMENT_CENTS = 120_000;

function amount(prng: Prng, merchant: Merchant): number {
  return prng.int(merchant.minCents, merchant.maxCents);
}

/** A card purchase: pending first, posting 1–3 days later, sometimes for another amount. */
function purchase(
  item: EmulatedItem,
  account: AccountRecord,
  merchant: Merchant,
  date: string,
  prng: Prng,
  options: { tip?: boolean; vanishes?: boolean } = {},
): number {
  const cents = amount(prng, merchant);
  const tip = options.tip && prng.chance(0.5) ? Math.round(cents * (0.15 + prng.next() * 0.05)) : 0;
  item.open(account, merchant.descriptor, cents, date, {
    postOn: addDays(date, prng.int(1, 3)),
    postedCents: cents + tip,
    vanishes: options.vanishes ?? false,
  });
  return cents + tip;
}

/** A transfer between two of the user's accounts: both legs, opposite signs, `lagDays` apart. */
function transfer(
  item: EmulatedItem,
  from: AccountRecord,
  to: AccountRecord,
  cents: number,
  date: string,
  lagDays: number,
  out: Merchant,
  into: Merchant,
): void {
  item.open(from, out.descriptor, cents, date, null);
  item.schedule({ on: addDays(date, lagDays), accountId: to.id, descriptor: into.descriptor, cents: -cents });
}

/**
 * One day of everyday banking for a generated item: salary, rent, bills, card spending, transfers
 * between the user's own accounts, refunds, holds that vanish, and Canadian-dollar spending.
 */
export function dailySpending(item: EmulatedItem, date: string, prng: Prng): void {
  const checking = item.accountByRole('checking');
  const savings = item.accountByRole('savings');
  const card = item.accountByRole('credit');
  const student = item.accountByRole('student');
  const ira = item.accountByRole('ira');
  const cad = item.accountByRole('foreign_checking');
  const dom = dayOfMonth(date);
  const memory = item.memory;

  if (checking) {
    if (weekday(date) === 5 && Math.floor(daysBetween(PAYDAY_ANCHOR, date) / 7) % 2 === 0) {
      item.open(checking, m.PAYROLL.descriptor, -SALARY_CENTS, date, null);
    }
    if (dom === 1) item.open(checking, m.RENT.descriptor, RENT_CENTS, date, null);
    if (dom === 5 && item.mortgage) {
      item.open(checking, m.MORTGAGE_PAYMENT.descriptor, item.mortgage.paymentCents, date, null);
      memory.mortgagePaymentsMade++;
      memory.lastMortgagePayment = { date, cents: item.mortgage.paymentCents };
    }
    if (dom === 12) item.open(checking, m.ELECTRICITY.descriptor, amount(prng, m.ELECTRICITY), date, null);
    if (dom === 15 && student) {
      transfer(
        item,
        checking,
        student,
        STUDENT_PAYMENT_CENTS,
        date,
        2,
        m.STUDENT_PAYMENT_OUT,
        m.STUDENT_PAYMENT_IN,
      );
      memory.lastStudentPayment = { date: addDays(date, 2), cents: STUDENT_PAYMENT_CENTS };
    }
    if (dom === 20 && savings) {
      transfer(item, checking, savings, SAVINGS_TRANSFER_CENTS, date, 1, m.SAVINGS_OUT, m.SAVINGS_IN);
    }
    if (dom === 3 && ira)
      item.open(checking, m.IRA_CONTRIBUTION.descriptor, IRA_CONTRIBUTION_CENTS, date, null);
    if (dom === 22 && card) {
      const spent = memory.cardSpendByMonth.get(previousMonthKey(date));
      const cents = spent !== undefined && spent > 0 ? spent : DEFAULT_CARD_PAYMENT_CENTS;
      transfer(item, checking, card, cents, date, 2, m.CARD_PAYMENT_OUT, m.CARD_PAYMENT_IN);
      memory.lastCardPayment = { date: addDays(date, 2), cents };
    }
    if (prng.chance(0.03))
      item.open(checking, m.ATM.descriptor, prng.pick([6_000, 10_000, 20_000]), date, null);
  }
  if (savings && lastDayOfMonth(date))
    item.open(savings, m.INTEREST.descriptor, -prng.int(300, 700), date, null);

  if (card) {
    let spent = 0;
    if (prng.chance(0.3)) spent += purchase(item, card, prng.pick(m.GROCERIES), date, prng);
    if (prng.chance(0.35)) spent += purchase(item, card, prng.pick(m.RESTAURANTS), date, prng, { tip: true });
    if (prng.chance(0.45)) spent += purchase(item, card, prng.pick(m.COFFEE), date, prng);
    if (prng.chance(0.12)) spent += purchase(item, card, prng.pick(m.SHOPPING), date, prng);
    if (prng.chance(0.1)) spent += purchase(item, card, prng.pick(m.GAS), date, prng);
    if (prng.chance(0.12)) spent += purchase(item, card, prng.pick(m.RIDES), date, prng);
    if (prng.chance(0.008)) spent += purchase(item, card, m.FLIGHTS, date, prng);
    if (prng.chance(0.01)) purchase(item, card, m.HOTEL_HOLD, date, prng, { vanishes: true });
    if (prng.chance(0.02)) {
      const refund = amount(prng, m.REFUND);
      item.open(card, m.REFUND.descriptor, -refund, date, null);
      spent -= refund;
    }
    for (const sub of m.SUBSCRIPTIONS) {
      if (sub.day === dom) {
        item.open(card, sub.merchant.descriptor, sub.cents, date, {
          postOn: addDays(date, 1),
          postedCents: sub.cents,
          vanishes: false,
        });
        spent += sub.cents;
      }
    }
    const key = monthKey(date);
    memory.cardSpendByMonth.set(key, (memory.cardSpendByMonth.get(key) ?? 0) + spent);
  }

  if (cad) {
    if (dom === 2) item.open(cad, m.CAD_DEPOSIT.descriptor, -25_000, date, null);
    for (const merchant of m.CAD_SPENDING) {
      if (prng.chance(0.1)) purchase(item, cad, merchant, date, prng);
    }
  }
}
