import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addDays,
  formatDate,
  isValidDate,
  periodsBetween,
  spanProblem,
  toDate,
} from '../../src/lib/dates.js';

describe('isValidDate', () => {
  it('accepts real calendar days only', () => {
    for (const date of ['2024-02-29', '2000-02-29', '1900-01-01', '2199-12-31', '2023-12-31', '0001-01-01'])
      expect(isValidDate(date), date).toBe(true);
    for (const date of [
      '2024-13-01',
      '2024-01-32',
      '0000-00-00',
      '2024-00-10',
      '2023-02-29',
      '1900-02-29',
      '2024-04-31',
      '2024-1-01',
      '+02024-01-01',
      '2024-01-01T00:00:00Z',
      '',
      '２０２４-01-01',
    ])
      expect(isValidDate(date), date).toBe(false);
  });

  it('agrees with the calendar for every day of four centuries, and never throws on anything', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 146_096 }), (offset) => {
        const date = addDays('1900-01-01', offset);
        expect(isValidDate(date)).toBe(true);
        expect(formatDate(toDate(date))).toBe(date);
      }),
    );
    fc.assert(fc.property(fc.string(), (text) => typeof isValidDate(text) === 'boolean'));
  });
});

describe('periodsBetween and spanProblem', () => {
  it('counts the days, Monday weeks and calendar months a range touches', () => {
    expect(periodsBetween('2024-01-01', '2024-01-01', 'day')).toBe(1);
    expect(periodsBetween('2024-01-01', '2024-12-31', 'day')).toBe(366);
    // 2024-01-07 is a Sunday, 2024-01-08 a Monday.
    expect(periodsBetween('2024-01-07', '2024-01-08', 'week')).toBe(2);
    expect(periodsBetween('2024-01-01', '2024-01-07', 'week')).toBe(1);
    expect(periodsBetween('2024-01-31', '2024-02-01', 'month')).toBe(2);
    expect(periodsBetween('2005-01-15', '2024-12-15', 'month')).toBe(240);
    expect(periodsBetween('2024-02-01', '2024-01-31', 'day')).toBe(0);
  });

  it('names the cap only when the range is longer', () => {
    expect(spanProblem('2024-01-01', '2024-01-10', 'day', 10)).toBeUndefined();
    expect(spanProblem('2024-01-01', '2024-01-11', 'day', 10)).toMatch(/at most 10 days/);
  });
});
