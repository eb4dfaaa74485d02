/**
 * Plaid objects → rows for our tables. Pure: no I/O, no clock; the caller passes the ids it owns.
 *
 * OUR SIGN CONVENTION (docs/domain.md) is applied here and only here:
 * - transaction and investment transaction `amount = -plaid.amount` (negative = money left the account);
 * - account `currentBalance = current` for depository, investment and other accounts, `-current` for
 *   credit and loan accounts (the owner owes it);
 * - `availableBalance`, `creditLimit`, investment `quantity`, `fees` and liability figures are kept as
 *   Plaid reports them.
 * Money never passes through float arithmetic (see ./decimal.ts). `raw` keeps Plaid's object as is.
 *
 * TEXT FROM BANKS IS UNTRUSTED and is cleaned here and only here (src/lib/text.ts cleanUntrustedText):
 * names, official names, merchants, descriptions, institution and security names, tickers and categories
 * lose control, bidi and zero-width characters, whitespace is collapsed and length bounded
 * (UNTRUSTED_TEXT_LIMITS), so every REST and MCP answer carries the cleaned text. `raw` is never served;
 * it keeps the bank's text except U+0000, which jsonb cannot hold (jsonbSafe).
 */

import type {
  AccountBase,
  APR,
  CreditCardLiability,
  Holding,
  Institution,
  InvestmentTransaction,
  LiabilitiesObject,
  LineOfCreditLiability,
  LoanLiability,
  MortgageLiability,
  Security,
  StudentLoan,
  Transaction,
} from 'plaid';
import type { accounts } from '../db/schema/accounts.js';
import type { holdings, investmentTransactions, securities } from '../db/schema/investments.js';
import type { institutions } from '../db/schema/items.js';
import type { liabilities } from '../db/schema/liabilities.js';
import type { transactions } from '../db/schema/transactions.js';
import {
  amountToDecimalString,
  negateDecimalString,
  optionalAmount,
  optionalQuantity,
  quantityToDecimalString,
} from './decimal.js';
import {
  cleanOptionalUntrustedText as cleanOptional,
  cleanUntrustedText,
  jsonbSafe,
  UNTRUSTED_TEXT_LIMITS,
} from '../lib/text.js';

const { name: NAME, description: DESCRIPTION, code: CODE } = UNTRUSTED_TEXT_LIMITS;
/** An account, institution or merchant name as we store and serve it (see the header). */
export function cleanName(value: string): string {
  return cleanUntrustedText(value, NAME);
}

export type NewAccount = typeof accounts.$inferInsert;
export type NewTransaction = typeof transactions.$inferInsert;
export type NewSecurity = typeof securities.$inferInsert;
export type NewHolding = typeof holdings.$inferInsert;
export type NewInvestmentTransaction = typeof investmentTransactions.$inferInsert;
export type NewLiability = typeof liabilities.$inferInsert;
export type NewInstitution = typeof institutions.$inferInsert;

/** Plaid id → our uuid. */
export type IdLookup = ReadonlyMap<string, string>;

/** A Plaid object points at an account or security the caller has not stored (or not passed in). */
export class UnknownPlaidReferenceError extends Error {
  override readonly name = 'UnknownPlaidReferenceError';
  constructor(
    readonly kind: 'account' | 'security',
    readonly plaidId: string,
  ) {
    super(`unknown Plaid ${kind} id ${plaidId}`);
  }
}

function lookup(ids: IdLookup, kind: 'account' | 'security', plaidId: string): string {
  const id = ids.get(plaidId);
  if (id === undefined) throw new UnknownPlaidReferenceError(kind, plaidId);
  return id;
}

/** Exactly one currency field: the ISO code when Plaid sends one, else the unofficial code. */
export function currencyColumns(
  iso: string | null | undefined,
  unofficial: string | null | undefined,
): { isoCurrencyCode: string | null; unofficialCurrencyCode: string | null } {
  if (iso) return { isoCurrencyCode: iso, unofficialCurrencyCode: null };
  return { isoCurrencyCode: null, unofficialCurrencyCode: unofficial || null };
}

/** Account types whose Plaid `current` is the amount owed, so our balance is its negation. */
const OWED_ACCOUNT_TYPES: ReadonlySet<string> = new Set(['credit', 'loan']);

/** -1 for credit and loan accounts, 1 otherwise (depository, investment, other, unknown future types). */
export function balanceSign(accountType: string): 1 | -1 {
  return OWED_ACCOUNT_TYPES.has(accountType) ? -1 : 1;
}

function timestampOrNull(value: string | null | undefined): Date | null {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

export interface ItemContext {
  userId: string;
  itemId: string;
}

export function mapAccount(plaid: AccountBase, ctx: ItemContext): NewAccount {
  const { balances } = plaid;
  const current = optionalAmount(balances.current);
  return {
    userId: ctx.userId,
    itemId: ctx.itemId,
    plaidAccountId: plaid.account_id,
    persistentAccountId: plaid.persistent_account_id ?? null,
    name: cleanName(plaid.name),
    officialName: cleanOptional(plaid.official_name, NAME),
    mask: plaid.mask ?? null,
    type: plaid.type,
    subtype: plaid.subtype ?? null,
    currentBalance:
      current !== null && balanceSign(plaid.type) === -1 ? negateDecimalString(current) : current,
    availableBalance: optionalAmount(balances.available),
    creditLimit: optionalAmount(balances.limit),
    ...currencyColumns(balances.iso_currency_code, balances.unofficial_currency_code),
    balancesAsOf: timestampOrNull(balances.last_updated_datetime),
    raw: jsonbSafe(plaid),
  };
}

export interface AccountContext extends ItemContext {
  /** plaid account_id → accounts.id */
  accountIds: IdLookup;
}

export function mapTransaction(plaid: Transaction, ctx: AccountContext): NewTransaction {
  const category = plaid.personal_finance_category ?? null;
  return {
    userId: ctx.userId,
    itemId: ctx.itemId,
    accountId: lookup(ctx.accountIds, 'account', plaid.account_id),
    plaidTransactionId: plaid.transaction_id,
    pendingTransactionId: plaid.pending_transaction_id ?? null,
    amount: negateDecimalString(amountToDecimalString(plaid.amount)),
    ...currencyColumns(plaid.iso_currency_code, plaid.unofficial_currency_code),
    date: plaid.date,
    authorizedDate: plaid.authorized_date ?? null,
    datetime: timestampOrNull(plaid.datetime),
    name: cleanUntrustedText(plaid.name, DESCRIPTION),
    merchantName: cleanOptional(plaid.merchant_name, NAME),
    merchantEntityId: plaid.merchant_entity_id ?? null,
    paymentChannel: plaid.payment_channel ?? null,
    pending: plaid.pending,
    categoryPrimary: cleanOptional(category?.primary, CODE),
    categoryDetailed: cleanOptional(category?.detailed, CODE),
    categoryConfidence: category?.confidence_level ?? null,
  };
}

export function mapSecurity(plaid: Security): NewSecurity {
  return {
    plaidSecurityId: plaid.security_id,
    tickerSymbol: cleanOptional(plaid.ticker_symbol, CODE),
    name: cleanOptional(plaid.name, NAME),
    type: plaid.type ?? null,
    isin: plaid.isin ?? null,
    cusip: plaid.cusip ?? null,
    isCashEquivalent: plaid.is_cash_equivalent ?? false,
    closePrice: optionalQuantity(plaid.close_price),
    closePriceAsOf: plaid.close_price_as_of ?? null,
    ...currencyColumns(plaid.iso_currency_code, plaid.unofficial_currency_code),
    raw: jsonbSafe(plaid),
  };
}

export interface InvestmentContext {
  userId: string;
  /** plaid account_id → accounts.id */
  accountIds: IdLookup;
  /** plaid security_id → securities.id */
  securityIds: IdLookup;
}

export function mapHolding(plaid: Holding, ctx: InvestmentContext): NewHolding {
  return {
    userId: ctx.userId,
    accountId: lookup(ctx.accountIds, 'account', plaid.account_id),
    securityId: lookup(ctx.securityIds, 'security', plaid.security_id),
    quantity: quantityToDecimalString(plaid.quantity),
    institutionPrice: quantityToDecimalString(plaid.institution_price),
    institutionPriceAsOf: plaid.institution_price_as_of ?? null,
    institutionValue: amountToDecimalString(plaid.institution_value),
    costBasis: optionalAmount(plaid.cost_basis),
    ...currencyColumns(plaid.iso_currency_code, plaid.unofficial_currency_code),
    raw: jsonbSafe(plaid),
  };
}

export function mapInvestmentTransaction(
  plaid: InvestmentTransaction,
  ctx: InvestmentContext & { itemId: string },
): NewInvestmentTransaction {
  return {
    userId: ctx.userId,
    itemId: ctx.itemId,
    accountId: lookup(ctx.accountIds, 'account', plaid.account_id),
    plaidInvestmentTransactionId: plaid.investment_transaction_id,
    securityId: plaid.security_id ? lookup(ctx.securityIds, 'security', plaid.security_id) : null,
    date: plaid.date,
    name: cleanUntrustedText(plaid.name, DESCRIPTION),
    quantity: quantityToDecimalString(plaid.quantity),
    price: quantityToDecimalString(plaid.price),
    amount: negateDecimalString(amountToDecimalString(plaid.amount)),
    fees: optionalAmount(plaid.fees),
    type: plaid.type,
    subtype: plaid.subtype ?? null,
    ...currencyColumns(plaid.iso_currency_code, plaid.unofficial_currency_code),
    raw: jsonbSafe(plaid),
  };
}

export function mapInstitution(plaid: Institution): NewInstitution {
  return {
    id: plaid.institution_id,
    name: cleanName(plaid.name),
    url: plaid.url ?? null,
    primaryColor: plaid.primary_color ?? null,
    logo: plaid.logo ?? null,
    countryCodes: [...plaid.country_codes],
    raw: jsonbSafe(plaid),
  };
}

/** The purchase APR of a card, else its first APR; in percent. */
function purchaseAprPercentage(aprs: readonly APR[] | null | undefined): number | null {
  if (!aprs || aprs.length === 0) return null;
  const purchase = aprs.find((apr) => apr.apr_type === 'purchase_apr');
  return (purchase ?? aprs[0])?.apr_percentage ?? null;
}

type LiabilityFigures = Omit<NewLiability, 'userId' | 'accountId' | 'kind' | 'details' | 'id'>;

function liabilityRow(
  kind: NewLiability['kind'],
  plaidAccountId: string,
  ctx: { userId: string; accountIds: IdLookup },
  figures: LiabilityFigures,
  details: Record<string, unknown>,
): NewLiability {
  return {
    userId: ctx.userId,
    accountId: lookup(ctx.accountIds, 'account', plaidAccountId),
    kind,
    ...figures,
    details,
  };
}

/**
 * /liabilities/get → one row per liability account. Amounts (statement balance, minimum payment, last
 * payment, original principal) are kept as Plaid reports them: positive = owed or paid. `details` holds
 * the rest of Plaid's object for its kind. Card entries without an account_id are skipped.
 */
export function mapLiabilities(
  plaid: LiabilitiesObject,
  ctx: { userId: string; accountIds: IdLookup },
): NewLiability[] {
  const rows: NewLiability[] = [];

  for (const credit of plaid.credit ?? []) {
    const row = mapCreditLiability(credit, ctx);
    if (row) rows.push(row);
  }
  for (const mortgage of plaid.mortgage ?? []) rows.push(mapMortgageLiability(mortgage, ctx));
  for (const student of plaid.student ?? []) {
    const row = mapStudentLiability(student, ctx);
    if (row) rows.push(row);
  }
  for (const loan of plaid.loan ?? []) rows.push(mapLoanLiability(loan, ctx));
  for (const line of plaid.line_of_credit ?? []) rows.push(mapLineOfCreditLiability(line, ctx));
  return rows;
}

function mapCreditLiability(
  plaid: CreditCardLiability,
  ctx: { userId: string; accountIds: IdLookup },
): NewLiability | null {
  const {
    account_id,
    last_statement_balance,
    minimum_payment_amount,
    next_payment_due_date,
    last_payment_amount,
    last_payment_date,
    ...details
  } = plaid;
  if (!account_id) return null;
  return liabilityRow(
    'credit',
    account_id,
    ctx,
    {
      lastStatementBalance: optionalAmount(last_statement_balance),
      minimumPaymentAmount: optionalAmount(minimum_payment_amount),
      nextPaymentDueDate: next_payment_due_date ?? null,
      lastPaymentAmount: optionalAmount(last_payment_amount),
      lastPaymentDate: last_payment_date ?? null,
      interestRatePercentage: optionalAmount(purchaseAprPercentage(plaid.aprs)),
      originationPrincipalAmount: null,
      maturityDate: null,
    },
    details,
  );
}

function mapMortgageLiability(
  plaid: MortgageLiability,
  ctx: { userId: string; accountIds: IdLookup },
): NewLiability {
  const {
    account_id,
    next_monthly_payment,
    next_payment_due_date,
    last_payment_amount,
    last_payment_date,
    origination_principal_amount,
    maturity_date,
    ...details
  } = plaid;
  return liabilityRow(
    'mortgage',
    account_id,
    ctx,
    {
      lastStatementBalance: null,
      minimumPaymentAmount: optionalAmount(next_monthly_payment),
      nextPaymentDueDate: next_payment_due_date ?? null,
      lastPaymentAmount: optionalAmount(last_payment_amount),
      lastPaymentDate: last_payment_date ?? null,
      interestRatePercentage: optionalAmount(plaid.interest_rate?.percentage),
      originationPrincipalAmount: optionalAmount(origination_principal_amount),
      maturityDate: maturity_date ?? null,
    },
    details,
  );
}

function mapStudentLiability(
  plaid: StudentLoan,
  ctx: { userId: string; accountIds: IdLookup },
): NewLiability | null {
  const {
    account_id,
    last_statement_balance,
    minimum_payment_amount,
    next_payment_due_date,
    last_payment_amount,
    last_payment_date,
    interest_rate_percentage,
    origination_principal_amount,
    ...details
  } = plaid;
  if (!account_id) return null;
  return liabilityRow(
    'student',
    account_id,
    ctx,
    {
      lastStatementBalance: optionalAmount(last_statement_balance),
      minimumPaymentAmount: optionalAmount(minimum_payment_amount),
      nextPaymentDueDate: next_payment_due_date ?? null,
      lastPaymentAmount: optionalAmount(last_payment_amount),
      lastPaymentDate: last_payment_date ?? null,
      interestRatePercentage: optionalAmount(interest_rate_percentage),
      originationPrincipalAmount: optionalAmount(origination_principal_amount),
      // Student loans have no maturity date; the expected payoff date is the closest figure.
      maturityDate: plaid.expected_payoff_date ?? null,
    },
    details,
  );
}

function mapLoanLiability(plaid: LoanLiability, ctx: { userId: string; accountIds: IdLookup }): NewLiability {
  const {
    account_id,
    next_payment_amount,
    next_payment_due_date,
    last_payment_amount,
    last_payment_date,
    origination_principal_amount,
    maturity_date,
    ...details
  } = plaid;
  return liabilityRow(
    'loan',
    account_id,
    ctx,
    {
      lastStatementBalance: null,
      minimumPaymentAmount: optionalAmount(next_payment_amount),
      nextPaymentDueDate: next_payment_due_date ?? null,
      lastPaymentAmount: optionalAmount(last_payment_amount),
      lastPaymentDate: last_payment_date ?? null,
      interestRatePercentage: optionalAmount(plaid.interest_rate?.percentage),
      originationPrincipalAmount: optionalAmount(origination_principal_amount),
      maturityDate: maturity_date ?? null,
    },
    details,
  );
}

function mapLineOfCreditLiability(
  plaid: LineOfCreditLiability,
  ctx: { userId: string; accountIds: IdLookup },
): NewLiability {
  const {
    account_id,
    last_statement_balance,
    minimum_payment_amount,
    next_payment_due_date,
    last_payment_amount,
    last_payment_date,
    ...details
  } = plaid;
  return liabilityRow(
    'line_of_credit',
    account_id,
    ctx,
    {
      lastStatementBalance: optionalAmount(last_statement_balance),
      minimumPaymentAmount: optionalAmount(minimum_payment_amount),
      nextPaymentDueDate: next_payment_due_date ?? null,
      lastPaymentAmount: optionalAmount(last_payment_amount),
      lastPaymentDate: last_payment_date ?? null,
      interestRatePercentage: optionalAmount(
        plaid.interest_rate?.percentage ?? purchaseAprPercentage(plaid.aprs),
      ),
      originationPrincipalAmount: null,
      maturityDate: null,
    },
    details,
  );
}
