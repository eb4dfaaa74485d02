import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JWK } from 'jose';
import type { OAuthRepository } from '../../db/repositories/oauth.js';
import type { OAuthScope } from './resources.js';
import { SIGNING_ALG } from './signing-keys.js';

/** What a verified OAuth access token says. */
export interface OAuthTokenClaims {
  userId: string;
  scopes: OAuthScope[];
  clientId: string;
  grantId: string;
  tokenId: string;
}

export interface OAuthAccessTokenVerifier {
  /**
   * The claims of a JWT access token of ours whose audience is exactly `resource`, signed by one of our
   * keys, unexpired, whose grant still stands (not revoked, its user not deleted); undefined otherwise.
   */
  verify(token: string, resource: string): Promise<OAuthTokenClaims | undefined>;
}

/** Unknown `kid`s reload the public keys at most this often (a key made by another process). */
const RELOAD_INTERVAL_MS = 30_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createOAuthAccessTokenVerifier({
  repository,
  issuer,
  now = () => new Date(),
}: {
  repository: OAuthRepository;
  issuer: string;
  now?: () => Date;
}): OAuthAccessTokenVerifier {
  let keys: ReturnType<typeof createLocalJWKSet> | undefined;
  let loadedAt = 0;
  const load = async () => {
    const rows = await repository.signingKeys();
    keys = createLocalJWKSet({ keys: rows.map((row) => row.publicJwk as JWK) });
    loadedAt = Date.now();
    return keys;
  };

  const verifySignature = async (token: string, resource: string) => {
    const options = {
      issuer,
      audience: resource,
      typ: 'at+jwt',
      algorithms: [SIGNING_ALG],
      requiredClaims: ['sub', 'exp', 'iat', 'jti', 'client_id'],
      currentDate: now(),
    };
    try {
      return await jwtVerify(token, keys ?? (await load()), options);
    } catch (error) {
      if (error instanceof joseErrors.JWKSNoMatchingKey && Date.now() - loadedAt > RELOAD_INTERVAL_MS) {
        return jwtVerify(token, await load(), options);
      }
      throw error;
    }
  };

  return {
    async verify(token, resource) {
      let payload;
      try {
        ({ payload } = await verifySignature(token, resource));
      } catch {
        return undefined;
      }
      // Exactly this resource: one audience, a string (RFC 8707 §2).
      if (payload.aud !== resource) return undefined;
      const { sub, gid, client_id: clientId, jti, scope } = payload as Record<string, unknown>;
      if (typeof sub !== 'string' || !UUID.test(sub)) return undefined;
      if (typeof gid !== 'string' || typeof clientId !== 'string' || typeof jti !== 'string')
        return undefined;
      const granted = typeof scope === 'string' ? scope.split(' ') : [];
      // As with personal access tokens, `write` includes `read`.
      const scopes: OAuthScope[] = granted.includes('write')
        ? ['read', 'write']
        : granted.includes('read')
          ? ['read']
          : [];
      if (!(await repository.isGrantActive(sub, gid, now()))) return undefined;
      return { userId: sub, scopes, clientId, grantId: gid, tokenId: jti };
    },
  };
}
