import type {
  AccountBalance,
  AccountBase,
  AccountHolderCategory,
  AccountSubtype,
  AccountType,
  InvestmentAccount,
} from 'plaid';
import { centsToAmount } from '../core/money.js';
import { remainingPrincipalCents } from '../generator/generate-item.js';
import type { AccountRecord } from '../state/account-record.js';
import type { EmulatedItem } from '../state/item.js';

export interface BalanceCents {
  readonly currentCents: number;
  readonly availableCents: number | null;
}

/** Balances that follow from the item's data, in cents (see `BalanceRule`). */
export function balanceCents(item: EmulatedItem, account: AccountRecord, today: string): BalanceCents {
  const totals = item.balances.totalsOf(account.id);
  switch (account.rule) {
    case 'asset': {
      const current = account.openingCents - totals.postedCents;
      return {
        currentCents: current,
        availableCents: account.availableNull
          ? null
          : current - totals.pendingOutCents + account.availableAdjustCents,
      };
    }
    case 'liability': {
      const current = account.openingCents + totals.postedCents;
      const available =
        account.limitCents === null || account.availableNull
          ? null
          : account.limitCents - current - totals.pendingOutCents + account.availableAdjustCents;
      return { currentCents: current, availableCents: available };
    }
    case 'portfolio': {
      const p = item.portfolio;
      return {
        currentCents: p ? p.valueCents(account.id, today) : 0,
        availableCents: p ? p.cash(account.id) : null,
      };
    }
    case 'amortized':
      return {
        currentCents: item.mortgage
          ? remainingPrincipalCents(item.mortgage, item.memory.mortgagePaymentsMade)
          : 0,
        availableCents: null,
      };
    case 'fixed':
      return { currentCents: 0, availableCents: null };
  }
}

export function toPlaidBalances(
  item: EmulatedItem,
  account: AccountRecord,
  today: string,
  liveAt: string | null,
): AccountBalance {
  if (account.rule === 'fixed' && account.fixed) return { ...account.fixed, last_updated_datetime: liveAt };
  const b = balanceCents(item, account, today);
  return {
    available: b.availableCents === null ? null : centsToAmount(b.availableCents),
    current: centsToAmount(b.currentCents),
    limit: account.limitCents === null ? null : centsToAmount(account.limitCents),
    iso_currency_code: account.currency.iso,
    unofficial_currency_code: account.currency.unofficial,
    last_updated_datetime: liveAt,
  };
}

/** The Plaid `AccountBase`; `liveAt` is set by `/accounts/balance/get` (a live read). */
export function toPlaidAccount(
  item: EmulatedItem,
  account: AccountRecord,
  today: string,
  liveAt: string | null = null,
): AccountBase {
  const base: AccountBase = {
    account_id: account.id,
    balances: toPlaidBalances(item, account, today, liveAt),
    mask: account.mask,
    name: account.name,
    official_name: account.officialName,
    type: account.type as AccountType,
    subtype: account.subtype as AccountSubtype | null,
    holder_category: 'personal' as AccountHolderCategory,
  };
  if (account.persistentId) base.persistent_account_id = account.persistentId;
  return base;
}

/** The `InvestmentAccount` of investment endpoints: its balances also carry `margin_loan_amount`. */
export function toPlaidInvestmentAccount(
  item: EmulatedItem,
  account: AccountRecord,
  today: string,
): InvestmentAccount {
  const base = toPlaidAccount(item, account, today);
  return { ...base, balances: { ...base.balances, margin_loan_amount: null } } as InvestmentAccount;
}
