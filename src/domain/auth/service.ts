import type { z } from 'zod';
import type { ApiTokenRow, ApiTokensRepository } from '../../db/repositories/api-tokens.js';
import type { UsersRepository } from '../../db/repositories/users.js';
import type { ApiTokenScope } from '../../db/schema/index.js';
import { errors } from '../../errors/catalog.js';
import type { apiTokenSchema } from '../../http/schemas/tokens.js';
import {
  hashAccessToken,
  isWellFormedAccessToken,
  looksLikeAccessToken,
  mintAccessToken,
} from './access-tokens.js';
import { decodeProtectedHeader } from 'jose';
import type { OAuthAccessTokenVerifier } from '../oauth/access-tokens.js';
import type { OAuthResources } from '../oauth/resources.js';
import { issueJwt, verifyJwt, type IssuedJwt, type JwtSettings } from './jwt.js';
import { decoyPasswordHash, verifyPassword } from './passwords.js';
import { createTokenCache, type TokenCache } from './token-cache.js';

/** Who is calling, as established by the auth plugin. */
export interface Principal {
  userId: string;
  /**
   * A session JWT, a personal access token, an OAuth access token (its client and grant named), or the
   * dashboard's session cookie (`tokenId` is the web session's id).
   */
  kind: 'jwt' | 'access_token' | 'oauth' | 'web_session';
  scopes: ApiTokenScope[];
  tokenId?: string;
  clientId?: string;
  grantId?: string;
}

/** The resources a bearer token is presented to: the REST API, or the MCP endpoint. */
export type ResourceKind = keyof OAuthResources;

/** A personal access token as the API shows it: the `ApiToken` schema's type (http/schemas/tokens.ts). */
export type ApiTokenView = z.output<typeof apiTokenSchema>;

export function toApiTokenView(row: ApiTokenRow): ApiTokenView {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scope: row.scope,
    created_at: row.createdAt.toISOString(),
    expires_at: row.expiresAt?.toISOString() ?? null,
    last_used_at: row.lastUsedAt?.toISOString() ?? null,
    revoked_at: row.revokedAt?.toISOString() ?? null,
  };
}

export interface AuthServiceDeps {
  users: UsersRepository;
  apiTokens: ApiTokensRepository;
  jwt: JwtSettings;
  /** Authenticated personal access tokens; default: one that never serves (no revocation listener). */
  tokenCache?: TokenCache;
  /** OAuth access tokens (JWTs our authorization server signs) and the resources they may be for. */
  oauth?: { accessTokens: OAuthAccessTokenVerifier; resources: OAuthResources };
  now?: () => Date;
}

/** The form of a user id (the `sub` of our JWTs). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `last_used_at` is written at most once a minute per token, off the request's path. */
const TOUCH_INTERVAL_MS = 60_000;

export function createAuthService({
  users,
  apiTokens,
  jwt,
  tokenCache = createTokenCache({ ttlSeconds: 0 }),
  oauth,
  now = () => new Date(),
}: AuthServiceDeps) {
  const lastTouched = new Map<string, number>();

  const touchThrottled = (tokenId: string, lastUsedAt: Date | null, at: Date) => {
    const last = lastTouched.get(tokenId) ?? lastUsedAt?.getTime() ?? 0;
    if (at.getTime() - last > TOUCH_INTERVAL_MS) {
      lastTouched.set(tokenId, at.getTime());
      void apiTokens.touch(tokenId, at).catch(() => lastTouched.delete(tokenId));
    }
  };

  /** A personal access token: from the cache when it is there, else from the database (then cached). */
  const authenticateAccessToken = async (token: string): Promise<Principal> => {
    const tokenHash = hashAccessToken(token);
    const cached = tokenCache.get(tokenHash);
    if (cached) {
      const at = now();
      if (cached.expiresAt && cached.expiresAt <= at) {
        tokenCache.forgetToken(cached.tokenId);
        throw errors.invalidToken();
      }
      touchThrottled(cached.tokenId, cached.lastUsedAt, at);
      return cached.principal;
    }
    const readAt = tokenCache.generation();
    const row = await apiTokens.findByHash(tokenHash);
    const at = now();
    if (!row || row.revokedAt || (row.expiresAt && row.expiresAt <= at)) throw errors.invalidToken();
    touchThrottled(row.id, row.lastUsedAt, at);
    const principal = Object.freeze<Principal>({
      userId: row.userId,
      kind: 'access_token',
      scopes: row.scope === 'write' ? ['read', 'write'] : ['read'],
      tokenId: row.id,
    });
    tokenCache.set(
      tokenHash,
      {
        principal,
        tokenId: row.id,
        userId: row.userId,
        expiresAt: row.expiresAt,
        lastUsedAt: row.lastUsedAt,
      },
      readAt,
    );
    return principal;
  };

  /** Same answer, and the same argon2 work, for an unknown email and a wrong password. */
  const verifyCredentials = async (email: string, password: string): Promise<string> => {
    const user = await users.findByEmail(email);
    const ok = await verifyPassword(user?.passwordHash ?? (await decoyPasswordHash()), password);
    if (!user || !ok) throw errors.invalidCredentials();
    return user.id;
  };

  /** An OAuth access token: signed by our authorization server, for exactly `resource`, grant standing. */
  const authenticateOAuth = async (bearer: string, resource: ResourceKind): Promise<Principal> => {
    if (!oauth) throw errors.invalidToken();
    const claims = await oauth.accessTokens.verify(bearer, oauth.resources[resource]);
    if (!claims) throw errors.invalidToken();
    return {
      userId: claims.userId,
      kind: 'oauth',
      scopes: claims.scopes,
      tokenId: claims.tokenId,
      clientId: claims.clientId,
      grantId: claims.grantId,
    };
  };

  /** Our session JWTs are HS256; OAuth access tokens are RS256 `at+jwt` (anything else is neither). */
  const isOAuthAccessToken = (bearer: string): boolean => {
    try {
      const header = decodeProtectedHeader(bearer);
      return header.typ === 'at+jwt' && header.alg !== 'HS256';
    } catch {
      return false;
    }
  };

  return {
    async login(email: string, password: string): Promise<IssuedJwt> {
      return issueJwt(jwt, await verifyCredentials(email, password), now());
    },

    /** The user id behind an email and a password (the OAuth sign-in page), or 401 INVALID_CREDENTIALS. */
    verifyCredentials,

    async createToken(
      userId: string,
      input: { name: string; scope: ApiTokenScope; expiresInDays?: number },
    ): Promise<{ token: string; row: ApiTokenRow }> {
      const minted = mintAccessToken();
      const expiresAt =
        input.expiresInDays === undefined
          ? null
          : new Date(now().getTime() + input.expiresInDays * 86_400_000);
      const row = await apiTokens.insert({
        userId,
        name: input.name,
        prefix: minted.prefix,
        tokenHash: minted.hash,
        scope: input.scope,
        expiresAt,
      });
      return { token: minted.token, row };
    },

    listTokens(userId: string): Promise<ApiTokenRow[]> {
      return apiTokens.listForUser(userId);
    },

    /**
     * Another user's token answers exactly like one that does not exist. Forgotten here at once; other
     * processes hear of it from the database (drizzle/0007_api_token_revocations.sql).
     */
    async revokeToken(userId: string, tokenId: string): Promise<void> {
      if (!(await apiTokens.revokeForUser(userId, tokenId, now()))) throw errors.notFound('token', tokenId);
      tokenCache.forgetToken(tokenId);
    },

    /** Operator revocation by id alone (the CLI); undefined when unknown or already revoked. */
    async revokeAnyToken(tokenId: string): Promise<ApiTokenRow | undefined> {
      const row = await apiTokens.revokeAny(tokenId, now());
      if (row) tokenCache.forgetToken(tokenId);
      return row;
    },

    /**
     * Resolves a bearer token presented to the REST API to a principal, or throws 401: a personal access
     * token, a session JWT, or an OAuth access token for PUBLIC_URL/v1.
     */
    async authenticate(bearer: string): Promise<Principal> {
      if (looksLikeAccessToken(bearer)) {
        if (!isWellFormedAccessToken(bearer)) throw errors.invalidToken();
        return authenticateAccessToken(bearer);
      }
      if (isOAuthAccessToken(bearer)) return authenticateOAuth(bearer, 'rest');
      const userId = await verifyJwt(jwt, bearer);
      // A JWT outlives nothing it names: the token of a deleted user is as dead as an expired one (401).
      if (!userId || !UUID.test(userId) || !(await users.findById(userId))) throw errors.invalidToken();
      return { userId, kind: 'jwt', scopes: ['read', 'write'] };
    },

    /**
     * Resolves a bearer token presented to the MCP endpoint: a personal access token, or an OAuth access
     * token for PUBLIC_URL/mcp. A session JWT or a token for the REST API is refused (401).
     */
    async authenticateMcp(bearer: string): Promise<Principal> {
      if (looksLikeAccessToken(bearer)) {
        if (!isWellFormedAccessToken(bearer)) throw errors.invalidToken();
        return authenticateAccessToken(bearer);
      }
      return authenticateOAuth(bearer, 'mcp');
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
