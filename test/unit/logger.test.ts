import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { users } from '../../src/db/schema/index.js';
import { createLogger } from '../../src/lib/logger.js';
import { databaseKinds, openTestDatabase } from '../helpers/database.js';

/** A logger at info whose lines land in `lines`. */
function capturedLogger() {
  const lines: string[] = [];
  const logger = createLogger(
    'info',
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    }),
  );
  return { lines, logger };
}

describe('logger redaction', () => {
  it('never writes authorization headers, passwords, tokens or Plaid secrets', () => {
    const { lines, logger } = capturedLogger();
    logger.info(
      { req: { headers: { authorization: 'Bearer SECRET-A', 'plaid-secret': 'SECRET-B' } } },
      'request',
    );
    logger.info({ body: { password: 'SECRET-C', access_token: 'SECRET-D' } }, 'body');
    logger.info(
      { err: { message: 'axios failed', config: { headers: { 'PLAID-SECRET': 'SECRET-E' } } } },
      'error',
    );
    logger.info({ password: 'SECRET-F', token: 'SECRET-G' }, 'top level');
    const output = lines.join('');
    expect(output).toContain('[redacted]');
    for (const secret of [
      'SECRET-A',
      'SECRET-B',
      'SECRET-C',
      'SECRET-D',
      'SECRET-E',
      'SECRET-F',
      'SECRET-G',
    ]) {
      expect(output).not.toContain(secret);
    }
  });
});

describe.each(databaseKinds())('database errors in logs (%s)', (kind) => {
  it('logs the SQLSTATE and constraint of a failed statement, never the statement or its values', async () => {
    const database = await openTestDatabase(kind);
    try {
      const email = 'leaky.person@example.com';
      await database.handle.db.insert(users).values({ email, passwordHash: 'hash-0123456789abcdef' });
      const error = await database.handle.db
        .insert(users)
        .values({ email, passwordHash: 'hash-fedcba9876543210' })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(Error);
      // What drizzle throws carries the statement and its parameters: exactly what must not be logged.
      expect(String((error as Error).message)).toContain(email);

      const { lines, logger } = capturedLogger();
      logger.error({ err: error }, 'insert failed');
      logger.error({ err: (error as Error).message }, 'insert failed, as text');
      const output = lines.join('');
      for (const leak of [email, 'hash-fedcba9876543210', 'insert into', 'params']) {
        expect(output.toLowerCase()).not.toContain(leak);
      }
      const first = JSON.parse(lines[0]!) as { err: { code?: string; constraint?: string } };
      expect(first.err.code).toBe('23505');
      expect(first.err.constraint).toMatch(/email/);
    } finally {
      await database.drop();
    }
  });

  it('keeps the message and stack of an error that is not the database’s', () => {
    const { lines, logger } = capturedLogger();
    const error = Object.assign(new TypeError('cannot read x of undefined'), {
      response: { config: { data: 'access_token=access-sandbox-LEAK' } },
    });
    logger.error({ err: error }, 'bug');
    const line = JSON.parse(lines[0]!) as { err: { type: string; message: string; stack: string } };
    expect(line.err.type).toBe('TypeError');
    expect(line.err.message).toBe('cannot read x of undefined');
    expect(line.err.stack).toContain('TypeError');
    expect(lines[0]).not.toContain('access-sandbox-LEAK');
  });
});

describe('errors drizzle wraps without a SQLSTATE', () => {
  it('logs what caused them (a pool timeout), never the statement', () => {
    const { lines, logger } = capturedLogger();
    const cause = new Error('timeout exceeded when trying to connect');
    logger.error(
      {
        err: new Error('Failed query: select * from users where email = $1\nparams: a@b.example', { cause }),
      },
      'query failed',
    );
    const line = JSON.parse(lines[0]!) as { err: { type: string; cause: { message: string } } };
    expect(line.err.type).toBe('DrizzleQueryError');
    expect(line.err.cause.message).toBe('timeout exceeded when trying to connect');
    expect(lines[0]).not.toContain('a@b.example');
    expect(lines[0]).not.toContain('select');
  });
});

describe('request lines', () => {
  it('log the path and method, never the query string people search with', () => {
    const { lines, logger } = capturedLogger();
    logger.info(
      { req: { method: 'GET', url: '/v1/transactions?merchant=Blue%20Bottle&min_amount=1234.56', id: 'r1' } },
      'incoming request',
    );
    const line = JSON.parse(lines[0]!) as { req: { method: string; url: string; id: string } };
    expect(line.req).toEqual({ method: 'GET', url: '/v1/transactions?[query withheld]', id: 'r1' });
    expect(lines[0]).not.toContain('Blue');
    expect(lines[0]).not.toContain('1234.56');
  });
});
