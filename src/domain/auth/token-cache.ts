import type { TokenRevocationHandlers } from '../../db/repositories/api-tokens.js';
import { createListenedCache, followListener } from '../../lib/listened-cache.js';
import type { Logger } from '../../lib/logger.js';
import type { Principal } from './service.js';

/**
 * Authenticated personal access tokens held in memory, so that a request with a known token costs no
 * database round trip (docs/security.md). Keyed by the token's SHA-256, never by the token. Only valid
 * tokens are kept; unknown, revoked and expired ones always go to the database.
 *
 * A cached token is only as fresh as the news of its revocation, so the cache serves only while a
 * revocation listener hears every change committed by any process: nothing before `resume`, and
 * `suspend` (the listener is down) empties it until the listener is back. The TTL bounds what a missed
 * notification could cost.
 */

export interface CachedToken {
  /** Shared by every request that presents the token, so frozen. */
  principal: Readonly<Principal>;
  tokenId: string;
  userId: string;
  expiresAt: Date | null;
  /** As read from the database: the auth service throttles its `last_used_at` writes with it. */
  lastUsedAt: Date | null;
  /** Epoch milliseconds. */
  cachedAt: number;
}

export interface TokenCacheOptions {
  /** 0: the cache never serves. */
  ttlSeconds: number;
  maxEntries?: number;
  /** Epoch milliseconds; the auth service's clock. */
  now?: () => number;
}

export function createTokenCache({ ttlSeconds, maxEntries = 10_000, now = Date.now }: TokenCacheOptions) {
  // The serve-while-listening rules, the TTL, the eviction and the generation are the listened cache's;
  // this adds the index by token id that revocations (which name a token, not its hash) need.
  const byHash = createListenedCache<CachedToken>({ ttlSeconds, maxEntries, now });
  const hashByTokenId = new Map<string, string>();

  return {
    /** True while lookups can be answered from memory. */
    get serving(): boolean {
      return byHash.serving;
    },

    get size(): number {
      return byHash.size;
    },

    /** Take it before reading the token from the database, and pass it to `set`. */
    generation: (): number => byHash.generation(),

    /** The cached token, unless it was cached more than the TTL ago. Expiry is the caller's to check. */
    get: (tokenHash: string): CachedToken | undefined => byHash.get(tokenHash),

    /** Stores a token read from the database, unless an invalidation happened since `readAt`. */
    set(tokenHash: string, token: Omit<CachedToken, 'cachedAt'>, readAt: number): void {
      byHash.set(tokenHash, { ...token, cachedAt: now() }, readAt);
      if (byHash.get(tokenHash) === undefined) return; // not kept
      // Entries the cache evicted leave stale ids here; they only ever point at absent hashes.
      if (hashByTokenId.size >= maxEntries * 2) hashByTokenId.clear();
      hashByTokenId.set(token.tokenId, tokenHash);
    },

    forgetToken(tokenId: string): void {
      const tokenHash = hashByTokenId.get(tokenId);
      hashByTokenId.delete(tokenId);
      // Even when nothing is cached under it: a read of this token in flight must not be kept.
      byHash.forget(tokenHash);
    },

    forgetAll(): void {
      hashByTokenId.clear();
      byHash.forgetAll();
    },

    /** The revocation listener is up: every revocation from now on will be heard. */
    resume: (): void => byHash.resume(),

    /** The revocation listener is down: revocations may go unheard, so keep and serve nothing. */
    suspend(): void {
      hashByTokenId.clear();
      byHash.suspend();
    },
  };
}

export type TokenCache = ReturnType<typeof createTokenCache>;

/** Connects a revocation listener to the cache, and logs (never a token) when it comes and goes. */
export function followTokenRevocations(cache: TokenCache, logger: Logger): TokenRevocationHandlers {
  return {
    onTokenRevoked: (tokenId) => cache.forgetToken(tokenId),
    onEveryTokenRevoked: () => cache.forgetAll(),
    ...followListener(cache, logger, {
      listener: 'token revocation',
      cached: 'personal access tokens',
    }),
  };
}
