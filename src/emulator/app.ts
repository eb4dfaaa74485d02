import Fastify from 'fastify';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import pino from 'pino';
import { clockStartOf, systemWallClock } from './core/clock.js';
import { newRequestId } from './core/ids.js';
import { registerControlRoutes } from './controls/routes.js';
import { installFixture } from './fixtures/install.js';
import { FaultInjector } from './http/faults.js';
import { PlaidApiError, plaidErrors } from './http/plaid-error.js';
import { RateLimiter } from './http/rate-limits.js';
import { registerAccountRoutes } from './http/routes/accounts.js';
import { registerInstitutionRoutes } from './http/routes/institutions.js';
import { registerInvestmentRoutes } from './http/routes/investments.js';
import { registerItemRoutes } from './http/routes/items.js';
import { registerLiabilityRoutes } from './http/routes/liabilities.js';
import { registerLinkRoutes } from './http/routes/link.js';
import { registerSandboxRoutes } from './http/routes/sandbox.js';
import { registerTransactionRoutes } from './http/routes/transactions.js';
import { registerWebhookVerificationRoutes } from './http/routes/webhook-verification.js';
import { registerLinkPage } from './link/routes.js';
import type { EmulatorFixture } from './fixtures/schema.js';
import type { EmulatorOptions } from './options.js';
import type { EmulatorRuntime } from './runtime.js';
import { EmulatorStore } from './state/store.js';
import { WebhookKeyRing } from './webhooks/key-ring.js';
import { PLAID_RETRY_POLICY, WebhookSender } from './webhooks/sender.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The emulator's state and services, for in-process callers and tests. */
    emulator: EmulatorRuntime;
  }
}

function latestFixtureDate(fixture: EmulatorFixture): string | null {
  let latest: string | null = null;
  for (const item of fixture.items) {
    for (const t of item.transactions) if (latest === null || t.date > latest) latest = t.date;
  }
  return latest;
}

/** Where the emulator clock starts: `today` (noon UTC), `now`, or the present. */
function initialClock(options: EmulatorOptions): Date {
  if (options.today !== undefined) {
    if (options.now !== undefined)
      throw new TypeError('give the emulator clock as `now` or `today`, not both');
    return clockStartOf(options.today);
  }
  return options.now ?? new Date();
}

/**
 * Builds the emulator as a standalone Fastify app (not listening): every Plaid route at the root,
 * the `/__emulator/*` controls and the emulated Link page.
 */
export async function buildEmulatorApp(options: EmulatorOptions): Promise<FastifyInstance> {
  const logger: FastifyBaseLogger = options.logger ?? pino({ level: 'silent' });
  const wall = options.wallClock ?? systemWallClock;
  const store = new EmulatorStore({
    seed: options.seed ?? 1,
    now: initialClock(options),
    wall,
    notReadyDelayMs: options.notReadyDelayMs ?? 0,
  });
  if (options.fixture) {
    installFixture(store, options.fixture);
    const latest = latestFixtureDate(options.fixture);
    if (latest !== null && latest > store.clock.today()) {
      logger.warn(
        { latestTransactionDate: latest, today: store.clock.today() },
        'the fixture has transactions dated after the emulator clock; they are served as given (set the clock with --today)',
      );
    }
  }
  const keys = await WebhookKeyRing.create(wall);
  const webhooks = new WebhookSender(keys, wall, { ...PLAID_RETRY_POLICY, ...options.webhookRetry }, logger);
  store.dispatch = (url, body) => void webhooks.send(url, body);
  const runtime: EmulatorRuntime = {
    store,
    faults: new FaultInjector(),
    rateLimiter: options.rateLimits === false ? null : new RateLimiter(wall),
    keys,
    webhooks,
    clientId: options.clientId,
    secret: options.secret,
    logger,
  };

  const app = Fastify({ loggerInstance: logger, bodyLimit: 10 * 1024 * 1024 });
  app.decorate('emulator', runtime);
  app.addHook('onClose', async () => webhooks.close());

  // Plaid answers any body it cannot read as JSON with INVALID_BODY, whatever the content type says.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, text, done) => {
    const source = typeof text === 'string' ? text : text.toString('utf8');
    if (source.trim() === '') return done(null, {});
    try {
      done(null, JSON.parse(source));
    } catch {
      done(plaidErrors.invalidBody(), undefined);
    }
  });
  app.setErrorHandler((error, _request, reply) => {
    const plaid = error instanceof PlaidApiError ? error : new PlaidApiError('INVALID_BODY');
    return reply.code(plaid.status).send(plaid.toResponse(newRequestId()));
  });
  app.setNotFoundHandler((_request, reply) => {
    const notFound = plaidErrors.notFound();
    return reply.code(notFound.status).send(notFound.toResponse(newRequestId()));
  });

  registerLinkRoutes(app, runtime);
  registerSandboxRoutes(app, runtime);
  registerItemRoutes(app, runtime);
  registerAccountRoutes(app, runtime);
  registerTransactionRoutes(app, runtime);
  registerInvestmentRoutes(app, runtime);
  registerLiabilityRoutes(app, runtime);
  registerInstitutionRoutes(app, runtime);
  registerWebhookVerificationRoutes(app, runtime);
  registerLinkPage(app, runtime);
  if (options.controlsEnabled !== false) registerControlRoutes(app, runtime);
  return app;
}
