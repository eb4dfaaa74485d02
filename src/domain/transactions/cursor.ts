import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { errors } from '../../errors/catalog.js';

/**
 * Opaque page cursors: the position (date, id), bound to the user and to the query that minted them,
 * and signed so that a tampered cursor, one of another user or one of another query is refused.
 */
export interface CursorPosition {
  date: string;
  id: string;
}

interface Payload {
  v: 1;
  u: string; // user id hash
  q: string; // query hash
  d: string;
  i: string;
}

function shortHash(value: string): string {
  return createHash('sha256').update(value).digest('base64url').slice(0, 16);
}

export function createCursorCodec(secret: string) {
  const key = createHmac('sha256', secret).update('finance-api/page-cursor/v1').digest();
  const sign = (body: string) => createHmac('sha256', key).update(body).digest();

  return {
    encode(userId: string, query: unknown, position: CursorPosition): string {
      const payload: Payload = {
        v: 1,
        u: shortHash(userId),
        q: shortHash(JSON.stringify(query)),
        d: position.date,
        i: position.id,
      };
      const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
      return `${body}.${sign(body).toString('base64url')}`;
    },

    /** Throws a 400 naming `cursor` unless the cursor is ours, for this user and this query. */
    decode(cursor: string, userId: string, query: unknown): CursorPosition {
      const invalid = (why: string) =>
        errors.validationFailed([{ field: 'query.cursor', message: why }], `query.cursor: ${why}`);
      const [body, signature, ...rest] = cursor.split('.');
      if (!body || !signature || rest.length > 0) throw invalid('malformed cursor');
      const expected = sign(body);
      const given = Buffer.from(signature, 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected))
        throw invalid('tampered or foreign cursor');
      let payload: Payload;
      try {
        payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Payload;
      } catch {
        throw invalid('malformed cursor');
      }
      if (payload.u !== shortHash(userId)) throw invalid('this cursor belongs to another user');
      if (payload.q !== shortHash(JSON.stringify(query))) {
        throw invalid('this cursor was minted for another query; repeat the same filters or start over');
      }
      return { date: payload.d, id: payload.i };
    },
  };
}

export type CursorCodec = ReturnType<typeof createCursorCodec>;
