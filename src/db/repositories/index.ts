import type { Database } from '../client.js';
import { createAccountsRepository } from './accounts.js';
import { createAnalyticsRepository } from './analytics.js';
import { createApiTokensRepository } from './api-tokens.js';
import { createItemsRepository } from './items.js';
import { createTransactionsRepository } from './transactions.js';
import { createUsersRepository } from './users.js';

export function createRepositories(db: Database) {
  return {
    users: createUsersRepository(db),
    apiTokens: createApiTokensRepository(db),
    items: createItemsRepository(db),
    accounts: createAccountsRepository(db),
    transactions: createTransactionsRepository(db),
    analytics: createAnalyticsRepository(db),
  };
}

export type Repositories = ReturnType<typeof createRepositories>;
