import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import helmet, { type HelmetOptions } from 'helmet';

/** What helmet does to a response: the headers it sets, in order, and the ones it removes. */
export interface SecurityHeaders {
  set: [name: string, value: string][];
  remove: string[];
}

/**
 * Runs helmet once against a recording response. Every header helmet writes for our options is the same
 * for every request (no CSP nonces, no directive computed per request: refused here), so the API's
 * responses get them without running helmet's option parsing and middleware chain on each request, as
 * @fastify/helmet did (a few percent of a computed read's service CPU, issue 17).
 */
export function securityHeadersOf(options: HelmetOptions): SecurityHeaders {
  const csp = options.contentSecurityPolicy;
  const directives = typeof csp === 'object' ? Object.values(csp.directives ?? {}) : [];
  if (directives.flat().some((value) => typeof value === 'function'))
    throw new Error('a CSP directive computed per request cannot be rendered once');
  const headers: SecurityHeaders = { set: [], remove: [] };
  const recorder = {
    setHeader(name: string, value: number | string | readonly string[]) {
      headers.set.push([name, Array.isArray(value) ? value.join(', ') : String(value)]);
      return recorder;
    },
    removeHeader(name: string) {
      headers.remove.push(name);
    },
  };
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw error;
  });
  return headers;
}

/** helmet's headers on every response, rendered once at start (see securityHeadersOf). */
export const securityHeadersPlugin = fp(
  async (app: FastifyInstance, options: HelmetOptions) => {
    const { set, remove } = securityHeadersOf(options);
    app.addHook('onRequest', (_request, reply, done) => {
      const raw = reply.raw;
      for (const [name, value] of set) raw.setHeader(name, value);
      for (const name of remove) raw.removeHeader(name);
      done();
    });
  },
  { name: 'security-headers' },
);
