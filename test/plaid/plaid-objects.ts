/** Plaid-shaped objects for the adapter's tests (the fields the mappers read, plus a few they keep raw). */
import type {
  AccountBase,
  Holding,
  Institution,
  InvestmentTransaction,
  LiabilitiesObject,
  Security,
  Transaction,
} from 'plaid';

export function plaidAccount(overrides: Partial<AccountBase> & Pick<AccountBase, 'type'>): AccountBase {
  return {
    account_id: 'acc_checking',
    name: 'Plaid Checking',
    official_name: 'Plaid Gold Standard 0% Interest Checking',
    mask: '0000',
    subtype: null,
    balances: {
      available: 100,
      current: 110,
      limit: null,
      iso_currency_code: 'USD',
      unofficial_currency_code: null,
    },
    ...overrides,
  } as AccountBase;
}

export function plaidTransaction(overrides: Partial<Transaction> = {}): Transaction {
  return {
    transaction_id: 'tx_1',
    account_id: 'acc_checking',
    amount: 72.1,
    iso_currency_code: 'USD',
    unofficial_currency_code: null,
    date: '2023-09-24',
    authorized_date: '2023-09-22',
    authorized_datetime: null,
    datetime: null,
    pending: false,
    pending_transaction_id: null,
    name: 'WALMART STORE 123',
    merchant_name: 'Walmart',
    merchant_entity_id: 'O5W5j4dN9OR3E6ypQmjdkWZZRoXEzVMz2ByWM',
    payment_channel: 'in store',
    transaction_code: null,
    personal_finance_category: {
      primary: 'GENERAL_MERCHANDISE',
      detailed: 'GENERAL_MERCHANDISE_SUPERSTORES',
      confidence_level: 'VERY_HIGH',
    },
    location: {},
    payment_meta: {},
    account_owner: null,
    ...overrides,
  } as Transaction;
}

export function plaidSecurity(overrides: Partial<Security> = {}): Security {
  return {
    security_id: 'sec_vti',
    isin: null,
    cusip: null,
    sedol: null,
    institution_security_id: null,
    institution_id: null,
    proxy_security_id: null,
    name: 'Vanguard Total Stock Market ETF',
    ticker_symbol: 'VTI',
    is_cash_equivalent: false,
    type: 'etf',
    close_price: 241.37,
    close_price_as_of: '2024-05-01',
    iso_currency_code: 'USD',
    unofficial_currency_code: null,
    market_identifier_code: 'XNAS',
    sector: null,
    industry: null,
    cfi_code: null,
    figi: null,
    option_contract: null,
    fixed_income: null,
    ...overrides,
  };
}

export function plaidHolding(overrides: Partial<Holding> = {}): Holding {
  return {
    account_id: 'acc_ira',
    security_id: 'sec_vti',
    quantity: 2.5,
    institution_price: 10.42,
    institution_price_as_of: '2021-04-13',
    institution_value: 26.05,
    cost_basis: 20,
    iso_currency_code: 'USD',
    unofficial_currency_code: null,
    ...overrides,
  };
}

export function plaidInvestmentTransaction(
  overrides: Partial<InvestmentTransaction> = {},
): InvestmentTransaction {
  return {
    investment_transaction_id: 'itx_1',
    account_id: 'acc_ira',
    security_id: 'sec_vti',
    date: '2024-04-02',
    name: 'BUY Vanguard Total Stock Market ETF',
    quantity: 10,
    amount: 1000.5,
    price: 100,
    fees: 0.5,
    type: 'buy',
    subtype: 'buy',
    iso_currency_code: 'USD',
    unofficial_currency_code: null,
    ...overrides,
  } as InvestmentTransaction;
}

export function plaidInstitution(): Institution {
  return {
    institution_id: 'ins_109508',
    name: 'First Platypus Bank',
    products: [],
    country_codes: ['US'],
    url: 'https://www.plaid.com',
    primary_color: '#1f1f1f',
    logo: null,
    routing_numbers: [],
    oauth: false,
  } as Institution;
}

export function plaidLiabilities(): LiabilitiesObject {
  return {
    credit: [
      {
        account_id: 'acc_card',
        aprs: [
          {
            apr_percentage: 27.95,
            apr_type: 'cash_apr',
            balance_subject_to_apr: null,
            interest_charge_amount: null,
          },
          {
            apr_percentage: 15.24,
            apr_type: 'purchase_apr',
            balance_subject_to_apr: 1562.32,
            interest_charge_amount: 130.22,
          },
        ],
        is_overdue: false,
        last_payment_amount: 168.25,
        last_payment_date: '2019-05-22',
        last_statement_issue_date: '2019-05-28',
        last_statement_balance: 1708.77,
        minimum_payment_amount: 20,
        next_payment_due_date: '2020-05-28',
      },
      {
        account_id: null,
        aprs: [],
        is_overdue: null,
        last_payment_amount: null,
        last_payment_date: null,
        last_statement_issue_date: null,
        last_statement_balance: null,
        minimum_payment_amount: null,
        next_payment_due_date: null,
      },
    ],
    mortgage: [
      {
        account_id: 'acc_mortgage',
        account_number: '3120194154',
        current_late_fee: 25,
        escrow_balance: 3141.54,
        has_pmi: true,
        has_prepayment_penalty: true,
        interest_rate: { percentage: 3.99, type: 'fixed' },
        last_payment_amount: 3141.54,
        last_payment_date: '2019-08-01',
        loan_type_description: 'conventional',
        loan_term: '30 year',
        maturity_date: '2045-07-31',
        next_monthly_payment: 3141.54,
        next_payment_due_date: '2019-11-15',
        origination_date: '2015-08-01',
        origination_principal_amount: 425000,
        past_due_amount: 2304,
        property_address: {
          city: 'Malakoff',
          country: 'US',
          postal_code: '14236',
          region: 'NY',
          street: '2992 Cameron Road',
        },
        ytd_interest_paid: 12300.4,
        ytd_principal_paid: 12340.5,
      },
    ],
    student: [
      {
        account_id: 'acc_student',
        account_number: '4277075694',
        disbursement_dates: ['2002-08-28'],
        expected_payoff_date: '2032-07-28',
        guarantor: 'DEPT OF ED',
        interest_rate_percentage: 5.25,
        is_overdue: false,
        last_payment_amount: 138.05,
        last_payment_date: '2019-04-22',
        last_statement_balance: 1955.55,
        last_statement_issue_date: '2019-04-28',
        loan_name: 'Consolidation',
        loan_status: { end_date: '2032-07-28', type: 'repayment' },
        minimum_payment_amount: 25,
        next_payment_due_date: '2019-05-28',
        origination_date: '2002-08-28',
        origination_principal_amount: 25000,
        outstanding_interest_amount: 6227.36,
        payment_reference_number: '4277075694',
        pslf_status: { estimated_eligibility_date: null, payments_made: null, payments_remaining: null },
        repayment_plan: { description: 'Standard Repayment', type: 'standard' },
        sequence_number: '1',
        servicer_address: {
          city: 'San Matias',
          country: 'US',
          postal_code: '99415',
          region: 'CA',
          street: '123 Relaxation Road',
        },
        ytd_interest_paid: 280.55,
        ytd_principal_paid: 271.65,
      },
    ],
  } as LiabilitiesObject;
}
