import type { TokenRevocationHandlers } from '../../db/repositories/api-tokens.js';
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
  const ttlMs = ttlSeconds * 1000;
  // A Map iterates in insertion order: its first entry is the oldest, the one evicted when full.
  const byHash = new Map<string, CachedToken>();
  const hashByTokenId = new Map<string, string>();
  let listening = false;
  // Bumped by every invalidation. A database read that started before one may have seen the token
  // before its revocation, so what it read is not stored (see `set`).
  let generation = 0;

  const serving = () => listening && ttlMs > 0;

  const remove = (tokenHash: string) => {
    const entry = byHash.get(tokenHash);
    if (!entry) return;
    byHash.delete(tokenHash);
    hashByTokenId.delete(entry.tokenId);
  };

  const forgetAll = () => {
    generation += 1;
    byHash.clear();
    hashByTokenId.clear();
  };

  return {
    /** True while lookups can be answered from memory. */
    get serving(): boolean {
      return serving();
    },

    get size(): number {
      return byHash.size;
    },

    /** Take it before reading the token from the database, and pass it to `set`. */
    generation: (): number => generation,

    /** The cached token, unless it was cached more than the TTL ago. Expiry is the caller's to check. */
    get(tokenHash: string): CachedToken | undefined {
      if (!serving()) return undefined;
      const entry = byHash.get(tokenHash);
      if (!entry) return undefined;
      if (now() - entry.cachedAt >= ttlMs) {
        remove(tokenHash);
        return undefined;
      }
      return entry;
    },

    /** Stores a token read from the database, unless an invalidation happened since `readAt`. */
    set(tokenHash: string, token: Omit<CachedToken, 'cachedAt'>, readAt: number): void {
      if (!serving() || readAt !== generation) return;
      remove(tokenHash);
      for (const oldest of byHash.keys()) {
        if (byHash.size < maxEntries) break;
        remove(oldest);
      }
      byHash.set(tokenHash, { ...token, cachedAt: now() });
      hashByTokenId.set(token.tokenId, tokenHash);
    },

    forgetToken(tokenId: string): void {
      generation += 1;
      const tokenHash = hashByTokenId.get(tokenId);
      if (tokenHash !== undefined) remove(tokenHash);
    },

    forgetAll,

    /** The revocation listener is up: every revocation from now on will be heard. */
    resume(): void {
      generation += 1; // a read that started while nobody listened must not be stored
      listening = true;
    },

    /** The revocation listener is down: revocations may go unheard, so keep and serve nothing. */
    suspend(): void {
      listening = false;
      forgetAll();
    },
  };
}

export type TokenCache = ReturnType<typeof createTokenCache>;

/** Connects a revocation listener to the cache, and logs (never a token) when it comes and goes. */
export function followTokenRevocations(cache: TokenCache, logger: Logger): TokenRevocationHandlers {
  let wasLost = false;
  return {
    onTokenRevoked: (tokenId) => cache.forgetToken(tokenId),
    onEveryTokenRevoked: () => cache.forgetAll(),
    onListening: () => {
      cache.resume();
      logger.info(
        wasLost
          ? 'token revocation listener back: personal access tokens cached again'
          : 'token revocation listener ready: personal access tokens cached',
      );
      wasLost = false;
    },
    onLost: (error, retryInMs) => {
      cache.suspend();
      logger.warn(
        { err: error, retryInMs },
        'token revocation listener down: every personal access token checked in the database until it is back',
      );
      wasLost = true;
    },
  };
}
