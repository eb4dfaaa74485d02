import { z } from 'zod';
import { EARLIEST_DATE, isValidDate, LATEST_DATE, spanProblem, type Interval } from '../../lib/dates.js';

/** Schemas shared by the read endpoints. */

export const moneySchema = z
  .string()
  .regex(/^-?\d+\.\d{2,}$/)
  .describe('Exact decimal string (never a float). Negative = money left the account / is owed.')
  .meta({ example: '-42.50' });

export const dateSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  .meta({ example: '2026-01-31' });

const DATE_DESCRIPTION = `A real calendar date YYYY-MM-DD (RFC 3339 full-date) from ${EARLIEST_DATE} to ${LATEST_DATE}`;
const DATE_MESSAGE = `expected a real calendar date YYYY-MM-DD from ${EARLIEST_DATE} to ${LATEST_DATE}`;

/**
 * A query parameter date: a real calendar day (`2024-02-30` is refused) between EARLIEST_DATE and
 * LATEST_DATE. Every date parameter uses it, so no route can let an impossible or far-off date through.
 */
export const queryDate = z
  .string({ message: DATE_MESSAGE })
  .refine((value) => isValidDate(value) && value >= EARLIEST_DATE && value <= LATEST_DATE, {
    message: DATE_MESSAGE,
  })
  .meta({ format: 'date', description: DATE_DESCRIPTION, example: '2026-01-31' });

/** An optional date parameter: what it means, then the rule every date follows (in the OpenAPI too). */
export function optionalDateParam(meaning: string) {
  return queryDate.optional().describe(`${meaning}. ${DATE_DESCRIPTION}.`);
}

/** The longest range per interval, in periods; `null` for a route whose answer is bounded otherwise. */
export type RangeLimits = Partial<Record<Interval, number>> | null;

/** How the limits read in the OpenAPI descriptions: "at most 240 months (interval=month), ...". */
export function describeRangeLimits(limits: RangeLimits): string {
  if (!limits) return '';
  const parts = Object.entries(limits).map(([interval, max]) => `${max} ${interval}s (interval=${interval})`);
  return `start_date to end_date spans at most ${parts.join(', ')}; a longer range is 400.`;
}

/**
 * A range check for a query with `start_date`, `end_date` and (when it has one) `interval`: end_date ≥
 * start_date, reported on end_date; at most `limits[interval]` periods, reported on start_date. Every
 * route with a date range passes its limits (or `null`, saying why), so none can forget them. A bound
 * that is left out is checked after its default is known (see the analytics range helpers).
 */
export function checkDateRange(limits: RangeLimits) {
  return (
    value: { start_date?: string; end_date?: string; interval?: Interval },
    ctx: z.RefinementCtx,
  ): void => {
    const { start_date: start, end_date: end } = value;
    if (!start || !end || !isValidDate(start) || !isValidDate(end)) return;
    if (end < start) {
      ctx.addIssue({ code: 'custom', path: ['end_date'], message: 'must not be before start_date' });
      return;
    }
    const interval = value.interval ?? 'day';
    const max = limits?.[interval];
    const problem = max === undefined ? undefined : spanProblem(start, end, interval, max);
    if (problem) ctx.addIssue({ code: 'custom', path: ['start_date'], message: problem });
  };
}

export const freshnessSchema = z
  .object({
    stale: z.boolean().describe('True when any item was last synced over 36 hours ago or needs its owner'),
    items: z.array(
      z.object({
        item_id: z.uuid(),
        institution_name: z.string().nullable(),
        status: z.enum(['good', 'login_required', 'pending_expiration', 'revoked', 'error']),
        last_synced_at: z.iso.datetime().nullable(),
        stale: z.boolean(),
      }),
    ),
  })
  .meta({ id: 'Freshness' });

export const envelopeShape = {
  as_of: z.iso.datetime().describe('When this answer was computed'),
  freshness: freshnessSchema,
};

export const idParams = z.strictObject({ id: z.uuid({ message: 'expected an id (UUID)' }) });

/** A boolean query parameter: exactly `true` or `false`. */
export const booleanQuery = z
  .enum(['true', 'false'], { message: 'expected true or false' })
  .transform((value) => value === 'true');

const ACCOUNT_ID_MESSAGE = 'expected an account id (UUID)';
const ACCOUNT_IDS_MESSAGE = 'expected comma-separated account ids (UUIDs), at most 100';

/**
 * The account filter of the list routes, in both spellings: `account_id` (repeatable) and `account_ids=a,b,c`
 * (what a client that cannot repeat a parameter, a GPT Action, sends). Each comes out as a list.
 */
export const accountFilterShape = {
  account_id: z
    .union([
      z.uuid({ message: ACCOUNT_ID_MESSAGE }),
      z.array(z.uuid({ message: ACCOUNT_ID_MESSAGE })).max(100),
    ])
    .transform((v) => (Array.isArray(v) ? v : [v]))
    .optional()
    .describe('Repeat to filter on several accounts'),
  account_ids: z
    .string({ message: ACCOUNT_IDS_MESSAGE })
    .max(100 * 37, { message: ACCOUNT_IDS_MESSAGE })
    .transform((value) => value.split(',').map((id) => id.trim()))
    .pipe(
      z
        .array(z.uuid({ message: ACCOUNT_IDS_MESSAGE }))
        .min(1)
        .max(100, { message: ACCOUNT_IDS_MESSAGE }),
    )
    .optional()
    .describe(
      'Comma-separated account ids (the same filter as account_id, for clients without repeated parameters)',
    ),
};

/** The accounts asked for in either spelling (their union), or undefined for all. */
export function requestedAccountIds(query: {
  account_id?: string[] | undefined;
  account_ids?: string[] | undefined;
}): string[] | undefined {
  if (!query.account_id && !query.account_ids) return undefined;
  return [...new Set([...(query.account_id ?? []), ...(query.account_ids ?? [])])];
}
