import { randomUUID } from 'node:crypto';
import type { Database } from '../../src/db/client.js';
import {
  accounts,
  balanceSnapshots,
  holdings,
  institutions,
  plaidItems,
  securities,
  transactions,
} from '../../src/db/schema/index.js';
import { addDays, addMonths, formatDate, toDate } from '../../src/lib/dates.js';

/**
 * A deterministic, Plaid-shaped personal-finance history for one user (Plaid's sign: positive amount =
 * money out; credit/loan `current` = amount owed). Tests compute their ground truth from these source
 * objects, independently of our tables; `insertDataset` loads them the way the sync pipeline will
 * (one sign conversion at the boundary).
 */

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SourceAccount {
  key: string;
  name: string;
  type: 'depository' | 'credit' | 'loan' | 'investment';
  subtype: string;
  currency: string;
  /** Plaid `current` on the day before the history starts (owed, for credit and loan). */
  openingCents: number;
}

export interface SourceTransaction {
  key: string;
  account: string;
  date: string;
  name: string;
  merchant: string | null;
  /** Plaid's sign: positive = money out. Integer cents. */
  plaidCents: number;
  pending: boolean;
  primary: string;
  detailed: string;
  /** Known by construction: one leg of a movement between the owner's accounts. */
  transfer?: 'internal_transfer' | 'credit_card_payment' | 'loan_payment';
  /** For such a leg, the rule (docs/domain.md) that pairs it, known by construction too. */
  transferReason?: 'same_currency_amount' | 'cross_currency_category_rate' | 'cross_currency_category_date';
  /** For such a leg, the key of the movement's other leg. */
  counterpart?: string;
}

export interface SourceHolding {
  account: string;
  securityId: string;
  ticker: string | null;
  name: string;
  type: string;
  cash: boolean;
  quantity: string;
  price: string;
  valueCents: number;
  costBasisCents: number | null;
}

export interface Dataset {
  today: string;
  start: string;
  snapshotDays: number;
  accounts: SourceAccount[];
  transactions: SourceTransaction[];
  holdings: SourceHolding[];
  /** Expected recurring series by merchant: cadence and status. */
  recurring: Record<string, { cadence: string; status: 'active' | 'lapsed'; direction: 'in' | 'out' }>;
}

const RESTAURANTS = ['Chipotle', 'Sweetgreen', 'Blue Bottle Coffee', 'Pho Saigon', 'Shake Shack'];
const GROCERS = ['Whole Foods', "Trader Joe's", 'Safeway'];

export function generateDataset(seed: number, options: { days?: number; today?: string } = {}): Dataset {
  const random = rng(seed);
  // A second stream for the movements added later, so that they leave every other draw unchanged.
  const fx = rng(seed ^ 0x5eed);
  const cents = (min: number, max: number) => Math.round((min + random() * (max - min)) * 100);
  const today = options.today ?? formatDate(new Date());
  const days = options.days ?? 420;
  const start = addDays(today, -days);
  const list: SourceTransaction[] = [];
  let n = 0;
  const add = (t: Omit<SourceTransaction, 'key' | 'pending'> & { pending?: boolean }) => {
    if (t.date < start || t.date > today) return;
    list.push({ key: `tx_${seed}_${n++}`, pending: false, ...t });
  };
  /**
   * Both legs of a movement between the owner's accounts, or neither (a leg past `today` would orphan the
   * other), each naming the other and the rule that must pair them.
   */
  const addPair = (
    reason: NonNullable<SourceTransaction['transferReason']>,
    out: Parameters<typeof add>[0],
    inflow: Parameters<typeof add>[0],
  ) => {
    if (![out, inflow].every((leg) => leg.date >= start && leg.date <= today)) return;
    add(out);
    add(inflow);
    const [a, b] = list.slice(-2) as [SourceTransaction, SourceTransaction];
    [a.transferReason, a.counterpart] = [reason, b.key];
    [b.transferReason, b.counterpart] = [reason, a.key];
  };

  const accountsList: SourceAccount[] = [
    {
      key: 'checking',
      name: 'Everyday Checking',
      type: 'depository',
      subtype: 'checking',
      currency: 'USD',
      openingCents: 500_000,
    },
    {
      key: 'savings',
      name: 'High Yield Savings',
      type: 'depository',
      subtype: 'savings',
      currency: 'USD',
      openingCents: 1_000_000,
    },
    {
      key: 'card',
      name: 'Platinum Card',
      type: 'credit',
      subtype: 'credit card',
      currency: 'USD',
      openingCents: 50_000,
    },
    {
      key: 'loan',
      name: 'Student Loan',
      type: 'loan',
      subtype: 'student',
      currency: 'USD',
      openingCents: 2_000_000,
    },
    {
      key: 'brokerage',
      name: 'Brokerage',
      type: 'investment',
      subtype: 'brokerage',
      currency: 'USD',
      openingCents: 0,
    },
    {
      key: 'eur',
      name: 'Girokonto',
      type: 'depository',
      subtype: 'checking',
      currency: 'EUR',
      openingCents: 200_000,
    },
  ];

  for (let d = start; d <= today; d = addDays(d, 1)) {
    const date = toDate(d);
    const dom = date.getUTCDate();
    const dow = date.getUTCDay();
    // Salary every other Friday.
    if (dow === 5 && Math.floor(date.getTime() / 86_400_000 / 7) % 2 === 0) {
      add({
        account: 'checking',
        date: d,
        name: 'ACME CORP PAYROLL',
        merchant: 'Acme Corp',
        plaidCents: -250_000,
        primary: 'INCOME',
        detailed: 'INCOME_WAGES',
      });
    }
    if (dom === 1)
      add({
        account: 'checking',
        date: d,
        name: 'OAKWOOD APTS RENT',
        merchant: 'Oakwood Apartments',
        plaidCents: 180_000,
        primary: 'RENT_AND_UTILITIES',
        detailed: 'RENT_AND_UTILITIES_RENT',
      });
    if (dom === 5)
      add({
        account: 'card',
        date: d,
        name: 'NETFLIX.COM',
        merchant: 'Netflix',
        plaidCents: 1_549,
        primary: 'ENTERTAINMENT',
        detailed: 'ENTERTAINMENT_TV_AND_MOVIES',
      });
    if (dom === 12)
      add({
        account: 'card',
        date: d,
        name: 'SPOTIFY USA',
        merchant: 'Spotify',
        plaidCents: 1_099,
        primary: 'ENTERTAINMENT',
        detailed: 'ENTERTAINMENT_MUSIC_AND_AUDIO',
      });
    if (dom === 20)
      add({
        account: 'checking',
        date: d,
        name: 'IRONWORKS GYM',
        merchant: 'Ironworks Gym',
        plaidCents: 4_500,
        primary: 'PERSONAL_CARE',
        detailed: 'PERSONAL_CARE_GYMS_AND_FITNESS_CENTERS',
      });
    if (dom === 8 && d <= addMonths(today, -5))
      add({
        account: 'card',
        date: d,
        name: 'OLD MAGAZINE SUBSCR',
        merchant: 'Old Magazine',
        plaidCents: 899,
        primary: 'GENERAL_MERCHANDISE',
        detailed: 'GENERAL_MERCHANDISE_BOOKSTORES_AND_NEWSSTANDS',
      });
    if (dom === 3)
      add({
        account: 'eur',
        date: d,
        name: 'FREELANCE GMBH',
        merchant: 'Freelance GmbH',
        plaidCents: -100_000,
        primary: 'INCOME',
        detailed: 'INCOME_OTHER_INCOME',
      });
    // Random day-to-day spending.
    if (random() < 0.3)
      add({
        account: 'card',
        date: d,
        name: 'GROCERY',
        merchant: GROCERS[Math.floor(random() * GROCERS.length)]!,
        plaidCents: cents(20, 150),
        primary: 'FOOD_AND_DRINK',
        detailed: 'FOOD_AND_DRINK_GROCERIES',
      });
    if (random() < 0.4)
      add({
        account: 'card',
        date: d,
        name: 'RESTAURANT',
        merchant: RESTAURANTS[Math.floor(random() * RESTAURANTS.length)]!,
        plaidCents: cents(8, 80),
        primary: 'FOOD_AND_DRINK',
        detailed: 'FOOD_AND_DRINK_RESTAURANT',
      });
    if (random() < 0.15)
      add({
        account: 'eur',
        date: d,
        name: 'REWE',
        merchant: 'REWE',
        plaidCents: cents(5, 90),
        primary: 'FOOD_AND_DRINK',
        detailed: 'FOOD_AND_DRINK_GROCERIES',
      });
    if (random() < 0.03)
      add({
        account: 'card',
        date: d,
        name: 'REFUND',
        merchant: GROCERS[0]!,
        plaidCents: -cents(5, 40),
        primary: 'FOOD_AND_DRINK',
        detailed: 'FOOD_AND_DRINK_GROCERIES',
      });
    // Transfers between own accounts: both legs, opposite signs, a few days apart.
    if (dom === 15) {
      addPair(
        'same_currency_amount',
        {
          account: 'checking',
          date: d,
          name: 'TRANSFER TO SAVINGS',
          merchant: null,
          plaidCents: 50_000,
          primary: 'TRANSFER_OUT',
          detailed: 'TRANSFER_OUT_SAVINGS',
          transfer: 'internal_transfer',
        },
        {
          account: 'savings',
          date: addDays(d, 1 + Math.floor(random() * 2)),
          name: 'TRANSFER FROM CHECKING',
          merchant: null,
          plaidCents: -50_000,
          primary: 'TRANSFER_IN',
          detailed: 'TRANSFER_IN_ACCOUNT_TRANSFER',
          transfer: 'internal_transfer',
        },
      );
    }
    if (dom === 25) {
      const amount = cents(300, 1500);
      addPair(
        'same_currency_amount',
        {
          account: 'checking',
          date: d,
          name: 'PLATINUM CARD PAYMENT',
          merchant: null,
          plaidCents: amount,
          primary: 'LOAN_PAYMENTS',
          detailed: 'LOAN_PAYMENTS_CREDIT_CARD_PAYMENT',
          transfer: 'credit_card_payment',
        },
        {
          account: 'card',
          date: addDays(d, Math.floor(random() * 3)),
          name: 'PAYMENT THANK YOU',
          merchant: null,
          plaidCents: -amount,
          primary: 'TRANSFER_IN',
          detailed: 'TRANSFER_IN_ACCOUNT_TRANSFER',
          transfer: 'credit_card_payment',
        },
      );
    }
    if (dom === 10) {
      addPair(
        'same_currency_amount',
        {
          account: 'checking',
          date: d,
          name: 'STUDENT LOAN PMT',
          merchant: null,
          plaidCents: 25_000,
          primary: 'LOAN_PAYMENTS',
          detailed: 'LOAN_PAYMENTS_STUDENT_LOAN_PAYMENT',
          transfer: 'loan_payment',
        },
        {
          account: 'loan',
          date: d,
          name: 'PAYMENT RECEIVED',
          merchant: null,
          plaidCents: -25_000,
          primary: 'LOAN_PAYMENTS',
          detailed: 'LOAN_PAYMENTS_STUDENT_LOAN_PAYMENT',
          transfer: 'loan_payment',
        },
      );
    }
    // Funding the EUR account from USD checking through Wise: the legs differ in currency and amount (the
    // rate, less a fee) and post up to 2 days apart; both carry Plaid's transfer categories.
    if (dom === 18) {
      const usdCents = Math.round(80_000 + fx() * 70_000);
      const feeCents = 350 + Math.floor(fx() * 400);
      const eurPerUsdBasisPoints = 8_600 + Math.floor(fx() * 800); // 0.8600..0.9399 EUR per USD
      addPair(
        'cross_currency_category_rate',
        {
          account: 'checking',
          date: d,
          name: 'WISE INC USD>EUR',
          merchant: null,
          plaidCents: usdCents,
          primary: 'TRANSFER_OUT',
          detailed: 'TRANSFER_OUT_ACCOUNT_TRANSFER',
          transfer: 'internal_transfer',
        },
        {
          account: 'eur',
          date: addDays(d, Math.floor(fx() * 3)),
          name: 'WISE EUROPE SA',
          merchant: null,
          plaidCents: -Math.floor(((usdCents - feeCents) * eurPerUsdBasisPoints) / 10_000),
          primary: 'TRANSFER_IN',
          detailed: 'TRANSFER_IN_ACCOUNT_TRANSFER',
          transfer: 'internal_transfer',
        },
      );
    }
    // Money from a friend, categorised as a transfer in, the day after a Wise transfer: not the person's own
    // movement (its amount is no plausible conversion of the USD leg), so it stays EUR income. Every 4
    // months (~120-day gaps: no recurring cadence).
    if (dom === 19 && date.getUTCMonth() % 4 === 0)
      add({
        account: 'eur',
        date: d,
        name: 'UEBERWEISUNG ANNA SCHMIDT',
        merchant: null,
        plaidCents: -4_000,
        primary: 'TRANSFER_IN',
        detailed: 'TRANSFER_IN_ACCOUNT_TRANSFER',
      });
  }
  // A few pending card transactions in the last days.
  for (let i = 0; i < 3; i++) {
    add({
      account: 'card',
      date: addDays(today, -i),
      name: 'PENDING PURCHASE',
      merchant: RESTAURANTS[i]!,
      plaidCents: cents(10, 60),
      primary: 'FOOD_AND_DRINK',
      detailed: 'FOOD_AND_DRINK_RESTAURANT',
      pending: true,
    });
  }

  const holdingsList: SourceHolding[] = [
    {
      account: 'brokerage',
      securityId: `sec_vti_${seed}`,
      ticker: 'VTI',
      name: 'Vanguard Total Stock Market ETF',
      type: 'etf',
      cash: false,
      quantity: '120.5',
      price: '250.12',
      valueCents: 3_013_946,
      costBasisCents: 2_500_000,
    },
    {
      account: 'brokerage',
      securityId: `sec_aapl_${seed}`,
      ticker: 'AAPL',
      name: 'Apple Inc.',
      type: 'equity',
      cash: false,
      quantity: '40',
      price: '190.55',
      valueCents: 762_200,
      costBasisCents: 800_000,
    },
    {
      account: 'brokerage',
      securityId: `sec_bond_${seed}`,
      ticker: null,
      name: 'Municipal Bond 2031',
      type: 'fixed income',
      cash: false,
      quantity: '10',
      price: '98.7',
      valueCents: 98_700,
      costBasisCents: null,
    },
    {
      account: 'brokerage',
      securityId: `sec_cash_${seed}`,
      ticker: 'CUR:USD',
      name: 'U S Dollar',
      type: 'cash',
      cash: true,
      quantity: '1523.45',
      price: '1',
      valueCents: 152_345,
      costBasisCents: 152_345,
    },
  ];
  accountsList.find((a) => a.key === 'brokerage')!.openingCents = holdingsList.reduce(
    (s, h) => s + h.valueCents,
    0,
  );

  return {
    today,
    start,
    snapshotDays: 30,
    accounts: accountsList,
    transactions: list,
    holdings: holdingsList,
    recurring: {
      'Acme Corp': { cadence: 'biweekly', status: 'active', direction: 'in' },
      'Oakwood Apartments': { cadence: 'monthly', status: 'active', direction: 'out' },
      Netflix: { cadence: 'monthly', status: 'active', direction: 'out' },
      Spotify: { cadence: 'monthly', status: 'active', direction: 'out' },
      'Ironworks Gym': { cadence: 'monthly', status: 'active', direction: 'out' },
      'Old Magazine': { cadence: 'monthly', status: 'lapsed', direction: 'out' },
      'Freelance GmbH': { cadence: 'monthly', status: 'active', direction: 'in' },
    },
  };
}

/** Owner-side balance in cents of every account at the end of every day (ground truth). */
export function trueDailyBalances(dataset: Dataset): Map<string, Map<string, number>> {
  const result = new Map<string, Map<string, number>>();
  for (const account of dataset.accounts) {
    const liability = account.type === 'credit' || account.type === 'loan';
    let balance = liability ? -account.openingCents : account.openingCents;
    const perDay = new Map<string, number>();
    for (const t of dataset.transactions) {
      if (t.account === account.key && !t.pending)
        perDay.set(t.date, (perDay.get(t.date) ?? 0) - t.plaidCents);
    }
    const series = new Map<string, number>();
    for (let d = dataset.start; d <= dataset.today; d = addDays(d, 1)) {
      balance += perDay.get(d) ?? 0;
      series.set(d, balance);
    }
    result.set(account.key, series);
  }
  return result;
}

const centsToDecimal = (c: number) =>
  `${c < 0 ? '-' : ''}${Math.floor(Math.abs(c) / 100)}.${String(Math.abs(c) % 100).padStart(2, '0')}`;

/** Loads the dataset for a user: item, accounts, transactions, snapshots of the last days, holdings. */
export async function insertDataset(db: Database, userId: string, dataset: Dataset) {
  const institutionId = 'ins_109508';
  await db
    .insert(institutions)
    .values({ id: institutionId, name: 'First Platypus Bank', countryCodes: ['US'] })
    .onConflictDoNothing();
  const [item] = await db
    .insert(plaidItems)
    .values({
      userId,
      plaidItemId: `item_${randomUUID()}`,
      institutionId,
      accessTokenCiphertext: 'not-a-real-token',
      accessTokenKeyId: 'test',
      status: 'good',
      lastSyncedAt: new Date(),
    })
    .returning();
  const balances = trueDailyBalances(dataset);
  const ids = new Map<string, string>();
  for (const a of dataset.accounts) {
    const current = balances.get(a.key)!.get(dataset.today)!;
    const [row] = await db
      .insert(accounts)
      .values({
        userId,
        itemId: item!.id,
        plaidAccountId: `acc_${randomUUID()}`,
        name: a.name,
        mask: String(1000 + ids.size),
        type: a.type,
        subtype: a.subtype,
        currentBalance: centsToDecimal(current),
        isoCurrencyCode: a.currency,
        balancesAsOf: new Date(),
      })
      .returning();
    ids.set(a.key, row!.id);
  }
  const txRows = dataset.transactions.map((t) => ({
    userId,
    itemId: item!.id,
    accountId: ids.get(t.account)!,
    plaidTransactionId: `${t.key}_${userId.slice(0, 8)}`,
    amount: centsToDecimal(-t.plaidCents), // the boundary conversion: our sign = −Plaid's
    isoCurrencyCode: dataset.accounts.find((a) => a.key === t.account)!.currency,
    date: t.date,
    name: t.name,
    merchantName: t.merchant,
    pending: t.pending,
    categoryPrimary: t.primary,
    categoryDetailed: t.detailed,
  }));
  for (let i = 0; i < txRows.length; i += 1000)
    await db.insert(transactions).values(txRows.slice(i, i + 1000));
  const snapshots = [];
  for (const a of dataset.accounts) {
    for (let i = dataset.snapshotDays - 1; i >= 0; i--) {
      const date = addDays(dataset.today, -i);
      snapshots.push({
        accountId: ids.get(a.key)!,
        userId,
        date,
        currentBalance: centsToDecimal(balances.get(a.key)!.get(date)!),
        isoCurrencyCode: a.currency,
      });
    }
  }
  await db.insert(balanceSnapshots).values(snapshots);
  for (const h of dataset.holdings) {
    const [security] = await db
      .insert(securities)
      .values({
        plaidSecurityId: h.securityId,
        tickerSymbol: h.ticker,
        name: h.name,
        type: h.type,
        isCashEquivalent: h.cash,
        isoCurrencyCode: 'USD',
      })
      .onConflictDoUpdate({ target: securities.plaidSecurityId, set: { name: h.name } })
      .returning();
    await db.insert(holdings).values({
      userId,
      accountId: ids.get(h.account)!,
      securityId: security!.id,
      quantity: h.quantity,
      institutionPrice: h.price,
      institutionPriceAsOf: dataset.today,
      institutionValue: centsToDecimal(h.valueCents),
      costBasis: h.costBasisCents === null ? null : centsToDecimal(h.costBasisCents),
      isoCurrencyCode: 'USD',
    });
  }
  return { itemId: item!.id, accountIds: ids };
}

export { centsToDecimal };
