/**
 * Money on the wire: exact decimal strings. Values come from PostgreSQL `numeric` as strings and are
 * formatted here without ever passing through a float.
 */

/** "12.3400" → "12.34", "-5.0000" → "-5.00", "0.00012300" → "0.000123", "-0.0000" → "0.00". */
export function formatMoney(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return formatCanonical(value) ?? formatAny(value);
}

/**
 * The fast path, for what PostgreSQL sends: `-?D+.D+` without leading zeros. Hot (thousands of values per
 * net-worth history), so it scans characters instead of running regular expressions.
 */
function formatCanonical(value: string): string | undefined {
  const start = value.charCodeAt(0) === 45 ? 1 : 0; // '-'
  const dot = value.indexOf('.');
  if (dot <= start || dot === value.length - 1) return undefined;
  if (value.charCodeAt(start) === 48 && dot !== start + 1) return undefined; // leading zero
  for (let i = start; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (i !== dot && (c < 48 || c > 57)) return undefined;
  }
  let end = value.length;
  while (end > dot + 3 && value.charCodeAt(end - 1) === 48) end--;
  let text = value.slice(0, end);
  if (end - dot - 1 < 2) text += '0'.repeat(2 - (end - dot - 1));
  if (start === 1 && /^-0\.0+$/.test(text)) text = text.slice(1);
  return text;
}

function formatAny(value: string): string {
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(value.trim());
  if (!match) throw new Error(`not a decimal: ${value}`);
  const [, sign, whole, fraction = ''] = match;
  let digits = fraction.replace(/0+$/, '');
  if (digits.length < 2) digits = digits.padEnd(2, '0');
  const integer = whole!.replace(/^0+(?=\d)/, '');
  const isZero = /^0*$/.test(integer) && /^0*$/.test(digits);
  return `${isZero ? '' : sign}${integer}.${digits}`;
}

/** Like formatMoney for values that are never null (SQL sums with coalesce). */
export function money(value: string): string {
  return formatMoney(value)!;
}

/** The one currency code of a row: ISO when set, else the unofficial one (crypto), else 'XXX' (unknown). */
export function currencyOf(row: {
  isoCurrencyCode: string | null;
  unofficialCurrencyCode: string | null;
}): string {
  return row.isoCurrencyCode ?? row.unofficialCurrencyCode ?? 'XXX';
}

/** Money as an exact integer of 1/10,000 units (numeric(20,4) scale), for in-memory sums. */
export function toUnits(value: string): bigint {
  const match = /^(-?)(\d+)(?:\.(\d{0,4})\d*)?$/.exec(value.trim());
  if (!match) throw new Error(`not a decimal: ${value}`);
  const [, sign, whole, fraction = ''] = match;
  const units = BigInt(whole!) * 10_000n + BigInt(fraction.padEnd(4, '0'));
  return sign === '-' ? -units : units;
}

/** The decimal string (4 places) of an integer of 1/10,000 units. */
export function fromUnits(units: bigint): string {
  const negative = units < 0n;
  const abs = negative ? -units : units;
  const text = `${abs / 10_000n}.${(abs % 10_000n).toString().padStart(4, '0')}`;
  return negative && abs !== 0n ? `-${text}` : text;
}

/**
 * numerator ÷ denominator with `decimals` places, rounded half away from zero, computed on integers
 * (exact); null when the denominator is not positive. Savings rates (4 places) and percentages.
 */
export function formatRatio(numerator: bigint, denominator: bigint, decimals: number): string | null {
  if (denominator <= 0n) return null;
  const scale = 10n ** BigInt(decimals);
  const doubled = (numerator * scale * 2n) / denominator;
  const rounded = (doubled + (doubled >= 0n ? 1n : -1n)) / 2n;
  const negative = rounded < 0n;
  const abs = negative ? -rounded : rounded;
  const fraction = decimals > 0 ? `.${(abs % scale).toString().padStart(decimals, '0')}` : '';
  return `${negative ? '-' : ''}${abs / scale}${fraction}`;
}

/** A quantity or price without trailing zeros: "120.5000000000" → "120.5", "40.0000000000" → "40". */
export function formatQuantity(value: string): string {
  return value.includes('.') ? value.replace(/0+$/, '').replace(/\.$/, '') : value;
}

/** Sort order for rows carrying an amount: largest first, then by label. */
export function largestFirst<T>(amount: (row: T) => bigint, label: (row: T) => string) {
  return (a: T, b: T): number => {
    const x = amount(a);
    const y = amount(b);
    if (x !== y) return x > y ? -1 : 1;
    const la = label(a);
    const lb = label(b);
    return la < lb ? -1 : la > lb ? 1 : 0;
  };
}
