import type { Config } from '../../config/schema.js';
import type { Database } from '../../db/client.js';
import { createRepositories } from '../../db/repositories/index.js';
import { createAuthService } from '../auth/service.js';
import { createTokenCache } from '../auth/token-cache.js';
import { createOAuthService } from '../oauth/service.js';
import type { Services } from '../services.js';
import { createUsersService } from '../users/service.js';

/** The services the operator commands use (src/domain/admin/commands.ts). */
export type AdminCoreServices = Pick<Services, 'users' | 'auth' | 'oauth' | 'repositories'>;

/**
 * The CLI's part of the composition root: the same factories and wiring as `composeServices`
 * (src/domain/services.ts) for users, auth, OAuth and the repositories, without the rest (Plaid's SDK,
 * the sync pipeline, analytics), which a command run from a terminal would load for nothing. The running
 * service's control socket hands the commands its full services instead.
 */
export function composeAdminServices(
  db: Database,
  config: Pick<Config, 'jwtSecretKey' | 'jwtTtlSeconds' | 'publicUrl' | 'authTokenCacheSeconds'>,
): AdminCoreServices {
  const repositories = createRepositories(db);
  const tokenCache = createTokenCache({ ttlSeconds: config.authTokenCacheSeconds });
  const oauth = createOAuthService({ repository: repositories.oauth, publicUrl: config.publicUrl });
  return {
    users: createUsersService({ users: repositories.users }),
    auth: createAuthService({
      users: repositories.users,
      apiTokens: repositories.apiTokens,
      jwt: { secret: config.jwtSecretKey, issuer: config.publicUrl, ttlSeconds: config.jwtTtlSeconds },
      tokenCache,
      oauth: { accessTokens: oauth.accessTokens, resources: oauth.resources },
    }),
    oauth,
    repositories,
  };
}
