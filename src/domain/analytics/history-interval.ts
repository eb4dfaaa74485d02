import { periodsBetween, type Interval } from '../../lib/dates.js';

/**
 * The net-worth history's interval when the caller does not choose one: the finest of day, week and
 * month whose points for the range stay within `maxPoints` (month when none does — the range limits of
 * the routes keep a monthly history to 240 points). Each point is a row of the answer, so this is what
 * keeps a long history readable (REST) and within an assistant's context budget (MCP).
 */
export function chooseHistoryInterval(range: { start: string; end: string }, maxPoints: number): Interval {
  for (const interval of ['day', 'week'] as const)
    if (periodsBetween(range.start, range.end, interval) <= maxPoints) return interval;
  return 'month';
}

/** REST GET /v1/net-worth without `interval`: a year and a day stays daily, five years weekly, 20 monthly. */
export const REST_HISTORY_MAX_POINTS = 400;
