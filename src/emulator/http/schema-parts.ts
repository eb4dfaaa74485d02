import { Products } from 'plaid';
import { z } from 'zod';
import { isIsoDate } from '../core/dates.js';

/** Every Plaid request may carry the credentials in the body instead of the headers. */
export const credentials = {
  client_id: z.string().optional(),
  secret: z.string().optional(),
};

export const accessToken = z.string().min(1);

export const isoDate = z.string().refine(isIsoDate, { message: 'must be a date in YYYY-MM-DD format' });

const PRODUCT_NAMES = new Set<string>(Object.values(Products));

/** A Plaid product name; `balance` is not a product that can be requested (NOTES.md §3). */
export const product = z.string().superRefine((value, ctx) => {
  if (!PRODUCT_NAMES.has(value) || value === 'balance')
    ctx.addIssue({ code: 'custom', message: `invalid product ${value}` });
});

export const accountIdsOptions = z
  .strictObject({ account_ids: z.array(z.string()).optional() })
  .optional()
  .nullable();

export const daysRequested = z.number().int().min(1).max(730);

/** Objects the emulator accepts but does not model (nested Link options, for instance). */
export const anyObject = z.record(z.string(), z.unknown());
