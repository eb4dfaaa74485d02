import { z } from 'zod';
import { isValidDate } from '../../lib/dates.js';

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

/** A query parameter date, checked for real calendar dates. */
export const queryDate = z
  .string({ message: 'expected a date YYYY-MM-DD' })
  .refine(isValidDate, { message: 'expected a date YYYY-MM-DD' });

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

/** end_date ≥ start_date, reported on end_date. */
export function checkDateRange(
  value: { start_date?: string; end_date?: string },
  ctx: z.RefinementCtx,
): void {
  if (value.start_date && value.end_date && value.end_date < value.start_date) {
    ctx.addIssue({ code: 'custom', path: ['end_date'], message: 'must not be before start_date' });
  }
}

export const idParams = z.strictObject({ id: z.uuid({ message: 'expected an id (UUID)' }) });

/** A boolean query parameter: exactly `true` or `false`. */
export const booleanQuery = z
  .enum(['true', 'false'], { message: 'expected true or false' })
  .transform((value) => value === 'true');
