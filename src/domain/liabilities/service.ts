import type { z } from 'zod';
import type { AccountsRepository } from '../../db/repositories/accounts.js';
import type { LiabilitiesRepository, LiabilityWithAccount } from '../../db/repositories/liabilities.js';
import { errors } from '../../errors/catalog.js';
import type { liabilitySchema } from '../../http/routes/liabilities.js';
import { currencyOf, formatMoney } from '../../lib/money.js';
import { negateDecimalString, optionalAmount } from '../../plaid/decimal.js';

/** A liability as `GET /v1/liabilities` shows it: the route's response schema is its type. */
export type LiabilityView = z.output<typeof liabilitySchema>;

type AprView = LiabilityView['aprs'][number];
const APR_TYPES = new Set<AprView['type']>(['purchase_apr', 'cash_apr', 'balance_transfer_apr', 'special']);

/**
 * `details` holds the rest of Plaid's object as Plaid sent it (src/plaid/mappers.ts): untrusted, and
 * never served whole. Only numbers, booleans, dates and known enums are read from it, each checked.
 */
type Details = Record<string, unknown>;

const numberIn = (details: Details, key: string): string | null => {
  const value = details[key];
  return typeof value === 'number' && Number.isFinite(value) ? formatMoney(optionalAmount(value)) : null;
};
const booleanIn = (details: Details, key: string): boolean | null => {
  const value = details[key];
  return typeof value === 'boolean' ? value : null;
};
const dateIn = (details: Details, key: string): string | null => {
  const value = details[key];
  return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : null;
};
const objectIn = (details: Details, key: string): Details => {
  const value = details[key];
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Details) : {};
};

function aprsOf(details: Details): AprView[] {
  const aprs = details.aprs;
  if (!Array.isArray(aprs)) return [];
  return aprs
    .filter((apr): apr is Details => !!apr && typeof apr === 'object')
    .map((apr) => ({
      type: APR_TYPES.has(apr.apr_type as AprView['type']) ? (apr.apr_type as AprView['type']) : 'other',
      percentage: numberIn(apr, 'apr_percentage'),
      balance_subject_to_apr: numberIn(apr, 'balance_subject_to_apr'),
      interest_charge_amount: numberIn(apr, 'interest_charge_amount'),
    }));
}

function interestRateTypeOf(details: Details): LiabilityView['interest_rate_type'] {
  const type = objectIn(details, 'interest_rate').type;
  return type === 'fixed' || type === 'variable' ? type : null;
}

/** Pure: one stored liability row and its account → the answer's record (owed and paid are positive). */
export function toLiabilityView(row: LiabilityWithAccount): LiabilityView {
  const { liability, account, item, institution } = row;
  const details: Details =
    liability.details && typeof liability.details === 'object' && !Array.isArray(liability.details)
      ? (liability.details as Details)
      : {};
  return {
    account: {
      id: account.id,
      item_id: account.itemId,
      institution_name: institution?.name ?? null,
      name: account.name,
      mask: account.mask,
      type: account.type,
      subtype: account.subtype,
      currency: currencyOf(account),
      last_synced_at: item.lastSyncedAt?.toISOString() ?? null,
    },
    kind: liability.kind,
    // Our accounts keep the owner's side (owed = negative); this resource shows what is owed as positive.
    balance_owed:
      account.currentBalance === null ? null : formatMoney(negateDecimalString(account.currentBalance)),
    credit_limit: formatMoney(account.creditLimit),
    interest_rate_percentage: formatMoney(liability.interestRatePercentage),
    interest_rate_type: interestRateTypeOf(details),
    aprs: aprsOf(details),
    last_statement_balance: formatMoney(liability.lastStatementBalance),
    last_statement_issue_date: dateIn(details, 'last_statement_issue_date'),
    minimum_payment_amount: formatMoney(liability.minimumPaymentAmount),
    next_payment_due_date: liability.nextPaymentDueDate,
    last_payment_amount: formatMoney(liability.lastPaymentAmount),
    last_payment_date: liability.lastPaymentDate,
    is_overdue: booleanIn(details, 'is_overdue'),
    past_due_amount: numberIn(details, 'past_due_amount'),
    origination_principal_amount: formatMoney(liability.originationPrincipalAmount),
    origination_date: dateIn(details, 'origination_date'),
    outstanding_interest_amount: numberIn(details, 'outstanding_interest_amount'),
    payoff_date: liability.maturityDate,
    escrow_balance: numberIn(details, 'escrow_balance'),
    has_pmi: booleanIn(details, 'has_pmi'),
    ytd_interest_paid: numberIn(details, 'ytd_interest_paid'),
    ytd_principal_paid: numberIn(details, 'ytd_principal_paid'),
    updated_at: liability.updatedAt.toISOString(),
  };
}

export function createLiabilitiesService(deps: {
  liabilities: LiabilitiesRepository;
  accounts: AccountsRepository;
}) {
  return {
    /** The caller's liabilities; with `accountId`, that account's (404 when it is not the caller's). */
    async list(userId: string, accountId?: string): Promise<LiabilityView[]> {
      const rows = await deps.liabilities.listForUser(userId, accountId);
      if (accountId && rows.length === 0 && !(await deps.accounts.getForUser(userId, accountId)))
        throw errors.notFound('account', accountId);
      return rows.map(toLiabilityView);
    },
  };
}

export type LiabilitiesService = ReturnType<typeof createLiabilitiesService>;
