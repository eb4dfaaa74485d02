/**
 * Plaid's JSON numbers → exact decimal strings for our numeric columns, without float arithmetic.
 *
 * JSON.parse turns Plaid's `72.1` into the nearest double; `String(n)` gives back the shortest decimal
 * that round-trips, i.e. exactly what Plaid sent. From there everything is string manipulation: the
 * exponent is expanded, the value is rounded to the column's scale half away from zero (as PostgreSQL
 * rounds numeric), and negation flips the sign character. `-0` and values that round to zero have no sign.
 */

/** Scale of money columns: numeric(20,4). */
export const MONEY_SCALE = 4;
/** Scale of quantity and price columns: numeric(28,10). */
export const QUANTITY_SCALE = 10;

const DECIMAL = /^-?\d+(?:\.\d+)?$/;

/** The exact decimal of a finite JS number, rounded to `scale` fraction digits (padded with zeros). */
export function numberToDecimalString(value: number, scale: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`expected a finite number, got ${value}`);
  if (!Number.isInteger(scale) || scale < 0) throw new RangeError(`invalid scale ${scale}`);

  const text = String(value);
  const negative = text.startsWith('-');
  const match = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(negative ? text.slice(1) : text);
  if (!match) throw new RangeError(`cannot read number ${text}`);
  const [, whole = '0', fraction = '', exponentText] = match;
  const digits = whole + fraction;
  const point = whole.length + (exponentText ? Number(exponentText) : 0);

  let integerPart: string;
  let fractionPart: string;
  if (point <= 0) {
    integerPart = '0';
    fractionPart = '0'.repeat(-point) + digits;
  } else if (point >= digits.length) {
    integerPart = digits + '0'.repeat(point - digits.length);
    fractionPart = '';
  } else {
    integerPart = digits.slice(0, point);
    fractionPart = digits.slice(point);
  }

  if (fractionPart.length > scale) {
    const roundUp = fractionPart.charCodeAt(scale) >= '5'.charCodeAt(0);
    const kept = incrementIf(integerPart + fractionPart.slice(0, scale), roundUp);
    integerPart = kept.slice(0, kept.length - scale);
    fractionPart = kept.slice(kept.length - scale);
  } else {
    fractionPart = fractionPart.padEnd(scale, '0');
  }
  integerPart = integerPart.replace(/^0+(?=\d)/, '') || '0';

  const isZero = /^0+$/.test(integerPart) && /^0*$/.test(fractionPart);
  const sign = negative && !isZero ? '-' : '';
  return scale > 0 ? `${sign}${integerPart}.${fractionPart}` : `${sign}${integerPart}`;
}

/** Adds one unit in the last place of a digit string when `roundUp` (carrying as far as needed). */
function incrementIf(digits: string, roundUp: boolean): string {
  if (!roundUp) return digits;
  const chars = digits.split('');
  for (let i = chars.length - 1; i >= 0; i--) {
    if (chars[i] === '9') {
      chars[i] = '0';
    } else {
      chars[i] = String(Number(chars[i]) + 1);
      return chars.join('');
    }
  }
  return '1' + chars.join('');
}

/** A money amount for numeric(20,4): `72.1` → `'72.1000'`. */
export function amountToDecimalString(value: number): string {
  return numberToDecimalString(value, MONEY_SCALE);
}

/** Like amountToDecimalString, keeping null and undefined as null. */
export function optionalAmount(value: number | null | undefined): string | null {
  return value === null || value === undefined ? null : amountToDecimalString(value);
}

/** A quantity or price for numeric(28,10): `2` → `'2.0000000000'`. */
export function quantityToDecimalString(value: number): string {
  return numberToDecimalString(value, QUANTITY_SCALE);
}

/** Like quantityToDecimalString, keeping null and undefined as null. */
export function optionalQuantity(value: number | null | undefined): string | null {
  return value === null || value === undefined ? null : quantityToDecimalString(value);
}

/** Flips the sign of a decimal string (`'12.50'` ↔ `'-12.50'`); zero stays unsigned. */
export function negateDecimalString(value: string): string {
  if (!DECIMAL.test(value)) throw new RangeError(`not a decimal: ${value}`);
  if (/^-?[0.]+$/.test(value)) return value.replace(/^-/, '');
  return value.startsWith('-') ? value.slice(1) : `-${value}`;
}
