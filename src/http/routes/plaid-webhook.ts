import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { WebhookService } from '../../domain/webhooks/service.js';
import { sendProblem, toAppError } from '../plugins/errors.js';
import { problemResponses } from '../schemas/problem.js';

export const PLAID_WEBHOOK_ROUTE = '/v1/sync/plaid/webhook';
/** Plaid's webhooks are a few hundred bytes; nothing legitimate comes near this. */
export const WEBHOOK_BODY_LIMIT_BYTES = 64 * 1024;
/** Per client address; generous for Plaid (a few addresses), tight enough to bound forged traffic. */
export const WEBHOOK_RATE_LIMIT_PER_MINUTE = 600;

export interface PlaidWebhookRoutesOptions {
  webhooks: Pick<WebhookService, 'receive'>;
  bodyLimitBytes?: number;
  rateLimitPerMinute?: number;
}

/**
 * `POST /v1/sync/plaid/webhook`: Plaid calls it, so there is no bearer token; the `Plaid-Verification`
 * header is the authentication. The signature covers the exact body bytes (Plaid pretty-prints its
 * JSON), so this plugin replaces the JSON parser with one that keeps the raw Buffer. Registered without
 * fastify-plugin, the parser (and the error handler) stay inside this plugin: every other route keeps
 * the normal JSON parser. The body is parsed as JSON by the service, after verification.
 */
export const plaidWebhookRoutes: FastifyPluginAsyncZod<PlaidWebhookRoutesOptions> = async (app, options) => {
  const bodyLimit = options.bodyLimitBytes ?? WEBHOOK_BODY_LIMIT_BYTES;

  // Plaid sends application/json only; anything else is 415 here (no text/plain parser either).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit }, (_request, body, done) => {
    done(null, body);
  });
  // The app's handler, but naming this route's body limit in a 413.
  app.setErrorHandler((error, request, reply) => {
    const appError = toAppError(error, request, bodyLimit);
    if (appError.status < 500) request.log.info({ code: appError.code }, appError.detail);
    return sendProblem(reply, request, appError);
  });

  app.post(
    PLAID_WEBHOOK_ROUTE,
    {
      bodyLimit,
      config: {
        rateLimit: {
          max: options.rateLimitPerMinute ?? WEBHOOK_RATE_LIMIT_PER_MINUTE,
          timeWindow: '1 minute',
        },
      },
      schema: {
        operationId: 'receivePlaidWebhook',
        summary: 'Plaid webhook receiver (called by Plaid, authenticated by its Plaid-Verification header)',
        description:
          'Verifies the ES256 `Plaid-Verification` JWT over the raw body, records the event and queues its ' +
          'processing, then answers at once. A webhook that does not verify gets 401 and is recorded as ' +
          'rejected; a delivery whose body is already waiting to be processed is recorded as a duplicate.',
        tags: ['sync'],
        response: {
          200: z.object({
            received: z.literal(true),
            duplicate: z.boolean().describe('The same body is already waiting to be processed'),
          }),
          ...problemResponses(400, 401, 413, 415, 429),
        },
      },
    },
    async (request) => {
      const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const { duplicate } = await options.webhooks.receive(request.headers, rawBody);
      return { received: true as const, duplicate };
    },
  );
};
