import type { FastifyInstance } from 'fastify';
import type { WebhookVerificationKeyGetResponse } from 'plaid';
import { z } from 'zod';
import type { EmulatorRuntime } from '../../runtime.js';
import { PlaidApiError } from '../plaid-error.js';
import { plaidRoute } from '../plaid-route.js';
import { credentials } from '../schema-parts.js';

export const webhookVerificationKeyGetSchema = z.strictObject({ ...credentials, key_id: z.string().min(1) });

export function registerWebhookVerificationRoutes(app: FastifyInstance, runtime: EmulatorRuntime): void {
  plaidRoute(
    app,
    runtime,
    '/webhook_verification_key/get',
    webhookVerificationKeyGetSchema,
    (body, ctx): WebhookVerificationKeyGetResponse => {
      const key = runtime.keys.publicKey(body.key_id);
      if (!key) throw new PlaidApiError('INVALID_WEBHOOK_VERIFICATION_KEY_ID');
      return { key, request_id: ctx.requestId };
    },
  );
}
