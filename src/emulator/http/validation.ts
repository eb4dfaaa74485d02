import type { z } from 'zod';
import { plaidErrors } from './plaid-error.js';

function dotted(path: readonly PropertyKey[]): string {
  return path
    .map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))
    .join('.')
    .replace(/\.\[/g, '[');
}

/**
 * Validates a request body the way Plaid does: missing required fields → MISSING_FIELDS, fields the
 * endpoint does not know → UNKNOWN_FIELDS, anything else wrong → INVALID_FIELD (in that order).
 */
export function parseRequest<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body, { reportInput: true });
  if (result.success) return result.data;
  const missing: string[] = [];
  const unknown: string[] = [];
  const invalid: string[] = [];
  for (const issue of result.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) unknown.push(dotted([...issue.path, key]));
    } else if (
      issue.code === 'invalid_type' &&
      (!('input' in issue) || issue.input === undefined || issue.input === null)
    ) {
      missing.push(dotted(issue.path));
    } else {
      invalid.push(`${dotted(issue.path)}: ${issue.message}`);
    }
  }
  if (missing.length > 0) throw plaidErrors.missingFields(missing);
  if (unknown.length > 0) throw plaidErrors.unknownFields(unknown);
  throw plaidErrors.invalidField(invalid.join('; '));
}
