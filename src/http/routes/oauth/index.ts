import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../../config/schema.js';
import type { AccessTokenCipher } from '../../../domain/items/access-token-cipher.js';
import { createOAuthProvider } from '../../../domain/oauth/provider.js';
import { loadSigningKeys } from '../../../domain/oauth/signing-keys.js';
import type { Services } from '../../../domain/services.js';
import type { Logger } from '../../../lib/logger.js';
import { errorPage } from '../../oauth-pages/pages.js';
import { grantRoutes } from './grants.js';
import { webSessionCookieName } from '../auth/web-session.js';
import { oauthServerRoutes } from './server.js';

export interface OAuthRoutesOptions {
  config: Config;
  services: Services & { cipher: AccessTokenCipher };
  logger: Logger;
}

/**
 * The OAuth 2.1 authorization server (docs/oauth.md): its signing keys loaded (made once, stored
 * encrypted), oidc-provider configured over our database, its endpoints, metadata and pages, and the
 * caller's grants under /v1/auth/grants.
 */
export async function oauthRoutes(app: FastifyInstance, { config, services, logger }: OAuthRoutesOptions) {
  const caFile = config.oauth.cimdTestLoopbackCaFile;
  const provider = createOAuthProvider({
    publicUrl: config.publicUrl,
    secret: config.jwtSecretKey,
    signingKeys: await loadSigningKeys(services.repositories.oauth, services.cipher),
    repository: services.repositories.oauth,
    users: services.repositories.users,
    ...(caFile ? { cimd: { loopbackCa: readFileSync(caFile, 'utf8') } } : {}),
    renderErrorPage: errorPage,
    logger,
  });
  await app.register(oauthServerRoutes, {
    provider,
    auth: services.auth,
    publicUrl: config.publicUrl,
    resources: services.oauth.resources,
    secret: config.jwtSecretKey,
    signInRateLimitPerMinute: config.authRateLimitPerMinute,
    registrationRateLimitPerMinute: config.oauth.registrationRateLimitPerMinute,
    webSession: {
      cookieName: webSessionCookieName(config.publicUrl),
      userOf: async (cookie) => (await services.webSessions.authenticate(cookie)).session.userId,
    },
  });
  await app.register(grantRoutes, { oauth: services.oauth });
}
