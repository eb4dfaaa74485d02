import type { FastifyBaseLogger } from 'fastify';
import type { FaultInjector } from './http/faults.js';
import type { RateLimiter } from './http/rate-limits.js';
import type { EmulatorStore } from './state/store.js';
import type { WebhookKeyRing } from './webhooks/key-ring.js';
import type { WebhookSender } from './webhooks/sender.js';

/** Everything the routes share, built once by `buildEmulatorApp`. */
export interface EmulatorRuntime {
  readonly store: EmulatorStore;
  readonly faults: FaultInjector;
  readonly rateLimiter: RateLimiter | null;
  readonly keys: WebhookKeyRing;
  readonly webhooks: WebhookSender;
  readonly clientId: string;
  readonly secret: string;
  readonly logger: FastifyBaseLogger;
}
