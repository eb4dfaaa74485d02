import type { TransferKind, TransferMatchReason } from '../../db/schema/index.js';
import { addDays, daysBetween } from '../../lib/dates.js';
import { toUnits } from '../../lib/money.js';

/**
 * Pure transfer matcher: finds the two legs of each movement between one owner's own accounts, so that
 * neither leg counts as income or spending. The rules, strongest evidence first (docs/domain.md):
 *
 * 1. `same_currency_amount` — different accounts, the same currency, exactly opposite amounts, at most
 *    TRANSFER_MAX_DAYS apart, and at least one leg categorised as a transfer or a loan payment (or not
 *    categorised). Outflows in date order each take the closest unmatched inflow (ties: earlier, then id).
 * 2. `cross_currency_category_rate` — among the legs left: different accounts in different currencies, the
 *    outflow categorised TRANSFER_OUT and the inflow TRANSFER_IN (neither a cash withdrawal, a cash or
 *    cheque deposit nor a loan disbursement by its detailed category), at most CROSS_CURRENCY_MAX_DAYS
 *    apart, and the implied rate (inflow ÷ outflow) inside the pair's band in REFERENCE_RATE_BANDS.
 * 3. `cross_currency_category_date` — the same, for a currency pair without a band: categories and dates
 *    alone (no amount check, as there is no rate to check it against).
 *
 * Within rules 2 and 3, the candidate pairs are taken one-to-one in order of closest date, then (rule 2)
 * implied rate closest to the pair's typical rate, then outflow id, then inflow id: the result does not
 * depend on the order of the input. Amounts are compared on exact integers, never as floats, and never
 * added across currencies. The kind comes from the accounts: a leg in a credit account makes it a credit
 * card payment, in a loan account a loan payment; otherwise an internal transfer.
 */
export const TRANSFER_MAX_DAYS = 5;
/** A weekend plus the 5 business days an international (SWIFT) payment may take. */
export const CROSS_CURRENCY_MAX_DAYS = 7;
/** The categories of a leg that looks like a transfer (as does a leg without a category). */
export const TRANSFER_LIKE_CATEGORIES: ReadonlySet<string> = new Set([
  'TRANSFER_IN',
  'TRANSFER_OUT',
  'LOAN_PAYMENTS',
]);
/**
 * Plaid's detailed transfer categories of money that does not come from or go to another account of the
 * owner (cash taken out, cash or cheques paid in, a lender's disbursement): never a cross-currency leg.
 */
export const NOT_ACCOUNT_TO_ACCOUNT = new Set([
  'TRANSFER_OUT_WITHDRAWAL',
  'TRANSFER_IN_DEPOSIT',
  'TRANSFER_IN_CASH_ADVANCES_AND_LOANS',
]);

/** The rules' names (`transferMatchReasons`) are defined beside the column that stores them. */
export type { TransferMatchReason };

/**
 * The plausible rates of a currency pair, in `quote` per one `base`, bounds included: roughly the range
 * of daily rates since 2000, widened by at least 10% on each side for fees, spreads and a credit posted
 * days later. Generous on purpose: the band tells a conversion from an unrelated amount (1,000 USD against
 * 40 EUR), it does not price anything. `typical` (a usual rate of the 2020s) only breaks ties between
 * candidates. The same band serves both directions (EUR→USD and USD→EUR).
 */
export interface RateBand {
  base: string;
  quote: string;
  low: string;
  high: string;
  typical: string;
}

export const REFERENCE_RATE_BANDS: readonly RateBand[] = [
  { base: 'EUR', quote: 'USD', low: '0.70', high: '1.80', typical: '1.10' },
  { base: 'GBP', quote: 'USD', low: '0.90', high: '2.40', typical: '1.27' },
  { base: 'EUR', quote: 'GBP', low: '0.50', high: '1.10', typical: '0.85' },
  { base: 'EUR', quote: 'CHF', low: '0.75', high: '1.85', typical: '0.95' },
  { base: 'USD', quote: 'CHF', low: '0.60', high: '2.05', typical: '0.88' },
  { base: 'USD', quote: 'CAD', low: '0.80', high: '1.80', typical: '1.36' },
  { base: 'USD', quote: 'JPY', low: '65', high: '190', typical: '145' },
  { base: 'AUD', quote: 'USD', low: '0.40', high: '1.25', typical: '0.66' },
];

export interface TransferCandidate {
  id: string;
  accountId: string;
  accountType: string;
  date: string;
  /** Exact decimal string, our sign (negative = out). */
  amount: string;
  currency: string;
  /** The owner's category, else Plaid's primary one. */
  category: string | null;
  /** Plaid's detailed category, null when the owner set the category themselves. */
  detailed: string | null;
}

export interface TransferMatch {
  outflowId: string;
  inflowId: string;
  kind: TransferKind;
  /** Which rule paired the legs (stated in docs/domain.md). */
  reason: TransferMatchReason;
}

function transferish(row: TransferCandidate): boolean {
  return row.category === null || TRANSFER_LIKE_CATEGORIES.has(row.category);
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

/** Every movement between the owner's own accounts among `rows` (one owner's posted transactions). */
export function matchTransfers(rows: TransferCandidate[]): TransferMatch[] {
  const sameCurrency = matchSameCurrency(rows);
  const taken = new Set(sameCurrency.flatMap((m) => [m.outflowId, m.inflowId]));
  return [...sameCurrency, ...matchCrossCurrency(rows.filter((row) => !taken.has(row.id)))];
}

/** Rule 1: exactly opposite amounts in one currency. */
function matchSameCurrency(rows: TransferCandidate[]): TransferMatch[] {
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
      matches.push({
        outflowId: out.id,
        inflowId: best.id,
        kind: kindOf(out, best),
        reason: 'same_currency_amount',
      });
    }
  }
  return matches;
}

/** A non-negative rational number, compared exactly (denominator > 0). */
interface Ratio {
  num: bigint;
  den: bigint;
}

const compareRatios = (a: Ratio, b: Ratio) => {
  const left = a.num * b.den;
  const right = b.num * a.den;
  return left < right ? -1 : left > right ? 1 : 0;
};

const abs = (value: bigint) => (value < 0n ? -value : value);

/** The band of a currency pair, in either direction. */
export function rateBandFor(from: string, to: string): RateBand | undefined {
  return REFERENCE_RATE_BANDS.find(
    (band) => (band.base === from && band.quote === to) || (band.base === to && band.quote === from),
  );
}

/**
 * Whether the two legs' amounts are a plausible conversion under `band`, bounds included, and how far the
 * implied rate (quote per base) is from the band's typical rate, relatively. Exact: all on integer
 * 1/10,000 units.
 */
export function impliedRateCheck(
  band: RateBand,
  legs: { currency: string; units: bigint }[],
): { plausible: boolean; distance: Ratio } {
  const base = abs(legs.find((leg) => leg.currency === band.base)!.units);
  const quote = abs(legs.find((leg) => leg.currency === band.quote)!.units);
  // rate = quote ÷ base; a bound b (in 1/10,000) holds when quote × 10,000 compares to b × base.
  const scaledQuote = quote * 10_000n;
  const plausible = toUnits(band.low) * base <= scaledQuote && scaledQuote <= toUnits(band.high) * base;
  // |rate − typical| ÷ typical, comparable between pairs.
  const typical = toUnits(band.typical);
  return { plausible, distance: { num: abs(scaledQuote - typical * base), den: typical * base } };
}

interface CrossEdge {
  out: TransferCandidate;
  inflow: TransferCandidate;
  days: number;
  /** Relative distance of the implied rate from the pair's typical rate; undefined without a band. */
  rateDistance: Ratio | undefined;
}

const byEvidence = (a: CrossEdge, b: CrossEdge) =>
  a.days - b.days ||
  (a.rateDistance && b.rateDistance ? compareRatios(a.rateDistance, b.rateDistance) : 0) ||
  (a.out.id < b.out.id ? -1 : a.out.id > b.out.id ? 1 : 0) ||
  (a.inflow.id < b.inflow.id ? -1 : a.inflow.id > b.inflow.id ? 1 : 0);

/** Rules 2 and 3: legs in different currencies that Plaid's categories call a transfer. */
function matchCrossCurrency(rows: TransferCandidate[]): TransferMatch[] {
  const inflowsByDate = new Map<string, TransferCandidate[]>();
  const units = new Map<string, bigint>();
  for (const row of rows) {
    if (row.category !== 'TRANSFER_IN' && row.category !== 'TRANSFER_OUT') continue;
    if (row.detailed !== null && NOT_ACCOUNT_TO_ACCOUNT.has(row.detailed)) continue;
    const value = toUnits(row.amount);
    units.set(row.id, value);
    if (row.category === 'TRANSFER_IN' && value > 0n) {
      const list = inflowsByDate.get(row.date);
      if (list) list.push(row);
      else inflowsByDate.set(row.date, [row]);
    }
  }
  const banded: CrossEdge[] = [];
  const unbanded: CrossEdge[] = [];
  for (const out of rows) {
    const outUnits = units.get(out.id);
    if (out.category !== 'TRANSFER_OUT' || outUnits === undefined || outUnits >= 0n) continue;
    for (let offset = -CROSS_CURRENCY_MAX_DAYS; offset <= CROSS_CURRENCY_MAX_DAYS; offset++) {
      for (const inflow of inflowsByDate.get(addDays(out.date, offset)) ?? []) {
        if (inflow.currency === out.currency || inflow.accountId === out.accountId) continue;
        const days = Math.abs(offset);
        const band = rateBandFor(out.currency, inflow.currency);
        if (!band) {
          unbanded.push({ out, inflow, days, rateDistance: undefined });
          continue;
        }
        const check = impliedRateCheck(band, [
          { currency: out.currency, units: outUnits },
          { currency: inflow.currency, units: units.get(inflow.id)! },
        ]);
        if (check.plausible) banded.push({ out, inflow, days, rateDistance: check.distance });
      }
    }
  }

  const taken = new Set<string>();
  const matches: TransferMatch[] = [];
  const take = (edges: CrossEdge[], reason: TransferMatchReason) => {
    for (const { out, inflow } of edges.sort(byEvidence)) {
      if (taken.has(out.id) || taken.has(inflow.id)) continue;
      taken.add(out.id);
      taken.add(inflow.id);
      matches.push({ outflowId: out.id, inflowId: inflow.id, kind: kindOf(out, inflow), reason });
    }
  };
  // An amount that converts plausibly is stronger evidence than categories and dates alone.
  take(banded, 'cross_currency_category_rate');
  take(unbanded, 'cross_currency_category_date');
  return matches;
}

/** "12.3400" and "12.34" are the same amount. */
function normalise(amount: string): string {
  const [whole = '0', fraction = ''] = amount.split('.');
  const f = fraction.replace(/0+$/, '');
  return `${whole.replace(/^0+(?=\d)/, '')}${f ? `.${f}` : ''}`;
}
