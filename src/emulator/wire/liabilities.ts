import type { CreditCardLiability, LiabilitiesObject, MortgageLiability, StudentLoan } from 'plaid';
import { addDays, dayOfMonth, monthOf } from '../core/dates.js';
import { centsToAmount } from '../core/money.js';
import { remainingPrincipalCents } from '../generator/generate-item.js';
import type { AccountRecord } from '../state/account-record.js';
import type { EmulatedItem, MortgageTerms } from '../state/item.js';
import { balanceCents } from './account.js';

const STATEMENT_DAY = 28;

function lastStatementDate(today: string): string {
  const thisMonth = `${today.slice(0, 8)}${String(STATEMENT_DAY).padStart(2, '0')}`;
  if (dayOfMonth(today) >= STATEMENT_DAY) return thisMonth;
  return `${addDays(`${today.slice(0, 8)}01`, -1).slice(0, 8)}${STATEMENT_DAY}`;
}

function nextDayOfMonth(today: string, day: number): string {
  const candidate = `${today.slice(0, 8)}${String(day).padStart(2, '0')}`;
  if (candidate > today) return candidate;
  return `${addDays(`${today.slice(0, 8)}28`, 7).slice(0, 8)}${String(day).padStart(2, '0')}`;
}

function credit(item: EmulatedItem, account: AccountRecord, today: string): CreditCardLiability {
  const issue = lastStatementDate(today);
  let statementCents = account.openingCents;
  for (const r of item.ledger.live())
    if (r.accountId === account.id && !r.pending && r.date <= issue) statementCents += r.amountCents;
  const current = balanceCents(item, account, today).currentCents;
  const payment = item.memory.lastCardPayment;
  return {
    account_id: account.id,
    aprs: [
      {
        apr_percentage: 22.99,
        apr_type: 'purchase_apr' as never,
        balance_subject_to_apr: centsToAmount(Math.max(0, current)),
        interest_charge_amount: 0,
      },
      {
        apr_percentage: 27.99,
        apr_type: 'cash_apr' as never,
        balance_subject_to_apr: 0,
        interest_charge_amount: 0,
      },
    ],
    is_overdue: false,
    last_payment_amount: payment ? centsToAmount(payment.cents) : null,
    last_payment_date: payment?.date ?? null,
    last_statement_issue_date: issue,
    last_statement_balance: centsToAmount(statementCents),
    minimum_payment_amount:
      statementCents > 0 ? centsToAmount(Math.max(2_500, Math.round(statementCents * 0.01))) : 0,
    next_payment_due_date: addDays(issue, 25),
  };
}

/** Interest and principal of payments number `from` (inclusive) to `to` (exclusive). */
function amortizedSplit(
  terms: MortgageTerms,
  from: number,
  to: number,
): { interest: number; principal: number } {
  let balance = remainingPrincipalCents(terms, from);
  let interest = 0;
  let principal = 0;
  for (let i = from; i < to; i++) {
    const due = Math.round(balance * (terms.annualRate / 12));
    interest += due;
    principal += terms.paymentCents - due;
    balance -= terms.paymentCents - due;
  }
  return { interest, principal };
}

function mortgage(item: EmulatedItem, account: AccountRecord, today: string): MortgageLiability | null {
  const terms = item.mortgage;
  if (!terms) return null;
  const made = item.memory.mortgagePaymentsMade;
  const thisYear = Math.min(made, monthOf(today) - (dayOfMonth(today) >= 5 ? 0 : 1));
  const ytd = amortizedSplit(terms, made - thisYear, made);
  const last = item.memory.lastMortgagePayment;
  return {
    account_id: account.id,
    account_number: '3120194154',
    current_late_fee: 0,
    escrow_balance: 3141.54,
    has_pmi: false,
    has_prepayment_penalty: false,
    interest_rate: { percentage: terms.annualRate * 100, type: 'fixed' },
    last_payment_amount: last ? centsToAmount(last.cents) : null,
    last_payment_date: last?.date ?? null,
    loan_type_description: 'conventional',
    loan_term: '30 year',
    maturity_date: addDays(terms.originationDate, Math.round(terms.termMonths * 30.44)),
    next_monthly_payment: centsToAmount(terms.paymentCents),
    next_payment_due_date: nextDayOfMonth(today, 5),
    origination_date: terms.originationDate,
    origination_principal_amount: centsToAmount(terms.principalCents),
    past_due_amount: 0,
    property_address: {
      city: 'Malakoff',
      country: 'US',
      postal_code: '14236',
      region: 'NY',
      street: '2992 Cameron Road',
    },
    ytd_interest_paid: centsToAmount(ytd.interest),
    ytd_principal_paid: centsToAmount(ytd.principal),
  };
}

function student(item: EmulatedItem, account: AccountRecord, today: string): StudentLoan {
  const last = item.memory.lastStudentPayment;
  const owed = balanceCents(item, account, today).currentCents;
  let ytdPaid = 0;
  for (const r of item.ledger.live()) {
    if (
      r.accountId === account.id &&
      !r.pending &&
      r.date.slice(0, 4) === today.slice(0, 4) &&
      r.amountCents < 0
    )
      ytdPaid -= r.amountCents;
  }
  const origination = addDays(item.createdAt.slice(0, 10), -6 * 365);
  return {
    account_id: account.id,
    account_number: '4277075694',
    disbursement_dates: [origination],
    expected_payoff_date: addDays(origination, 20 * 365),
    guarantor: 'DEPT OF ED',
    interest_rate_percentage: 5.25,
    is_overdue: false,
    last_payment_amount: last ? centsToAmount(last.cents) : null,
    last_payment_date: last?.date ?? null,
    last_statement_balance: centsToAmount(owed),
    last_statement_issue_date: `${today.slice(0, 8)}01`,
    loan_name: 'Consolidation',
    loan_status: { end_date: addDays(origination, 20 * 365), type: 'repayment' as never },
    minimum_payment_amount: 285,
    next_payment_due_date: nextDayOfMonth(today, 15),
    origination_date: origination,
    origination_principal_amount: 45_000,
    outstanding_interest_amount: 0,
    payment_reference_number: '4277075694',
    pslf_status: { estimated_eligibility_date: null, payments_made: null, payments_remaining: null },
    repayment_plan: { description: 'Standard Repayment', type: 'standard' as never },
    sequence_number: '1',
    servicer_address: {
      city: 'San Matias',
      country: 'US',
      postal_code: '99415',
      region: 'CA',
      street: '123 Relaxation Road',
    },
    ytd_interest_paid: 0,
    ytd_principal_paid: centsToAmount(ytdPaid),
  };
}

/** Liabilities for the given accounts: the card, the mortgage and the student loan. */
export function liabilitiesOf(
  item: EmulatedItem,
  accounts: readonly AccountRecord[],
  today: string,
): LiabilitiesObject {
  if (item.fixtureExtras?.liabilities) {
    const ids = new Set(accounts.map((a) => a.id));
    const f = item.fixtureExtras.liabilities;
    const keep = <T extends { account_id: string | null }>(rows: T[] | null | undefined) =>
      rows ? rows.filter((r) => r.account_id !== null && ids.has(r.account_id)) : null;
    return { credit: keep(f.credit), mortgage: keep(f.mortgage), student: keep(f.student) };
  }
  const credits: CreditCardLiability[] = [];
  const mortgages: MortgageLiability[] = [];
  const students: StudentLoan[] = [];
  for (const account of accounts) {
    if (account.type === 'credit') credits.push(credit(item, account, today));
    else if (account.subtype === 'mortgage') {
      const m = mortgage(item, account, today);
      if (m) mortgages.push(m);
    } else if (account.subtype === 'student') students.push(student(item, account, today));
  }
  return {
    credit: credits.length > 0 ? credits : null,
    mortgage: mortgages.length > 0 ? mortgages : null,
    student: students.length > 0 ? students : null,
  };
}

export function isLiabilityAccount(account: AccountRecord): boolean {
  return (
    (account.type === 'credit' && (account.subtype === 'credit card' || account.subtype === 'paypal')) ||
    (account.type === 'loan' && (account.subtype === 'student' || account.subtype === 'mortgage'))
  );
}
