import type { Config } from '../config/schema.js';
import type { Database } from '../db/client.js';
import { createRepositories } from '../db/repositories/index.js';
import { createAccountsService } from './accounts/service.js';
import { createAnalyticsMaterializers } from './analytics/materializers.js';
import { createAnalyticsService } from './analytics/service.js';
import { createAuthService } from './auth/service.js';
import { createCursorCodec } from './transactions/cursor.js';
import { createTransactionsService } from './transactions/service.js';
import { createUsersService } from './users/service.js';

/** Wires repositories into the domain services; the HTTP app and the CLI both use this. */
export function createServices(
  db: Database,
  config: Pick<Config, 'jwtSecretKey' | 'jwtTtlSeconds' | 'publicUrl'>,
) {
  const repositories = createRepositories(db);
  return {
    users: createUsersService({ users: repositories.users }),
    auth: createAuthService({
      users: repositories.users,
      apiTokens: repositories.apiTokens,
      jwt: { secret: config.jwtSecretKey, issuer: config.publicUrl, ttlSeconds: config.jwtTtlSeconds },
    }),
    accounts: createAccountsService({ accounts: repositories.accounts, items: repositories.items }),
    transactions: createTransactionsService({
      transactions: repositories.transactions,
      cursors: createCursorCodec(config.jwtSecretKey),
    }),
    analytics: createAnalyticsService({ analytics: repositories.analytics }),
    materializers: createAnalyticsMaterializers({ analytics: repositories.analytics }),
    repositories,
  };
}

export type Services = ReturnType<typeof createServices>;
