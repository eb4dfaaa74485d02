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

export function isValidDate(value: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(value) && formatDate(toDate(value)) === value;
}
