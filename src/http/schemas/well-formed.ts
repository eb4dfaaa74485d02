import type { FastifySchemaCompiler } from 'fastify';
import { validatorCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { textProblemsIn } from '../../lib/text.js';

/** A zod check on any value: reports each malformed string at its path. */
export const wellFormedInput = z.unknown().superRefine((value, ctx) => {
  for (const { path, message } of textProblemsIn(value)) ctx.addIssue({ code: 'custom', path, message });
});

/**
 * The app's validator compiler. Every string of every request part that has a schema (body, query, path
 * parameters, headers), object keys included, is checked first (src/lib/text.ts: no NUL, no unpaired
 * surrogate), so a new route gets the check without asking; then the route's zod schema (only when the
 * first passed, so a route never sees a NUL or a lone surrogate). Errors are ordinary zod validation
 * errors: the one error handler names each field (`body.email`, `query.q`, `path.id`).
 */
export const wellFormedValidatorCompiler: FastifySchemaCompiler<z.ZodType> = (route) => {
  if (!(route.schema instanceof z.ZodType)) return validatorCompiler(route);
  return validatorCompiler({ ...route, schema: wellFormedInput.pipe(route.schema) });
};
