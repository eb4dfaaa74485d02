import type { Config } from '../../config/schema.js';
import type { Repositories } from '../../db/repositories/index.js';
import { createOAuthService } from '../oauth/service.js';
import { createUsersService } from '../users/service.js';
import { createAuthService } from './service.js';
import type { TokenCache } from './token-cache.js';

/**
 * Who is calling: users, authentication (passwords, JWTs, personal access tokens, OAuth access tokens)
 * and the OAuth authorization server's data, wired one way for the service, the worker
 * (src/domain/services.ts) and the CLI (src/domain/admin/services.ts).
 */
export function composeIdentityServices(
  repositories: Pick<Repositories, 'users' | 'apiTokens' | 'oauth'>,
  config: Pick<Config, 'jwtSecretKey' | 'jwtTtlSeconds' | 'publicUrl'>,
  tokenCache: TokenCache,
) {
  // The OAuth 2.1 authorization server's data (grants, clients) and its access tokens' verification.
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
  };
}
