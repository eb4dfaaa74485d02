import { DAY_MS, isIsoDate, isoDate } from './dates.js';

/**
 * The emulator's business clock: the "today" that data is generated up to. It only moves when the
 * controls advance it, so tests see a frozen world until they say otherwise. Wall time (webhook
 * `iat`, token expiry, rate-limit windows) is separate and comes from `WallClock`.
 */
export class EmulatorClock {
  private current: Date;

  constructor(start: Date) {
    this.current = new Date(start.getTime());
  }

  now(): Date {
    return new Date(this.current.getTime());
  }

  today(): string {
    return isoDate(this.current);
  }

  advanceDays(days: number): void {
    this.current = new Date(this.current.getTime() + days * DAY_MS);
  }
}

/** Real time, injectable so that stale webhook signatures and token expiry can be tested. */
export type WallClock = () => number;

export const systemWallClock: WallClock = () => Date.now();

/**
 * The clock's start for a given day (`--today YYYY-MM-DD`, the app's `today` option): that day at noon
 * UTC, so that "today" is the same date in every time zone's view of it. A value that is not a real
 * calendar date in that format is refused with a message saying what is expected.
 */
export function clockStartOf(today: string): Date {
  if (!isIsoDate(today)) {
    throw new RangeError(`expected a calendar date as YYYY-MM-DD (e.g. 2024-06-30), got "${today}"`);
  }
  return new Date(`${today}T12:00:00Z`);
}
