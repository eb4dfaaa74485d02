import type { Database } from '../client.js';
import { createAccountBalancesRepository } from './account-balances.js';
import { createAccountsRepository } from './accounts.js';
import { createAnalyticsRepository } from './analytics.js';
import { createAttributionRepository } from './attribution.js';
import { createInsightsRepository } from './insights.js';
import { createBudgetsRepository } from './budgets.js';
import { createCategoriesRepository } from './categories.js';
import { createApiTokensRepository } from './api-tokens.js';
import { createItemLocksRepository } from './item-locks.js';
import { createInvestmentTransactionsRepository } from './investment-transactions.js';
import { createItemsRepository } from './items.js';
import { createLiabilitiesRepository } from './liabilities.js';
import { createOAuthRepository } from './oauth.js';
import { createReadModelRepository } from './read-model.js';
import { createSecuritiesRepository } from './securities.js';
import { createSyncDataRepository } from './sync-data.js';
import { createSyncRunsRepository } from './sync-runs.js';
import { createSyncScheduleRepository } from './sync-schedule.js';
import { createTransactionDetailRepository } from './transaction-detail.js';
import { createTransactionEditsRepository } from './transaction-edits.js';
import { createRulesRepository } from './rules.js';
import { createTransactionsRepository } from './transactions.js';
import { createUsersRepository } from './users.js';
import { createWebhookEventsRepository } from './webhook-events.js';
import { createExportRepository } from './export.js';
import { createRetentionRepository } from './retention.js';
import { createWebSessionsRepository } from './web-sessions.js';

/**
 * Every repository over one database handle (or one transaction: services that write several tables
 * atomically build the ones they need over their transaction with the same factories).
 */
export function createRepositories(db: Database) {
  return {
    users: createUsersRepository(db),
    apiTokens: createApiTokensRepository(db),
    items: createItemsRepository(db),
    itemLocks: createItemLocksRepository(db),
    accounts: createAccountsRepository(db),
    transactions: createTransactionsRepository(db),
    liabilities: createLiabilitiesRepository(db),
    investmentTransactions: createInvestmentTransactionsRepository(db),
    accountBalances: createAccountBalancesRepository(db),
    transactionDetail: createTransactionDetailRepository(db),
    transactionEdits: createTransactionEditsRepository(db),
    rules: createRulesRepository(db),
    categories: createCategoriesRepository(db),
    securities: createSecuritiesRepository(db),
    analytics: createAnalyticsRepository(db),
    attribution: createAttributionRepository(db),
    insights: createInsightsRepository(db),
    budgets: createBudgetsRepository(db),
    readModel: createReadModelRepository(db),
    syncRuns: createSyncRunsRepository(db),
    syncData: createSyncDataRepository(db),
    syncSchedule: createSyncScheduleRepository(db),
    webhookEvents: createWebhookEventsRepository(db),
    oauth: createOAuthRepository(db),
    export: createExportRepository(db),
    retention: createRetentionRepository(db),
    webSessions: createWebSessionsRepository(db),
  };
}

export type Repositories = ReturnType<typeof createRepositories>;
