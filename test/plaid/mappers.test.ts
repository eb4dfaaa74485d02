import { describe, expect, it } from 'vitest';
import {
  balanceSign,
  currencyColumns,
  mapAccount,
  mapHolding,
  mapInstitution,
  mapInvestmentTransaction,
  mapLiabilities,
  mapSecurity,
  mapTransaction,
  UnknownPlaidReferenceError,
} from '../../src/plaid/mappers.js';
import {
  plaidAccount,
  plaidHolding,
  plaidInstitution,
  plaidInvestmentTransaction,
  plaidLiabilities,
  plaidSecurity,
  plaidTransaction,
} from './plaid-objects.js';

const userId = '00000000-0000-4000-8000-000000000001';
const itemId = '00000000-0000-4000-8000-000000000002';
const accountIds = new Map([
  ['acc_checking', 'uuid-checking'],
  ['acc_card', 'uuid-card'],
  ['acc_ira', 'uuid-ira'],
  ['acc_mortgage', 'uuid-mortgage'],
  ['acc_student', 'uuid-student'],
]);
const securityIds = new Map([['sec_vti', 'uuid-vti']]);

describe('mapAccount: balances from the owner side', () => {
  const balances = (current: number | null) => ({
    available: 100,
    current,
    limit: 2000,
    iso_currency_code: 'USD',
    unofficial_currency_code: null,
  });

  it.each([
    ['depository', '110.0000'],
    ['investment', '110.0000'],
    ['other', '110.0000'],
    ['brokerage', '110.0000'],
    ['some_future_type', '110.0000'],
    ['credit', '-110.0000'],
    ['loan', '-110.0000'],
  ])('should give a %s account the balance %s when Plaid says current 110', (type, expected) => {
    const row = mapAccount(plaidAccount({ type: type as never, balances: balances(110) }), {
      userId,
      itemId,
    });
    expect(row.currentBalance).toBe(expected);
    expect(row.availableBalance).toBe('100.0000');
    expect(row.creditLimit).toBe('2000.0000');
  });

  it('should make a credit card the lender owes the user positive', () => {
    const row = mapAccount(plaidAccount({ type: 'credit' as never, balances: balances(-12.5) }), {
      userId,
      itemId,
    });
    expect(row.currentBalance).toBe('12.5000');
  });

  it('should keep a null current balance null and never produce -0', () => {
    expect(
      mapAccount(plaidAccount({ type: 'credit' as never, balances: balances(null) }), { userId, itemId })
        .currentBalance,
    ).toBeNull();
    expect(
      mapAccount(plaidAccount({ type: 'loan' as never, balances: balances(0) }), { userId, itemId })
        .currentBalance,
    ).toBe('0.0000');
  });

  it('should copy identity, ids, type and raw as they come', () => {
    const plaid = plaidAccount({
      type: 'depository' as never,
      subtype: 'checking' as never,
      persistent_account_id: 'persist_1',
      balances: { ...balances(1), last_updated_datetime: '2024-05-01T10:00:00Z' },
    });
    const row = mapAccount(plaid, { userId, itemId });
    expect(row).toMatchObject({
      userId,
      itemId,
      plaidAccountId: 'acc_checking',
      persistentAccountId: 'persist_1',
      name: 'Plaid Checking',
      mask: '0000',
      type: 'depository',
      subtype: 'checking',
      isoCurrencyCode: 'USD',
      unofficialCurrencyCode: null,
    });
    expect(row.balancesAsOf).toEqual(new Date('2024-05-01T10:00:00Z'));
    expect(row.raw).toBe(plaid);
    expect(balanceSign('credit')).toBe(-1);
    expect(balanceSign('depository')).toBe(1);
  });
});

describe('mapTransaction', () => {
  it('should turn a Plaid purchase (positive) into money out (negative)', () => {
    const row = mapTransaction(plaidTransaction({ amount: 72.1 }), { userId, itemId, accountIds });
    expect(row.amount).toBe('-72.1000');
  });

  it('should turn a Plaid deposit or card payment (negative) into money in (positive)', () => {
    expect(mapTransaction(plaidTransaction({ amount: -500 }), { userId, itemId, accountIds }).amount).toBe(
      '500.0000',
    );
    expect(mapTransaction(plaidTransaction({ amount: -0 }), { userId, itemId, accountIds }).amount).toBe(
      '0.0000',
    );
    expect(
      mapTransaction(plaidTransaction({ amount: 0.1 + 0.2 }), { userId, itemId, accountIds }).amount,
    ).toBe('-0.3000');
  });

  it('should map ids, dates, merchant and the personal finance category', () => {
    const plaid = plaidTransaction({
      pending: true,
      pending_transaction_id: 'tx_0',
      datetime: '2023-09-24T11:01:01Z',
    });
    const row = mapTransaction(plaid, { userId, itemId, accountIds });
    expect(row).toMatchObject({
      userId,
      itemId,
      accountId: 'uuid-checking',
      plaidTransactionId: 'tx_1',
      pendingTransactionId: 'tx_0',
      date: '2023-09-24',
      authorizedDate: '2023-09-22',
      name: 'WALMART STORE 123',
      merchantName: 'Walmart',
      paymentChannel: 'in store',
      pending: true,
      categoryPrimary: 'GENERAL_MERCHANDISE',
      categoryDetailed: 'GENERAL_MERCHANDISE_SUPERSTORES',
      categoryConfidence: 'VERY_HIGH',
    });
    expect(row.datetime).toEqual(new Date('2023-09-24T11:01:01Z'));
    expect(row).not.toHaveProperty('raw'); // Plaid's object is kept once, in the page payload
    expect(row).not.toHaveProperty('userNote');
  });

  it('should leave the category empty when Plaid sends none', () => {
    const row = mapTransaction(plaidTransaction({ personal_finance_category: null }), {
      userId,
      itemId,
      accountIds,
    });
    expect([row.categoryPrimary, row.categoryDetailed, row.categoryConfidence]).toEqual([null, null, null]);
  });

  it('should set exactly one currency field', () => {
    const crypto = mapTransaction(
      plaidTransaction({ iso_currency_code: null, unofficial_currency_code: 'BTC' }),
      {
        userId,
        itemId,
        accountIds,
      },
    );
    expect([crypto.isoCurrencyCode, crypto.unofficialCurrencyCode]).toEqual([null, 'BTC']);
    expect(currencyColumns('USD', 'BTC')).toEqual({ isoCurrencyCode: 'USD', unofficialCurrencyCode: null });
    expect(currencyColumns(null, null)).toEqual({ isoCurrencyCode: null, unofficialCurrencyCode: null });
  });

  it('should refuse a transaction of an account the caller did not pass', () => {
    expect(() =>
      mapTransaction(plaidTransaction({ account_id: 'acc_new' }), { userId, itemId, accountIds }),
    ).toThrow(UnknownPlaidReferenceError);
  });
});

describe('investments', () => {
  it('should map a security with exact prices', () => {
    const row = mapSecurity(plaidSecurity({ unofficial_currency_code: null }));
    expect(row).toMatchObject({
      plaidSecurityId: 'sec_vti',
      tickerSymbol: 'VTI',
      type: 'etf',
      isCashEquivalent: false,
      closePrice: '241.3700000000',
      closePriceAsOf: '2024-05-01',
      isoCurrencyCode: 'USD',
    });
    expect(mapSecurity(plaidSecurity({ is_cash_equivalent: null, close_price: null })).closePrice).toBeNull();
  });

  it('should keep the institution value and total cost basis as reported', () => {
    const row = mapHolding(plaidHolding(), { userId, accountIds, securityIds });
    expect(row).toMatchObject({
      userId,
      accountId: 'uuid-ira',
      securityId: 'uuid-vti',
      quantity: '2.5000000000',
      institutionPrice: '10.4200000000',
      institutionValue: '26.0500',
      costBasis: '20.0000',
      institutionPriceAsOf: '2021-04-13',
    });
    expect(
      mapHolding(plaidHolding({ cost_basis: null }), { userId, accountIds, securityIds }).costBasis,
    ).toBeNull();
    expect(() =>
      mapHolding(plaidHolding({ security_id: 'sec_unknown' }), { userId, accountIds, securityIds }),
    ).toThrow(UnknownPlaidReferenceError);
  });

  it('should make a buy cash out (negative amount) and keep the quantity sign', () => {
    const buy = mapInvestmentTransaction(plaidInvestmentTransaction(), {
      userId,
      itemId,
      accountIds,
      securityIds,
    });
    expect(buy).toMatchObject({
      amount: '-1000.5000',
      quantity: '10.0000000000',
      price: '100.0000000000',
      fees: '0.5000',
      securityId: 'uuid-vti',
      type: 'buy',
      subtype: 'buy',
      plaidInvestmentTransactionId: 'itx_1',
    });
  });

  it('should make a sell cash in (positive amount) with a negative quantity', () => {
    const sell = mapInvestmentTransaction(
      plaidInvestmentTransaction({
        amount: -2500.25,
        quantity: -25,
        type: 'sell' as never,
        subtype: 'sell' as never,
      }),
      { userId, itemId, accountIds, securityIds },
    );
    expect(sell.amount).toBe('2500.2500');
    expect(sell.quantity).toBe('-25.0000000000');
  });

  it('should map a cash movement without a security', () => {
    const fee = mapInvestmentTransaction(
      plaidInvestmentTransaction({ security_id: null, amount: 4.99, quantity: 0, fees: null }),
      { userId, itemId, accountIds, securityIds },
    );
    expect(fee).toMatchObject({ securityId: null, amount: '-4.9900', quantity: '0.0000000000', fees: null });
  });
});

describe('mapInstitution', () => {
  it('should key the institution by Plaid institution id', () => {
    expect(mapInstitution(plaidInstitution())).toMatchObject({
      id: 'ins_109508',
      name: 'First Platypus Bank',
      url: 'https://www.plaid.com',
      primaryColor: '#1f1f1f',
      logo: null,
      countryCodes: ['US'],
    });
  });
});

describe('mapLiabilities', () => {
  const rows = mapLiabilities(plaidLiabilities(), { userId, accountIds });
  const byKind = (kind: string) => rows.find((row) => row.kind === kind);

  it('should produce one row per liability account and skip card entries without an account', () => {
    expect(rows.map((row) => [row.kind, row.accountId])).toEqual([
      ['credit', 'uuid-card'],
      ['mortgage', 'uuid-mortgage'],
      ['student', 'uuid-student'],
    ]);
  });

  it('should map a credit card with its purchase APR and keep the rest in details', () => {
    const card = byKind('credit')!;
    expect(card).toMatchObject({
      userId,
      lastStatementBalance: '1708.7700',
      minimumPaymentAmount: '20.0000',
      nextPaymentDueDate: '2020-05-28',
      lastPaymentAmount: '168.2500',
      lastPaymentDate: '2019-05-22',
      interestRatePercentage: '15.2400',
    });
    expect(card.details).toMatchObject({ is_overdue: false, last_statement_issue_date: '2019-05-28' });
    expect(card.details).toHaveProperty('aprs');
    expect(card.details).not.toHaveProperty('last_statement_balance');
  });

  it('should map a mortgage', () => {
    expect(byKind('mortgage')).toMatchObject({
      minimumPaymentAmount: '3141.5400',
      nextPaymentDueDate: '2019-11-15',
      interestRatePercentage: '3.9900',
      originationPrincipalAmount: '425000.0000',
      maturityDate: '2045-07-31',
      lastStatementBalance: null,
    });
    expect(byKind('mortgage')!.details).toMatchObject({ escrow_balance: 3141.54, loan_term: '30 year' });
  });

  it('should map a student loan', () => {
    expect(byKind('student')).toMatchObject({
      lastStatementBalance: '1955.5500',
      minimumPaymentAmount: '25.0000',
      interestRatePercentage: '5.2500',
      originationPrincipalAmount: '25000.0000',
      maturityDate: '2032-07-28',
    });
    expect(byKind('student')!.details).toMatchObject({ loan_name: 'Consolidation', guarantor: 'DEPT OF ED' });
  });

  it('should accept missing lists and the newer loan kinds', () => {
    expect(mapLiabilities({ credit: null, mortgage: null, student: null }, { userId, accountIds })).toEqual(
      [],
    );
    const [loan] = mapLiabilities(
      {
        credit: null,
        mortgage: null,
        student: null,
        loan: [
          {
            account_id: 'acc_mortgage',
            account_number: null,
            interest_rate: { percentage: 7.5, type: 'fixed' as never },
            principal_balance: 9000,
            origination_principal_amount: 10000,
            origination_date: '2024-01-01',
            loan_term_months: 36,
            maturity_date: '2027-01-01',
            payment_count: null,
            payment_frequency: null,
            next_payment_amount: 311.06,
            next_payment_due_date: '2024-06-01',
            last_payment_amount: null,
            last_payment_date: null,
            payoff_amount: null,
            ytd_interest_paid: null,
            compounding_period: null,
          },
        ],
      },
      { userId, accountIds },
    );
    expect(loan).toMatchObject({
      kind: 'loan',
      minimumPaymentAmount: '311.0600',
      interestRatePercentage: '7.5000',
    });
  });
});
