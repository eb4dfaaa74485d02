import { z } from 'zod';
import { apiTokenScopes } from '../../db/schema/index.js';

export const apiTokenSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    prefix: z.string().describe('The visible start of the token, to recognise it'),
    scope: z.enum(apiTokenScopes),
    created_at: z.iso.datetime(),
    expires_at: z.iso.datetime().nullable(),
    last_used_at: z.iso.datetime().nullable(),
    revoked_at: z.iso.datetime().nullable(),
  })
  .meta({ id: 'ApiToken' });

export const createApiTokenBodySchema = z.strictObject({
  name: z
    .string()
    .trim()
    .min(1, { message: 'expected a name' })
    .max(100, { message: 'expected at most 100 characters' }),
  scope: z.enum(apiTokenScopes, { message: 'expected read or write' }).default('read'),
  expires_in_days: z
    .number({ message: 'expected a whole number of days' })
    .int({ message: 'expected a whole number of days' })
    .min(1, { message: 'expected at least 1 day' })
    .max(3650, { message: 'expected at most 3650 days' })
    .optional(),
});
