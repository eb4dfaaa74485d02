import type { Config } from '../../config/schema.js';
import type { Database } from '../../db/client.js';
import { createRepositories } from '../../db/repositories/index.js';
import { composeIdentityServices } from '../auth/identity.js';
import { createTokenCache } from '../auth/token-cache.js';
import type { Services } from '../services.js';

/** The services the operator commands use (src/domain/admin/commands.ts). */
export type AdminCoreServices = Pick<Services, 'users' | 'auth' | 'oauth' | 'repositories'>;

/**
 * The CLI's part of the composition root: the same wiring as `composeServices`
 * (src/domain/services.ts: composeIdentityServices) for users, auth, OAuth and the repositories, without the rest (Plaid's SDK,
 * the sync pipeline, analytics), which a command run from a terminal would load for nothing. The running
 * service's control socket hands the commands its full services instead.
 */
export function composeAdminServices(
  db: Database,
  config: Pick<Config, 'jwtSecretKey' | 'jwtTtlSeconds' | 'publicUrl' | 'authTokenCacheSeconds'>,
): AdminCoreServices {
  const repositories = createRepositories(db);
  const tokenCache = createTokenCache({ ttlSeconds: config.authTokenCacheSeconds });
  return { ...composeIdentityServices(repositories, config, tokenCache), repositories };
}
