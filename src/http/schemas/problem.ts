import { z } from 'zod';

/** RFC 9457 problem details, plus our stable `code` and, for validation, the offending fields. */
export const problemSchema = z
  .object({
    type: z.string().describe('A URN naming the problem type'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string(),
    code: z.string().describe('Stable machine-readable error code, e.g. VALIDATION_FAILED'),
    request_id: z.string(),
    errors: z
      .array(z.object({ field: z.string(), message: z.string() }))
      .optional()
      .describe('For validation errors: each offending field (e.g. body.email) and what is wrong'),
  })
  .meta({ id: 'Problem' });

/** Standard error responses for a route: pass the statuses it can return. */
export function problemResponses<S extends number>(...statuses: S[]): Record<S, typeof problemSchema> {
  return Object.fromEntries(statuses.map((status) => [status, problemSchema])) as Record<
    S,
    typeof problemSchema
  >;
}
