import type { FastifySchemaCompiler } from 'fastify';
import { validatorCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';

/**
 * Text every request may carry: no NUL (PostgreSQL `text` cannot hold it, and nothing legitimate sends
 * it) and no unpaired UTF-16 surrogate (not Unicode at all: encoders silently turn it into U+FFFD, so two
 * different strings would become the same bytes). One check for every string of every request part
 * (body, query, path parameters, headers) that has a schema, object keys included, before the route's
 * own schema runs: a new route gets it without asking.
 */
const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
// eslint-disable-next-line no-control-regex -- the NUL character is what this looks for
const NUL = /\u0000/;

/** What is wrong with this text, or undefined when it is acceptable. */
export function textProblem(value: string): string | undefined {
  if (NUL.test(value)) return 'must not contain the NUL character (U+0000)';
  if (UNPAIRED_SURROGATE.test(value)) return 'must be well-formed Unicode (no unpaired surrogate)';
  return undefined;
}

/** True for text without NUL and without unpaired surrogates. */
export function isCleanText(value: string): boolean {
  return textProblem(value) === undefined;
}

function printable(text: string): string {
  return Array.from(text, (c) => (c === '\u0000' || UNPAIRED_SURROGATE.test(c) ? '\ufffd' : c)).join('');
}

/** Every malformed string (or object key) in a parsed JSON value, parsed query string or params. */
function collectProblems(
  value: unknown,
  path: (string | number)[],
  found: { path: (string | number)[]; message: string }[],
): void {
  if (found.length >= 20) return;
  if (typeof value === 'string') {
    const message = textProblem(value);
    if (message) found.push({ path, message });
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => collectProblems(item, [...path, index], found));
  } else if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) {
    for (const [key, item] of Object.entries(value)) {
      const keyProblem = textProblem(key);
      // The key itself is the problem: named with U+FFFD in place of what cannot be shown.
      if (keyProblem) found.push({ path: [...path, printable(key)], message: keyProblem });
      else collectProblems(item, [...path, key], found);
    }
  }
}

/** A zod check on any value: reports each malformed string at its path. */
export const wellFormedInput = z.unknown().superRefine((value, ctx) => {
  const found: { path: (string | number)[]; message: string }[] = [];
  collectProblems(value, [], found);
  for (const problem of found) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
});

/**
 * The app's validator compiler: the well-formed check, then the route's zod schema (only when the
 * first passed, so a route never sees a NUL or a lone surrogate). Errors are ordinary zod validation
 * errors: the one error handler names each field (`body.email`, `query.q`, `path.id`).
 */
export const wellFormedValidatorCompiler: FastifySchemaCompiler<z.ZodType> = (route) => {
  if (!(route.schema instanceof z.ZodType)) return validatorCompiler(route);
  return validatorCompiler({ ...route, schema: wellFormedInput.pipe(route.schema) });
};
