import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  chooseHistoryInterval,
  REST_HISTORY_MAX_POINTS,
} from '../../src/domain/analytics/history-interval.js';
import { addDays, periodsBetween } from '../../src/lib/dates.js';

describe('chooseHistoryInterval', () => {
  it('keeps the default 90 days daily and coarsens longer ranges for REST', () => {
    const end = '2026-06-30';
    expect(chooseHistoryInterval({ start: addDays(end, -89), end }, REST_HISTORY_MAX_POINTS)).toBe('day');
    expect(chooseHistoryInterval({ start: addDays(end, -399), end }, REST_HISTORY_MAX_POINTS)).toBe('day');
    expect(chooseHistoryInterval({ start: addDays(end, -400), end }, REST_HISTORY_MAX_POINTS)).toBe('week');
    expect(chooseHistoryInterval({ start: '2021-07-01', end }, REST_HISTORY_MAX_POINTS)).toBe('week');
    expect(chooseHistoryInterval({ start: '2006-07-01', end }, REST_HISTORY_MAX_POINTS)).toBe('month');
  });

  it('counts periods the way the history does (Monday weeks, calendar months)', () => {
    // 2026-06-01 is a Monday: 14 days touch 2 weeks; 2026-06-03..2026-06-16 touch 3.
    expect(chooseHistoryInterval({ start: '2026-06-01', end: '2026-06-14' }, 13)).toBe('week');
    expect(chooseHistoryInterval({ start: '2026-06-03', end: '2026-06-16' }, 2)).toBe('month');
    expect(chooseHistoryInterval({ start: '2026-06-03', end: '2026-06-16' }, 3)).toBe('week');
  });

  it('picks the finest interval within the budget, and month when none fits', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 7_304 }),
        fc.integer({ min: 0, max: 3_000 }),
        fc.integer({ min: 1, max: 500 }),
        (span, offset, maxPoints) => {
          const end = addDays('2030-12-31', -offset);
          const range = { start: addDays(end, -span), end };
          const chosen = chooseHistoryInterval(range, maxPoints);
          const points = (i: 'day' | 'week' | 'month') => periodsBetween(range.start, range.end, i);
          if (chosen === 'day') expect(points('day')).toBeLessThanOrEqual(maxPoints);
          if (chosen === 'week') {
            expect(points('day')).toBeGreaterThan(maxPoints);
            expect(points('week')).toBeLessThanOrEqual(maxPoints);
          }
          if (chosen === 'month') expect(points('week')).toBeGreaterThan(maxPoints);
        },
      ),
    );
  });
});
