import { hkdfSync, type JsonWebKey } from 'node:crypto';
import Provider, { errors as oidcErrors, type ClientLike, type KoaContextLike } from 'oidc-provider';
import type { OAuthRepository } from '../../db/repositories/oauth.js';
import type { UsersRepository } from '../../db/repositories/users.js';
import type { Logger } from '../../lib/logger.js';
import { createOAuthAdapter } from './adapter.js';
import {
  CIMD_CACHE_SECONDS,
  CIMD_MAX_BYTES,
  createCimdFetchGuard,
  type CimdFetchPolicy,
} from './cimd-fetch.js';
import {
  ACCESS_TOKEN_TTL_SECONDS,
  DEFAULT_SCOPE,
  GRANT_TTL_SECONDS,
  OAUTH_OTHER_ROUTES,
  OAUTH_PATHS,
  OAUTH_SCOPES,
  REFRESH_TOKEN_TTL_SECONDS,
  oauthResources,
  redirectUriProblem,
  type OAuthResources,
} from './resources.js';
import { SIGNING_ALG } from './signing-keys.js';

export interface OAuthProviderDeps {
  publicUrl: string;
  /** Secret material the cookie-signing keys are derived from (JWT_SECRET_KEY). */
  secret: string;
  signingKeys: JsonWebKey[];
  repository: OAuthRepository;
  users: UsersRepository;
  cimd?: CimdFetchPolicy;
  /** The HTML of an error page (our pages' look, no inline script or style). */
  renderErrorPage: (error: string, description: string | undefined) => string;
  logger: Logger;
}

/**
 * Client metadata we keep beyond the library's: RFC 7591 software fields, and the resource (`rest` or
 * `mcp`, whatever PUBLIC_URL is) its tokens are for when it does not send `resource` (default `mcp`).
 */
const EXTRA_CLIENT_METADATA = ['software_id', 'software_version', 'default_resource'];

/**
 * The OAuth 2.1 authorization server: oidc-provider configured for this service. Authorization code
 * with PKCE S256 only; dynamic client registration and client ID metadata documents; resource indicators
 * with audience-bound JWT access tokens (an hour) for PUBLIC_URL/mcp and PUBLIC_URL/v1; rotating refresh
 * tokens (30 days; a reused one revokes its grant); revocation; `iss` in authorization responses. Our
 * pages (src/http/routes/oauth/interaction.ts) sign people in and ask for consent.
 */
export function createOAuthProvider(deps: OAuthProviderDeps): Provider {
  const resources = oauthResources(deps.publicUrl);
  const knownResources = new Set(Object.values(resources));
  const cimd = createCimdFetchGuard(deps.cimd);
  const cookieKey = (info: string) =>
    Buffer.from(hkdfSync('sha256', deps.secret, 'finance-api', info, 32)).toString('base64url');

  const provider = new Provider(deps.publicUrl, {
    adapter: createOAuthAdapter(deps.repository),
    jwks: { keys: deps.signingKeys },
    cookies: { keys: [cookieKey('oauth-cookies')] },
    routes: {
      ...OAUTH_OTHER_ROUTES,
      authorization: OAUTH_PATHS.authorization,
      token: OAUTH_PATHS.token,
      registration: OAUTH_PATHS.registration,
      revocation: OAUTH_PATHS.revocation,
      jwks: OAUTH_PATHS.jwks,
    },
    scopes: [...OAUTH_SCOPES],
    claims: { openid: ['sub'] },
    responseTypes: ['code'],
    clientAuthMethods: ['none', 'client_secret_basic', 'client_secret_post'],
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      id_token_signed_response_alg: SIGNING_ALG,
      token_endpoint_auth_method: 'client_secret_basic',
    },
    extraClientMetadata: {
      properties: EXTRA_CLIENT_METADATA,
      validator(_ctx: unknown, key: string, value: unknown, metadata: Record<string, unknown>) {
        if (key === 'default_resource' && value !== undefined && value !== 'rest' && value !== 'mcp') {
          throw new oidcErrors.InvalidClientMetadata('default_resource must be rest or mcp');
        }
        if ((key === 'software_id' || key === 'software_version') && value !== undefined) {
          if (typeof value !== 'string' || value.length > 200) {
            throw new oidcErrors.InvalidClientMetadata(`${key} must be a string of at most 200 characters`);
          }
        }
        // Runs once per client (on the first property): our redirect URI policy.
        if (key === EXTRA_CLIENT_METADATA[0]) {
          for (const uri of (metadata.redirect_uris as unknown[] | undefined) ?? []) {
            const problem = redirectUriProblem(uri);
            if (problem) throw new oidcErrors.InvalidRedirectUri(`redirect_uris ${problem}`);
          }
        }
      },
    },
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      userinfo: { enabled: false },
      rpInitiatedLogout: { enabled: false },
      introspection: { enabled: false },
      revocation: { enabled: true },
      registration: { enabled: true, initialAccessToken: false },
      resourceIndicators: {
        enabled: true,
        // MCP clients send `resource`; a client registered for the REST API names it as its default.
        defaultResource: (_ctx: unknown, client: ClientLike | undefined, oneOf?: string[]) => {
          if (oneOf?.length) return oneOf[0];
          return client?.default_resource === 'rest' ? resources.rest : resources.mcp;
        },
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => {
          if (!knownResources.has(resource)) {
            throw new oidcErrors.InvalidTarget(`resource must be ${resources.mcp} or ${resources.rest}`);
          }
          return {
            scope: OAUTH_SCOPES.join(' '),
            audience: resource,
            accessTokenTTL: ACCESS_TOKEN_TTL_SECONDS,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: SIGNING_ALG } },
          };
        },
      },
      clientIdMetadataDocument: {
        enabled: true,
        ack: 'draft-02',
        allowFetch: (_ctx: unknown, clientId: string) => cimd.allowFetch(clientId),
        cacheDuration: CIMD_CACHE_SECONDS,
      },
    },
    fetch: cimd.fetch,
    fetchResponseBodyLimits: { 'client_id metadata document': CIMD_MAX_BYTES },
    formats: {
      customizers: {
        // The grant id: every request checks that the grant still stands (revoked, reused refresh token).
        jwt: (_ctx: unknown, token: { grantId?: string }, jwt: { payload: Record<string, unknown> }) => {
          jwt.payload.gid = token.grantId;
        },
      },
    },
    issueRefreshToken: (_ctx: unknown, client: ClientLike) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: () => true,
    expiresWithSession: () => false,
    ttl: {
      AccessToken: ACCESS_TOKEN_TTL_SECONDS,
      AuthorizationCode: 60,
      Grant: GRANT_TTL_SECONDS,
      Interaction: 3600,
      RefreshToken: REFRESH_TOKEN_TTL_SECONDS,
      Session: 14 * 86_400,
    },
    findAccount: async (_ctx: unknown, id: string) => {
      if (!/^[0-9a-f-]{36}$/i.test(id) || !(await deps.users.findById(id))) return undefined;
      return { accountId: id, claims: () => ({ sub: id }) };
    },
    interactions: {
      url: (_ctx: unknown, interaction: { uid: string }) => `${OAUTH_PATHS.interaction}/${interaction.uid}`,
    },
    renderError: (ctx: KoaContextLike, out: Record<string, string>) => {
      ctx.type = 'html';
      ctx.body = deps.renderErrorPage(out.error ?? 'error', out.error_description);
    },
  });

  // An /authorize without `scope` (ChatGPT's reconnect) gets the default scope; without it the grant
  // would carry no scope and the code exchange would fail.
  provider.use(async (ctx, next) => {
    if (ctx.path === OAUTH_PATHS.authorization && ctx.method === 'GET' && !ctx.query.scope) {
      ctx.query = { ...ctx.query, scope: DEFAULT_SCOPE };
    }
    await next();
  });

  // Logs name the event and the error code, never a token, a code or a client's metadata.
  const log = deps.logger.child({ component: 'oauth' });
  provider.on('server_error', (_ctx, error) => {
    log.error(
      { err: { name: (error as Error).name, message: (error as Error).message } },
      'oauth server error',
    );
  });
  for (const event of [
    'grant.error',
    'authorization.error',
    'registration_create.error',
    'revocation.error',
  ]) {
    provider.on(event, (_ctx, error) => {
      log.info({ event, code: (error as { error?: string }).error }, 'oauth request refused');
    });
  }
  return provider;
}

export type { OAuthResources };
