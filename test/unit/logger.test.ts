import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/lib/logger.js';

describe('logger redaction', () => {
  it('never writes authorization headers, passwords, tokens or Plaid secrets', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger('info', sink);
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
