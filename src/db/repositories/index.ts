import type { Database } from '../client.js';
import { createApiTokensRepository } from './api-tokens.js';
import { createUsersRepository } from './users.js';

export function createRepositories(db: Database) {
  return {
    users: createUsersRepository(db),
    apiTokens: createApiTokensRepository(db),
  };
}

export type Repositories = ReturnType<typeof createRepositories>;
