import { randomUUID } from 'node:crypto';
import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Config } from './config/schema.js';
import type { DatabaseHandle } from './db/client.js';
import { composeServices, type AppServices } from './domain/services.js';
import { followTokenRevocations } from './domain/auth/token-cache.js';
import { createReloadingAccessTokenCipher } from './domain/items/keyring.js';
import { tokenRevocationsSubscription } from './db/repositories/api-tokens.js';
import type { ChannelSubscription, NotificationListener } from './db/notifications.js';
import { readModelChangesSubscription } from './db/repositories/analytics.js';
import { itemHealthChangesSubscription } from './db/repositories/items.js';
import { createReadCache, followReadModelChanges } from './http/read-cache.js';
import { followItemHealthChanges } from './domain/accounts/service.js';
import { errors } from './errors/catalog.js';
import { authPlugin } from './http/plugins/auth.js';
import { clientErrorHandler, errorsPlugin, frameworkErrorHandler } from './http/plugins/errors.js';
import { openapiPlugin } from './http/plugins/openapi.js';
import { openapiGptPlugin } from './http/plugins/openapi-gpt.js';
import { responseSerializerCompiler } from './http/plugins/serializer.js';
import { securityHeadersPlugin } from './http/plugins/security-headers.js';
import { wellFormedValidatorCompiler } from './http/schemas/well-formed.js';
import { sessionRoutes } from './http/routes/auth/session.js';
import { tokenRoutes } from './http/routes/auth/tokens.js';
import { webSessionCookieName, webSessionRoutes } from './http/routes/auth/web-session.js';
import { oauthRoutes } from './http/routes/oauth/index.js';
import { accountRoutes } from './http/routes/accounts.js';
import { cashflowRoutes } from './http/routes/cashflow.js';
import { holdingRoutes } from './http/routes/holdings.js';
import { meRoutes } from './http/routes/me.js';
import { exportRoutes } from './http/routes/export.js';
import { netWorthRoutes } from './http/routes/net-worth.js';
import { netWorthChangeRoutes } from './http/routes/net-worth-change.js';
import { insightRoutes } from './http/routes/insights.js';
import { budgetRoutes } from './http/routes/budgets.js';
import { recurringRoutes } from './http/routes/recurring.js';
import { syncRoutes } from './http/routes/sync.js';
import { transactionRoutes } from './http/routes/transactions.js';
import { itemRoutes } from './http/routes/items.js';
import { liabilityRoutes } from './http/routes/liabilities.js';
import { accountBalanceRoutes } from './http/routes/account-balances.js';
import { transactionDetailRoutes } from './http/routes/transaction-detail.js';
import { transactionEditRoutes } from './http/routes/transaction-edits.js';
import { ruleRoutes } from './http/routes/rules.js';
import { categoryRoutes } from './http/routes/categories.js';
import { securityRoutes } from './http/routes/securities.js';
import { investmentTransactionRoutes } from './http/routes/investment-transactions.js';
import { linkPageRoutes } from './http/routes/link-page.js';
import { dashboardRoutes } from './http/routes/dashboard.js';
import { mcpRoutes } from './http/routes/mcp.js';
import { plaidLinkRoutes } from './http/routes/plaid-link.js';
import { plaidWebhookRoutes } from './http/routes/plaid-webhook.js';
import { healthRoutes } from './http/routes/system/health.js';
import type { JobQueue } from './domain/sync/queue.js';
import { loggerOptions, type Logger } from './lib/logger.js';
import { packageVersion } from './lib/package-info.js';
import { metricsPlugin } from './metrics/http.js';
import { countCacheLookups, queueCountsOf } from './metrics/instrument.js';
import { createMetrics, type Metrics } from './metrics/metrics.js';
import type { PlaidClient } from './plaid/client.js';

export interface AppDeps {
  config: Config;
  database: DatabaseHandle;
  /** A pino logger; defaults to one at config.logLevel on stdout. */
  logger?: Logger;
  /** Plaid through our adapter (the emulator's URL in emulator mode). */
  plaid: PlaidClient;
  /** Where sync and webhook work is enqueued (pg-boss on the same database). */
  jobs: JobQueue;
  /** This process's metrics (src/metrics); by default a registry of the app's own. */
  metrics?: Metrics;
}

export type App = FastifyInstance & { services: AppServices };

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

/** Builds the HTTP application (not listening). Tests build it too and call it with inject or a socket. */
export async function buildApp({ config, database, logger, plaid, jobs, metrics }: AppDeps): Promise<App> {
  const appMetrics = metrics ?? createMetrics({ role: 'api', queueCounts: queueCountsOf(database.db) });
  const app = Fastify({
    ...(logger ? { loggerInstance: logger } : { logger: loggerOptions(config.logLevel) }),
    bodyLimit: config.bodyLimitBytes,
    genReqId: (request) => {
      const incoming = request.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID_PATTERN.test(incoming) ? incoming : randomUUID();
    },
    logController: new LogController({ requestIdLogLabel: 'reqId' }),
    trustProxy: false,
    routerOptions: { ignoreTrailingSlash: true },
    // Fastify's and Node's own error replies as problem+json too (src/http/plugins/errors.ts).
    frameworkErrors: frameworkErrorHandler(config.bodyLimitBytes),
    clientErrorHandler,
    return503OnClosing: false,
  }).withTypeProvider<ZodTypeProvider>();

  // Every request's strings are checked for NUL and unpaired surrogates before its route's schema.
  app.setValidatorCompiler(wellFormedValidatorCompiler);
  app.setSerializerCompiler(responseSerializerCompiler);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  // Follows DATA_DIR/keyring.json, so `finance-api keys rotate` takes effect without a restart.
  const cipher = createReloadingAccessTokenCipher({
    dataDir: config.dataDir,
    configKeyBase64: config.encryptionKeyBase64,
    logger: app.log as Logger,
  });
  const services = composeServices(database.db, config, {
    plaid,
    jobs,
    cipher,
    logger: app.log as Logger,
    metrics: appMetrics.recorder,
  });
  app.decorate('services', services);

  await app.register(errorsPlugin, { bodyLimit: config.bodyLimitBytes });
  // Before every route: each answered request is counted by its route pattern; /metrics with a token.
  await app.register(metricsPlugin, { metrics: appMetrics, token: config.metrics.token });
  // helmet's headers, rendered once at start (they are the same for every response).
  await app.register(securityHeadersPlugin, {
    // The API answers JSON; the docs page needs Swagger UI's own inline style.
    contentSecurityPolicy: {
      directives: {
        'img-src': ["'self'", 'data:'],
        'style-src': ["'self'", "'unsafe-inline'"],
        // The /link page loads Plaid Link (script and iframe) from Plaid's CDN with real Plaid keys.
        'script-src': ["'self'", 'https://cdn.plaid.com'],
        'frame-src': ["'self'", 'https://cdn.plaid.com'],
      },
    },
  });
  await app.register(cors, {
    origin: config.corsOrigins.length > 0 ? config.corsOrigins : false,
    credentials: false,
  });
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) => errors.rateLimited(Math.ceil(context.ttl / 1000)),
  });
  await app.register(openapiPlugin, { publicUrl: config.publicUrl, version: packageVersion });
  await app.register(openapiGptPlugin, { publicUrl: config.publicUrl });
  // The dashboard's session cookie (src/http/routes/auth/web-session.ts), accepted by requireAuth.
  await app.register(cookie);
  await app.register(authPlugin, {
    auth: services.auth,
    refreshSettled: (userId) => services.materializers.settled(userId),
    webSessions: {
      service: services.webSessions,
      cookieName: webSessionCookieName(config.publicUrl),
      publicOrigin: new URL(config.publicUrl).origin,
    },
  });

  await app.register(healthRoutes, { ping: database.ping, databaseKind: database.kind });
  await app.register(sessionRoutes, {
    auth: services.auth,
    users: services.users,
    allowRegistration: config.allowRegistration,
    rateLimitPerMinute: config.authRateLimitPerMinute,
  });
  await app.register(tokenRoutes, { auth: services.auth });
  await app.register(webSessionRoutes, {
    auth: services.auth,
    webSessions: services.webSessions,
    publicUrl: config.publicUrl,
    rateLimitPerMinute: config.authRateLimitPerMinute,
  });
  // The OAuth 2.1 authorization server (/oauth/*, metadata, sign-in and consent pages, /v1/auth/grants).
  await app.register(oauthRoutes, { config, services, logger: app.log as Logger });
  await app.register(meRoutes, { users: services.users, personalData: services.personalData });
  await app.register(exportRoutes, { personalData: services.personalData });
  await app.register(accountBalanceRoutes, {
    balances: services.accountBalances,
    accounts: services.accounts,
  });
  await app.register(liabilityRoutes, { liabilities: services.liabilities, accounts: services.accounts });
  await app.register(investmentTransactionRoutes, {
    investments: services.investments,
    accounts: services.accounts,
  });
  // Rendered read answers, kept while this process hears every change of the data they come from.
  const readCache = createReadCache(config.readCacheSeconds);
  countCacheLookups('read_answers', readCache, appMetrics.recorder);
  countCacheLookups('freshness', services.itemHealth, appMetrics.recorder);
  countCacheLookups('tokens', services.tokenCache, appMetrics.recorder);
  await app.register(accountRoutes, { accounts: services.accounts, readCache });
  await app.register(transactionRoutes, {
    transactions: services.transactions,
    accounts: services.accounts,
    readCache,
  });
  await app.register(transactionDetailRoutes, {
    detail: services.transactionDetail,
    accounts: services.accounts,
  });
  await app.register(transactionEditRoutes, {
    edits: services.transactionEdits,
    accounts: services.accounts,
  });
  await app.register(ruleRoutes, { rules: services.rules });
  await app.register(categoryRoutes, { categories: services.categories, accounts: services.accounts });
  await app.register(securityRoutes, { securities: services.securities, accounts: services.accounts });
  await app.register(holdingRoutes, {
    analytics: services.analytics,
    accounts: services.accounts,
    readCache,
  });
  await app.register(netWorthRoutes, {
    analytics: services.analytics,
    accounts: services.accounts,
    readCache,
  });
  await app.register(insightRoutes, { insights: services.insights, accounts: services.accounts, readCache });
  await app.register(budgetRoutes, { budgets: services.budgets, accounts: services.accounts });
  await app.register(netWorthChangeRoutes, {
    netWorthChange: services.netWorthChange,
    accounts: services.accounts,
    readCache,
  });
  await app.register(cashflowRoutes, {
    analytics: services.analytics,
    accounts: services.accounts,
    readCache,
  });
  await app.register(recurringRoutes, {
    analytics: services.analytics,
    accounts: services.accounts,
    readCache,
  });
  // Plaid calls it: no bearer token; its raw-body parser stays scoped to this plugin.
  await app.register(plaidWebhookRoutes, { webhooks: services.webhooks });
  await app.register(syncRoutes, { syncRequests: services.syncRequests });
  await app.register(plaidLinkRoutes, { items: services.items });
  await app.register(itemRoutes, { items: services.items });
  await app.register(linkPageRoutes, {
    // In emulator mode the page sends browsers to the emulator's Link (its URL is known once it runs).
    emulatorUrl: config.plaid.mode === 'emulator' ? () => plaid.basePath || undefined : undefined,
  });
  // The personal dashboard at /app (src/dashboard/), signed in with the session cookie.
  await app.register(dashboardRoutes, {
    webSessions: services.webSessions,
    publicUrl: config.publicUrl,
    emulatorUrl: config.plaid.mode === 'emulator' ? () => plaid.basePath || undefined : undefined,
  });
  // PUBLIC_URL/mcp: the MCP server (src/mcp/); `authenticate` decides which tokens it accepts.
  await app.register(mcpRoutes, {
    publicUrl: config.publicUrl,
    // Personal access tokens and OAuth access tokens for PUBLIC_URL/mcp (not /v1 ones, not session JWTs).
    // Like requireAuth, waits for the person's read-model refresh running in process (embedded mode).
    authenticate: async (bearer) => {
      const principal = await services.auth.authenticateMcp(bearer);
      await services.materializers.settled(principal.userId);
      return principal;
    },
    tools: { ...services, publicUrl: config.publicUrl },
    bodyLimit: config.bodyLimitBytes,
  });

  // The caches serve only while this process hears every change that could make them wrong
  // (docs/security.md): personal access tokens, each user's item health (the freshness of every read
  // response), the rendered read answers. Listeners close with the app, before the database.
  const componentLog = (component: string) => app.log.child({ component }) as Logger;
  // One change feed per process: one listening connection on a server, whatever the number of caches.
  const subscriptions: ChannelSubscription[] = [];
  if (config.authTokenCacheSeconds > 0)
    subscriptions.push(
      tokenRevocationsSubscription(followTokenRevocations(services.tokenCache, componentLog('auth'))),
    );
  if (config.freshnessCacheSeconds > 0)
    subscriptions.push(
      itemHealthChangesSubscription(followItemHealthChanges(services.itemHealth, componentLog('freshness'))),
    );
  if (config.readCacheSeconds > 0)
    subscriptions.push(
      readModelChangesSubscription(followReadModelChanges(readCache, componentLog('read-cache'))),
    );
  const listeners: NotificationListener[] = [await database.listen(subscriptions)];
  const closeListeners = () => Promise.all(listeners.map((listener) => listener.close()));
  app.addHook('onClose', async () => {
    await closeListeners();
  });

  try {
    await app.ready();
  } catch (error) {
    await closeListeners();
    throw error;
  }
  return app as unknown as App;
}
