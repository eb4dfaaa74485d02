/**
 * A `/transactions/sync` cursor: an opaque base64url string naming a position in an item's change
 * log. `base` is the version the client's data reflects, `pageStart` the version the current
 * pagination was frozen at, `position` how far into the log the pagination has read. A cursor whose
 * position has reached `pageStart` is a resting cursor: the next call starts a new sequence.
 */
export interface SyncCursor {
  readonly itemId: string;
  readonly accountId: string | null;
  readonly base: number;
  readonly pageStart: number;
  readonly position: number;
}

const VERSION = 'c1';

export function encodeCursor(cursor: SyncCursor): string {
  const text = [
    VERSION,
    cursor.itemId,
    cursor.accountId ?? '',
    cursor.base,
    cursor.pageStart,
    cursor.position,
  ].join('|');
  return Buffer.from(text, 'utf8').toString('base64url');
}

/** Decodes a cursor, or returns null when it is not one of ours. */
export function decodeCursor(value: string): SyncCursor | null {
  if (!/^[A-Za-z0-9_-]+$/.test(value) || value.length > 256) return null;
  const parts = Buffer.from(value, 'base64url').toString('utf8').split('|');
  if (parts.length !== 6 || parts[0] !== VERSION) return null;
  const [, itemId, accountId, base, pageStart, position] = parts;
  const numbers = [base, pageStart, position].map((n) =>
    n !== undefined && /^\d+$/.test(n) ? Number(n) : NaN,
  );
  const [b, p, pos] = numbers;
  if (!itemId || b === undefined || p === undefined || pos === undefined || numbers.some(Number.isNaN))
    return null;
  if (!(b <= pos && pos <= p)) return null;
  return { itemId, accountId: accountId || null, base: b, pageStart: p, position: pos };
}

export function isResting(cursor: SyncCursor): boolean {
  return cursor.position === cursor.pageStart;
}
