import type { Config } from '../config/schema.js';
import type { Database } from '../db/client.js';
import { createRepositories } from '../db/repositories/index.js';
import type { JobQueue } from './sync/queue.js';
import type { Logger } from '../lib/logger.js';
import type { PlaidClient } from '../plaid/client.js';
import { createListenedCache } from '../lib/listened-cache.js';
import { instrumentMaterializers, instrumentPlaid, instrumentWebhooks } from '../metrics/instrument.js';
import { noMetrics, type MetricsRecorder } from '../metrics/metrics.js';
import { createAccountsService, type ItemHealthCache } from './accounts/service.js';
import { createAnalyticsMaterializers } from './analytics/materializers.js';
import { createNetWorthChangeService } from './analytics/attribution.js';
import { createInsightsService } from './analytics/insights.js';
import { createBudgetsService } from './budgets/service.js';
import { createAnalyticsService } from './analytics/service.js';
import { createTokenCache } from './auth/token-cache.js';
import { composeIdentityServices } from './auth/identity.js';
import { accessTokenCipherFromKeys, type AccessTokenCipher } from './items/access-token-cipher.js';
import { createItemLinking } from './items/item-linking.js';
import { createItemsService, PLAID_WEBHOOK_PATH } from './items/service.js';
import { createLiabilitiesService } from './liabilities/service.js';
import { createInvestmentsService } from './investments/service.js';
import { createAccountBalancesService } from './accounts/balances.js';
import { createSyncRequestsService } from './sync/requests.js';
import { createSyncService } from './sync/service.js';
import { createCursorCodec } from './transactions/cursor.js';
import { createTransactionsService } from './transactions/service.js';
import { createTransactionDetailService } from './transactions/detail.js';
import { createTransactionEditsService } from './transactions/edits.js';
import { createRulesService } from './rules/service.js';
import { createCategoriesService } from './categories/service.js';
import { createSecuritiesService } from './securities/service.js';
import { createWebhookService } from './webhooks/service.js';
import { createPersonalDataService } from './export/service.js';
import { createWebSessionsService } from './web-sessions/service.js';

/** The core services (users, auth, accounts, transactions, analytics) over one set of repositories. */
function createServices(
  db: Database,
  config: Pick<
    Config,
    'jwtSecretKey' | 'jwtTtlSeconds' | 'publicUrl' | 'authTokenCacheSeconds' | 'freshnessCacheSeconds'
  >,
  metrics: MetricsRecorder = noMetrics,
) {
  const repositories = createRepositories(db);
  // Serves nothing until a revocation listener is up (buildApp starts one); the worker and the CLI never
  // start one, so they always read tokens from the database.
  const tokenCache = createTokenCache({ ttlSeconds: config.authTokenCacheSeconds });
  // Likewise for the freshness every read response carries.
  const itemHealth: ItemHealthCache = createListenedCache({ ttlSeconds: config.freshnessCacheSeconds });
  const identity = composeIdentityServices(repositories, config, tokenCache);
  const materializers = instrumentMaterializers(createAnalyticsMaterializers({ db, repositories }), metrics);
  // The owner's edits and rules refresh the person's read model at once, as a sync does.
  const transactionEdits = createTransactionEditsService({
    edits: repositories.transactionEdits,
    detail: createTransactionDetailService({ detail: repositories.transactionDetail }),
    materializers,
  });
  return {
    ...identity,
    tokenCache,
    // The dashboard's cookie sessions (src/http/routes/auth/web-session.ts, the auth plugin).
    webSessions: createWebSessionsService({
      sessions: repositories.webSessions,
      users: repositories.users,
      secret: config.jwtSecretKey,
    }),
    accounts: createAccountsService({
      accounts: repositories.accounts,
      items: repositories.items,
      itemHealth,
    }),
    itemHealth,
    transactions: createTransactionsService({
      transactions: repositories.transactions,
      cursors: createCursorCodec(config.jwtSecretKey),
    }),
    analytics: createAnalyticsService({ analytics: repositories.analytics }),
    netWorthChange: createNetWorthChangeService({ attribution: repositories.attribution }),
    insights: createInsightsService({ insights: repositories.insights, accounts: repositories.accounts }),
    budgets: createBudgetsService({ budgets: repositories.budgets }),
    liabilities: createLiabilitiesService({
      liabilities: repositories.liabilities,
      accounts: repositories.accounts,
    }),
    accountBalances: createAccountBalancesService({ balances: repositories.accountBalances }),
    transactionDetail: createTransactionDetailService({ detail: repositories.transactionDetail }),
    categories: createCategoriesService({ categories: repositories.categories }),
    securities: createSecuritiesService({
      securities: repositories.securities,
      analytics: createAnalyticsService({ analytics: repositories.analytics }),
    }),
    investments: createInvestmentsService({
      investmentTransactions: repositories.investmentTransactions,
      cursors: createCursorCodec(config.jwtSecretKey),
    }),
    materializers,
    transactionEdits,
    rules: createRulesService({
      rules: repositories.rules,
      accounts: repositories.accounts,
      refresh: transactionEdits.refresh,
    }),
    repositories,
  };
}

export type Services = ReturnType<typeof createServices>;

/** The edges the pipeline needs: Plaid (through our adapter) and the job queue. */
export interface PipelineDeps {
  plaid: PlaidClient;
  jobs: JobQueue;
  /** Defaults to a cipher over config.encryptionKeyBase64. */
  cipher?: AccessTokenCipher;
  logger?: Logger;
  /** Where sync runs, Plaid errors, webhooks and refreshes are counted (src/metrics); default: nowhere. */
  metrics?: MetricsRecorder;
}

/** The Plaid pipeline's services (linking, items, sync, webhooks) over the core services' repositories. */
function createPipelineServices(
  db: Database,
  config: Pick<Config, 'encryptionKeyBase64' | 'publicUrl' | 'jwtSecretKey'>,
  core: Services,
  deps: PipelineDeps,
) {
  const cipher = deps.cipher ?? accessTokenCipherFromKeys(config.encryptionKeyBase64);
  const metrics = deps.metrics ?? noMetrics;
  // Every failed Plaid call, whoever made it, counted by its error code.
  const plaid = instrumentPlaid(deps.plaid, metrics);
  return {
    sync: createSyncService({
      db,
      repositories: core.repositories,
      plaid,
      cipher,
      materializers: core.materializers,
      metrics,
      ...(deps.logger ? { logger: deps.logger } : {}),
    }),
    syncRequests: createSyncRequestsService({
      items: core.repositories.items,
      runs: core.repositories.syncRuns,
      jobs: deps.jobs,
      cursors: createCursorCodec(config.jwtSecretKey),
    }),
    items: createItemsService({
      items: core.repositories.items,
      accounts: core.repositories.accounts,
      linking: createItemLinking({
        db,
        repositories: core.repositories,
        plaid,
        cipher,
        ...(deps.logger ? { logger: deps.logger } : {}),
      }),
      plaid,
      cipher,
      jobs: deps.jobs,
      materializers: core.materializers,
      webhookUrl: `${config.publicUrl}${PLAID_WEBHOOK_PATH}`,
      ...(deps.logger ? { logger: deps.logger } : {}),
    }),
    // Plaid webhooks: receive (HTTP route) and process (job worker); one verifier, keys cached by kid.
    webhooks: instrumentWebhooks(
      createWebhookService({
        db,
        repositories: core.repositories,
        plaid,
        cipher,
        jobs: deps.jobs,
        materializers: core.materializers,
        ...(deps.logger ? { logger: deps.logger } : {}),
      }),
      metrics,
    ),
    // GET /v1/export and DELETE /v1/me (items removed at Plaid first).
    personalData: createPersonalDataService({
      export: core.repositories.export,
      users: core.repositories.users,
      plaid,
      cipher,
      ...(deps.logger ? { logger: deps.logger } : {}),
    }),
    plaid,
    jobs: deps.jobs,
    cipher,
  };
}

export type PipelineServices = ReturnType<typeof createPipelineServices>;

type CoreConfig = Parameters<typeof createServices>[1];
type PipelineConfig = Parameters<typeof createPipelineServices>[1];

/** Everything the HTTP app and the worker use. */
export type AppServices = Services & PipelineServices;

/**
 * The one composition root, for the HTTP app, the worker and the CLI alike: one set of repositories
 * (`db/repositories/index.ts`) and every service over them. Given the pipeline's edges (Plaid, the job
 * queue), the pipeline's services too; the CLI, which has neither, gets the core services.
 */
export function composeServices(db: Database, config: CoreConfig): Services;
export function composeServices(
  db: Database,
  config: CoreConfig & PipelineConfig,
  edges: PipelineDeps,
): AppServices;
export function composeServices(
  db: Database,
  config: CoreConfig | (CoreConfig & PipelineConfig),
  edges?: PipelineDeps,
): Services | AppServices {
  const core = createServices(db, config, edges?.metrics);
  if (!edges) return core;
  // The overloads give the pipeline's settings whenever its edges are given.
  return { ...core, ...createPipelineServices(db, config as CoreConfig & PipelineConfig, core, edges) };
}
