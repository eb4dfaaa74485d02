import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { errors } from '../errors/catalog.js';
import type { Metrics } from './metrics.js';

/** True when the request carries `Authorization: Bearer <token>` (compared in constant time). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const given = /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];
  if (!given) return false;
  // Hashed first: equal lengths for timingSafeEqual, and the token's length is not timed either.
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(token));
}

/**
 * The API's metrics: every answered request counted and timed by its route pattern (Fastify's, e.g.
 * `/v1/accounts/:id`; requests no route matched count as `unmatched`), and GET /metrics in the Prometheus
 * text format for `Authorization: Bearer <METRICS_TOKEN>`. Without a token there is no /metrics (404).
 */
export const metricsPlugin = fp<{ metrics: Metrics; token: string | undefined }>(
  async (app: FastifyInstance, { metrics, token }) => {
    app.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
      metrics.recorder.httpRequest(
        request.routeOptions.url ?? 'unmatched',
        request.method,
        reply.statusCode,
        reply.elapsedTime / 1000,
      );
    });
    if (!token) return;
    app.get('/metrics', { schema: { hide: true }, config: { rateLimit: false } }, async (request, reply) => {
      if (!bearerMatches(request.headers.authorization, token)) {
        reply.header('www-authenticate', 'Bearer realm="metrics"');
        throw errors.unauthenticated('Send `Authorization: Bearer <METRICS_TOKEN>`.');
      }
      const text = await metrics.render();
      return reply.type(metrics.contentType).header('cache-control', 'no-store').send(text);
    });
  },
  { name: 'finance-metrics' },
);

/**
 * A worker's metrics on their own port (WORKER_METRICS_PORT): GET /metrics with the same bearer token, and
 * nothing else (404). A plain Node server: the worker runs no Fastify.
 */
export async function serveWorkerMetrics(
  metrics: Metrics,
  options: { host: string; port: number; token: string },
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (request.method !== 'GET' || path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    if (!bearerMatches(request.headers.authorization, options.token)) {
      response
        .writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer realm="metrics"' })
        .end('unauthorized\n');
      return;
    }
    metrics.render().then(
      (text) =>
        response
          .writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' })
          .end(text),
      () => response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
