import { z } from 'zod';

/** A calendar month YYYY-MM between 1900-01 and 2199-12 (the bounds of every date parameter). */
const MONTH_MESSAGE = 'expected a month YYYY-MM from 1900-01 to 2199-12';

export const monthParam = z
  .string({ message: MONTH_MESSAGE })
  .regex(/^(19\d\d|2[01]\d\d)-(0[1-9]|1[0-2])$/, { message: MONTH_MESSAGE })
  .meta({ description: `A calendar month YYYY-MM (1900-01 to 2199-12)`, example: '2026-03' });

export const monthSchema = z
  .string()
  .regex(/^\d{4}-\d{2}$/)
  .meta({ example: '2026-03' });
