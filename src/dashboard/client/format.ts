/**
 * Money as the API gives it: exact decimal strings with their currency. Formatted by Intl from the
 * string itself (no float on the way), never added across currencies.
 */
const formats = new Map<string, Intl.NumberFormat>();

function currencyFormat(currency: string): Intl.NumberFormat | undefined {
  let format = formats.get(currency);
  if (!format) {
    try {
      format = new Intl.NumberFormat(undefined, { style: 'currency', currency });
    } catch {
      return undefined; // not an ISO 4217 code Intl knows
    }
    formats.set(currency, format);
  }
  return format;
}

export function money(value: string | null | undefined, currency: string): string {
  if (value === null || value === undefined) return '—';
  const format = currencyFormat(currency);
  return format ? format.format(value as Intl.StringNumericLiteral) : `${value} ${currency}`;
}

const percentFormat = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });

/** A ratio string (0.2500 = 25%). */
export function ratio(value: string | null | undefined): string {
  return value === null || value === undefined
    ? '—'
    : percentFormat.format(value as Intl.StringNumericLiteral);
}

/** A percent string as the API gives it (25.00 = 25%). */
export function percent(value: string | null | undefined): string {
  return value === null || value === undefined ? '—' : `${value} %`;
}

const dateFormat = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  timeZone: 'UTC',
});
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const monthFormat = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', timeZone: 'UTC' });

/** A calendar date (YYYY-MM-DD) as a date in UTC (it is a day, not an instant). */
export function day(value: string | null | undefined): string {
  return value ? dateFormat.format(new Date(`${value}T00:00:00Z`)) : '—';
}

export function month(value: string): string {
  return monthFormat.format(new Date(`${value}T00:00:00Z`));
}

export function instant(value: string | null | undefined): string {
  return value ? dateTimeFormat.format(new Date(value)) : '—';
}

/** Seconds since the epoch of a calendar date at 00:00 UTC (uPlot's x values). */
export function epochSeconds(date: string): number {
  return Date.parse(`${date}T00:00:00Z`) / 1000;
}

/** A calendar date `days` before `date`, or `years` before it. */
export function shiftDate(date: string, { days = 0, years = 0 }: { days?: number; years?: number }): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCFullYear(d.getUTCFullYear() - years);
  d.setUTCDate(d.getUTCDate() - days);
  return d.toISOString().slice(0, 10);
}

/** Words from an API enum value (`login_required` → `login required`). */
export function words(value: string | null | undefined): string {
  return value ? value.replace(/_/g, ' ') : '—';
}

/** The sign of a decimal string, without parsing it as a float. */
export function isNegative(value: string | null | undefined): boolean {
  return typeof value === 'string' && value.trim().startsWith('-');
}
