import type { FastifyBaseLogger } from 'fastify';
import type { WallClock } from './core/clock.js';
import type { EmulatorFixture } from './fixtures/schema.js';
import type { WebhookRetryPolicy } from './webhooks/sender.js';

/** Credentials the standalone emulator accepts (`finance-api emulator`). */
export const EMULATOR_DEFAULT_CLIENT_ID = 'emulator-client-id';
export const EMULATOR_DEFAULT_SECRET = 'emulator-secret';

export interface EmulatorOptions {
  /** Seed of every generated value (default 1). */
  seed?: number;
  /** Parsed fixture document (see `loadFixture`); its users and items are linkable. */
  fixture?: EmulatorFixture;
  /** The only credentials accepted, in `PLAID-CLIENT-ID`/`PLAID-SECRET` headers or the body. */
  clientId: string;
  secret: string;
  /** Initial emulator clock (default: now). Give this or `today`, not both. */
  now?: Date;
  /**
   * Initial emulator day, `YYYY-MM-DD` (the clock starts at noon UTC that day): generated data ends that
   * day and a fixture is served as of it (`--today`). Give this or `now`, not both.
   */
  today?: string;
  /** Plaid's Sandbox per-item and per-client rate limits (default on). */
  rateLimits?: boolean;
  /** `/transactions/sync` answers NOT_READY for this long after linking (default 0). */
  notReadyDelayMs?: number;
  /** A pino-compatible logger; Fastify's own request logging stays off without one. */
  logger?: FastifyBaseLogger;
  /** Serve `/__emulator/*` (default true). */
  controlsEnabled?: boolean;
  /** Webhook retries (default Plaid's: 30 s, ×4, 6 attempts, 10 s timeout). */
  webhookRetry?: Partial<WebhookRetryPolicy>;
  /** Wall clock for webhook `iat`, token expiry and rate-limit windows (default Date.now). */
  wallClock?: WallClock;
}
