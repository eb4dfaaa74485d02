import { errors } from '../errors/catalog.js';
import { largestFitting } from './budget.js';

/**
 * Opaque cursors over a list a tool reads whole (accounts, positions, recurring series, items): the
 * offset of the next row, bound to the tool that minted it. The rows are the caller's own either way; a
 * cursor carries no user data and grants nothing.
 */
export function encodeOffsetCursor(tool: string, offset: number): string {
  return Buffer.from(JSON.stringify({ t: tool, o: offset })).toString('base64url');
}

export function decodeOffsetCursor(tool: string, cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  const refuse = () =>
    errors.validationFailed(
      [{ field: 'cursor', message: `not a next_cursor of ${tool}; call it again without cursor` }],
      `cursor: not a next_cursor of ${tool}; call it again without cursor`,
    );
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw refuse();
  }
  const { t, o } = (payload ?? {}) as { t?: unknown; o?: unknown };
  if (t !== tool || typeof o !== 'number' || !Number.isSafeInteger(o) || o < 0) throw refuse();
  return o;
}

/**
 * As many of `rows` from the cursor's offset as fit the budget: `build` renders the answer for a page,
 * its next_cursor and, when rows were left for later, a `truncated` note saying how to get them.
 */
export function pageToBudget<T, A extends Record<string, unknown>>(
  tool: string,
  rows: readonly T[],
  cursor: string | undefined,
  build: (page: T[], nextCursor: string | null, truncated: string | null) => A,
): A {
  const offset = decodeOffsetCursor(tool, cursor);
  const rest = rows.slice(offset);
  return largestFitting(Math.min(1, rest.length), rest.length, (n) => {
    const left = rest.length - n;
    return build(
      rest.slice(0, n),
      left > 0 ? encodeOffsetCursor(tool, offset + n) : null,
      left > 0
        ? `${left} more of ${rows.length} did not fit this answer: call ${tool} again with cursor = next_cursor`
        : null,
    );
  }).answer;
}
