import type { FastifySchemaCompiler } from 'fastify';
import { validatorCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { printableText, textProblem } from '../../lib/text.js';

type Path = (string | number)[];

/**
 * Every malformed string (or object key) in a parsed JSON value, query string or params, at most
 * `limit` of them. Iterative: a JSON body nested a million deep must not overflow the stack.
 */
function findProblems(root: unknown, limit = 20): { path: Path; message: string }[] {
  const found: { path: Path; message: string }[] = [];
  const stack: { value: unknown; path: Path }[] = [{ value: root, path: [] }];
  while (stack.length > 0 && found.length < limit) {
    const { value, path } = stack.pop()!;
    if (typeof value === 'string') {
      const message = textProblem(value);
      if (message) found.push({ path, message });
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], path: [...path, i] });
    } else if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) {
      for (const [key, item] of Object.entries(value).reverse()) {
        const keyProblem = textProblem(key);
        // The key itself is the problem: named with U+FFFD in place of what cannot be shown.
        if (keyProblem) found.push({ path: [...path, printableText(key)], message: keyProblem });
        else stack.push({ value: item, path: [...path, key] });
      }
    }
  }
  return found;
}

/** A zod check on any value: reports each malformed string at its path. */
export const wellFormedInput = z.unknown().superRefine((value, ctx) => {
  for (const { path, message } of findProblems(value)) ctx.addIssue({ code: 'custom', path, message });
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
