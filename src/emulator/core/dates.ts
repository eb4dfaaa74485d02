/** Calendar arithmetic on ISO dates (`YYYY-MM-DD`, UTC). */

const DAY_MS = 86_400_000;

export function isoDate(at: Date): string {
  return at.toISOString().slice(0, 10);
}

export function addDays(date: string, days: number): string {
  return isoDate(new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS));
}

export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}

/** Day of month 1–31. */
export function dayOfMonth(date: string): number {
  return Number(date.slice(8, 10));
}

/** Month 1–12. */
export function monthOf(date: string): number {
  return Number(date.slice(5, 7));
}

/** 0 = Sunday … 6 = Saturday. */
export function weekday(date: string): number {
  return new Date(`${date}T00:00:00Z`).getUTCDay();
}

export function lastDayOfMonth(date: string): boolean {
  return monthOf(addDays(date, 1)) !== monthOf(date);
}

/** `YYYY-MM` of a date. */
export function monthKey(date: string): string {
  return date.slice(0, 7);
}

export function previousMonthKey(date: string): string {
  return monthKey(addDays(`${monthKey(date)}-01`, -1));
}

export function isIsoDate(value: string): boolean {
  return (
    /^\d{4}-\d{2}-\d{2}$/.test(value) &&
    !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) &&
    isoDate(new Date(`${value}T00:00:00Z`)) === value
  );
}

export { DAY_MS };
