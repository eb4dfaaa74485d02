import { describe, expect, it } from 'vitest';
import { cutIntoSpans } from '../../src/domain/analytics/materializers.js';

describe('cutIntoSpans', () => {
  it('should cover every date with open ends and cut between days only', () => {
    const days = [
      { date: '2025-01-01', n: 3 },
      { date: '2025-01-02', n: 3 },
      { date: '2025-01-03', n: 9 },
      { date: '2025-01-05', n: 1 },
      { date: '2025-01-09', n: 4 },
    ];
    expect(cutIntoSpans(days, 6)).toEqual([
      { until: '2025-01-03' },
      { from: '2025-01-03', until: '2025-01-05' },
      { from: '2025-01-05' },
    ]);
  });

  it('should give one open span for an empty or small history', () => {
    expect(cutIntoSpans([], 10)).toEqual([{}]);
    expect(cutIntoSpans([{ date: '2025-01-01', n: 10 }], 10)).toEqual([{}]);
  });

  it('should give a day of more than the size a span of its own', () => {
    expect(
      cutIntoSpans(
        [
          { date: '2025-01-01', n: 1 },
          { date: '2025-01-02', n: 50 },
          { date: '2025-01-03', n: 1 },
        ],
        10,
      ),
    ).toEqual([{ until: '2025-01-02' }, { from: '2025-01-02', until: '2025-01-03' }, { from: '2025-01-03' }]);
  });
});
