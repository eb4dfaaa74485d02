/**
 * Money inside the emulator is integer cents; the wire carries numbers with at most two decimals.
 * Plaid's sign convention holds everywhere: a positive amount is money leaving the account.
 */

/** Formats integer cents as the 2-decimal number Plaid puts on the wire (exact for |cents| < 2^53). */
export function centsToAmount(cents: number): number {
  const value = Math.round(cents) / 100;
  return value === 0 ? 0 : value;
}

/** Reads a wire amount back into integer cents. */
export function amountToCents(amount: number): number {
  return Math.round(amount * 100);
}

/** Exactly one of the two currency fields is set on every Plaid money object. */
export interface Currency {
  readonly iso: string | null;
  readonly unofficial: string | null;
}

export const USD: Currency = Object.freeze({ iso: 'USD', unofficial: null });
export const CAD: Currency = Object.freeze({ iso: 'CAD', unofficial: null });

export function currencyOf(iso: string | null | undefined, unofficial: string | null | undefined): Currency {
  if (iso === 'USD') return USD;
  if (iso === 'CAD') return CAD;
  return Object.freeze({ iso: iso ?? null, unofficial: iso ? null : (unofficial ?? null) });
}
