import { z } from 'zod';

export const userSchema = z
  .object({
    id: z.uuid(),
    email: z.string(),
    created_at: z.iso.datetime(),
  })
  .meta({ id: 'User' });
