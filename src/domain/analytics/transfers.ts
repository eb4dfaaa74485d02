import type { TransferKind } from '../../db/schema/index.js';
import { daysBetween } from '../../lib/dates.js';

/**
 * Pure transfer matcher. Two posted transactions of the same owner are the two legs of one movement
 * between their own accounts when they are in different accounts, in the same currency, of exactly
 * opposite amounts, at most MAX_DAYS apart, and at least one of them is categorised as a transfer or a
 * loan payment (or not categorised). The kind comes from the accounts: a leg in a credit account makes it
 * a credit card payment, in a loan account a loan payment; otherwise an internal transfer.
 */
export const TRANSFER_MAX_DAYS = 5;
const TRANSFER_CATEGORIES = new Set(['TRANSFER_IN', 'TRANSFER_OUT', 'LOAN_PAYMENTS']);

export interface TransferCandidate {
  id: string;
  accountId: string;
  accountType: string;
  date: string;
  /** Exact decimal string, our sign (negative = out). */
  amount: string;
  currency: string;
  category: string | null;
}

export interface TransferMatch {
  outflowId: string;
  inflowId: string;
  kind: TransferKind;
}

function transferish(row: TransferCandidate): boolean {
  return row.category === null || TRANSFER_CATEGORIES.has(row.category);
}

function magnitude(amount: string): string {
  return amount.startsWith('-') ? amount.slice(1) : amount;
}

function kindOf(a: TransferCandidate, b: TransferCandidate): TransferKind {
  if (a.accountType === 'credit' || b.accountType === 'credit') return 'credit_card_payment';
  if (a.accountType === 'loan' || b.accountType === 'loan') return 'loan_payment';
  return 'internal_transfer';
}

const byDateThenId = (a: TransferCandidate, b: TransferCandidate) =>
  a.date < b.date ? -1 : a.date > b.date ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

/** Deterministic: outflows in date order each take the closest unmatched inflow (ties: earlier, then id). */
export function matchTransfers(rows: TransferCandidate[]): TransferMatch[] {
  const inflowsByKey = new Map<string, TransferCandidate[]>();
  const outflows: TransferCandidate[] = [];
  for (const row of rows) {
    if (row.amount.startsWith('-')) outflows.push(row);
    else if (!/^0*(\.0*)?$/.test(row.amount)) {
      const key = `${row.currency}|${normalise(row.amount)}`;
      const list = inflowsByKey.get(key);
      if (list) list.push(row);
      else inflowsByKey.set(key, [row]);
    }
  }
  for (const list of inflowsByKey.values()) list.sort(byDateThenId);
  outflows.sort(byDateThenId);

  const taken = new Set<string>();
  const matches: TransferMatch[] = [];
  for (const out of outflows) {
    const candidates = inflowsByKey.get(`${out.currency}|${normalise(magnitude(out.amount))}`);
    if (!candidates) continue;
    let best: TransferCandidate | undefined;
    let bestDistance = Infinity;
    for (const inflow of candidates) {
      if (taken.has(inflow.id) || inflow.accountId === out.accountId) continue;
      if (!transferish(out) && !transferish(inflow)) continue;
      const distance = Math.abs(daysBetween(out.date, inflow.date));
      if (distance <= TRANSFER_MAX_DAYS && distance < bestDistance) {
        best = inflow;
        bestDistance = distance;
      }
    }
    if (best) {
      taken.add(best.id);
      matches.push({ outflowId: out.id, inflowId: best.id, kind: kindOf(out, best) });
    }
  }
  return matches;
}

/** "12.3400" and "12.34" are the same amount. */
function normalise(amount: string): string {
  const [whole = '0', fraction = ''] = amount.split('.');
  const f = fraction.replace(/0+$/, '');
  return `${whole.replace(/^0+(?=\d)/, '')}${f ? `.${f}` : ''}`;
}
