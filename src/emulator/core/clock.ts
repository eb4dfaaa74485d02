import { DAY_MS, isoDate } from './dates.js';

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
