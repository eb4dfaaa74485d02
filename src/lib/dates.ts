/** Calendar dates as 'YYYY-MM-DD' strings (UTC), the form PostgreSQL `date` columns use. */

const DAY_MS = 86_400_000;

export function toDate(value: string): Date {
  return new Date(`${value}T00:00:00Z`);
}

export function formatDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function today(now: Date = new Date()): string {
  return formatDate(now);
}

export function addDays(value: string, days: number): string {
  return formatDate(new Date(toDate(value).getTime() + days * DAY_MS));
}

/** Adds calendar months, clamping the day (Jan 31 + 1 month = Feb 28/29). */
export function addMonths(value: string, months: number): string {
  const date = toDate(value);
  const target = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + months, 1));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(date.getUTCDate(), lastDay));
  return formatDate(target);
}

export function daysBetween(from: string, to: string): number {
  return Math.round((toDate(to).getTime() - toDate(from).getTime()) / DAY_MS);
}

export function startOfMonth(value: string): string {
  return `${value.slice(0, 7)}-01`;
}

/** Monday of the ISO week (PostgreSQL's date_trunc('week')). */
export function startOfWeek(value: string): string {
  const day = toDate(value).getUTCDay(); // 0 = Sunday
  return addDays(value, -((day + 6) % 7));
}

/** A real calendar day written `YYYY-MM-DD` (`2024-02-29` yes; `2023-02-29`, `2024-13-01`, `0000-00-00` no). */
export function isValidDate(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
  return day <= days;
}

/**
 * The dates the API accepts (docs/security.md): wide enough for any bank history and any plan, narrow
 * enough that every date computation stays a four-digit year (JavaScript dates and `YYYY-MM-DD` order).
 */
export const EARLIEST_DATE = '1900-01-01';
export const LATEST_DATE = '2199-12-31';

export type Interval = 'day' | 'week' | 'month';

/** How many day, week (Monday-based) or calendar-month periods the range start..end touches. */
export function periodsBetween(start: string, end: string, interval: Interval): number {
  if (end < start) return 0;
  if (interval === 'day') return daysBetween(start, end) + 1;
  if (interval === 'week') return daysBetween(startOfWeek(start), startOfWeek(end)) / 7 + 1;
  const months = (value: string) => Number(value.slice(0, 4)) * 12 + Number(value.slice(5, 7));
  return months(end) - months(start) + 1;
}

/** Why start..end is longer than `maxPeriods` periods of `interval`, or undefined when it is not. */
export function spanProblem(
  start: string,
  end: string,
  interval: Interval,
  maxPeriods: number,
): string | undefined {
  return periodsBetween(start, end, interval) > maxPeriods
    ? `expected at most ${maxPeriods} ${interval}s from start_date to end_date (interval=${interval})`
    : undefined;
}
