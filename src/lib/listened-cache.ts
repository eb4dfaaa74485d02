import type { ListenerLifecycle } from '../db/notifications.js';
import type { Logger } from './logger.js';

/**
 * A read cache that is only as fresh as the news of changes: it serves only while a listener hears every
 * change committed by any process (LISTEN/NOTIFY, src/db/notifications.ts). Nothing is served before
 * `resume`, and `suspend` (the listener is down) empties it until the listener is back. A read from the
 * database that started before an invalidation may have seen the old state, so it is not stored: take
 * `generation()` before the read and pass it to `set`. The TTL bounds what a missed notification could
 * cost. The personal-access-token cache (src/domain/auth/token-cache.ts) follows the same rules.
 */
export interface ListenedCacheOptions<V> {
  /** 0: the cache never serves. */
  ttlSeconds: number;
  maxEntries?: number;
  /** With `sizeOf`: the most the entries may weigh together (oldest evicted first). */
  maxSize?: number;
  sizeOf?: (value: V) => number;
  /** Epoch milliseconds. */
  now?: () => number;
}

export function createListenedCache<V>({
  ttlSeconds,
  maxEntries = 10_000,
  maxSize = Infinity,
  sizeOf,
  now = Date.now,
}: ListenedCacheOptions<V>) {
  const ttlMs = ttlSeconds * 1000;
  const weigh = sizeOf ?? (() => 0);
  // A Map iterates in insertion order: its first entry is the oldest, the one evicted when full.
  const entries = new Map<string, { value: V; cachedAt: number; size: number }>();
  let total = 0;
  let listening = false;
  let generation = 0;
  const serving = () => listening && ttlMs > 0;

  const remove = (key: string) => {
    const entry = entries.get(key);
    if (!entry) return;
    entries.delete(key);
    total -= entry.size;
  };

  const forgetAll = () => {
    generation += 1;
    entries.clear();
    total = 0;
  };

  return {
    get serving(): boolean {
      return serving();
    },

    get size(): number {
      return entries.size;
    },

    /** Take it before reading from the database, and pass it to `set`. */
    generation: (): number => generation,

    get(key: string): V | undefined {
      if (!serving()) return undefined;
      const entry = entries.get(key);
      if (!entry) return undefined;
      if (now() - entry.cachedAt >= ttlMs) {
        remove(key);
        return undefined;
      }
      return entry.value;
    },

    /** The cached value, or what `load` reads (kept unless an invalidation happened meanwhile). */
    async getOrLoad(key: string, load: () => Promise<V>): Promise<V> {
      const cached = this.get(key);
      if (cached !== undefined) return cached;
      const readAt = generation;
      const value = await load();
      this.set(key, value, readAt);
      return value;
    },

    /** Stores what a read returned, unless an invalidation happened since `readAt` (its generation). */
    set(key: string, value: V, readAt: number): void {
      const size = weigh(value);
      if (!serving() || readAt !== generation || size > maxSize) return;
      remove(key);
      for (const oldest of entries.keys()) {
        if (entries.size < maxEntries && total + size <= maxSize) break;
        remove(oldest);
      }
      entries.set(key, { value, cachedAt: now(), size });
      total += size;
    },

    /** Drops `key` (when given), and keeps no read that started before. */
    forget(key: string | undefined): void {
      generation += 1;
      if (key !== undefined) remove(key);
    },

    forgetAll,

    /** Drops the keys `matches` selects, and keeps no read that started before. */
    forgetWhere(matches: (key: string) => boolean): void {
      generation += 1;
      for (const key of [...entries.keys()]) if (matches(key)) remove(key);
    },

    /** The listener is up: every change from now on will be heard. */
    resume(): void {
      generation += 1; // a read that started while nobody listened must not be stored
      listening = true;
    },

    /** The listener is down: changes may go unheard, so keep and serve nothing. */
    suspend(): void {
      listening = false;
      forgetAll();
    },
  };
}

export type ListenedCache<V> = ReturnType<typeof createListenedCache<V>>;

/**
 * A cache's side of its listener: serve while it is up, empty and stop while it is down; logs (never a
 * cached value) when it comes, goes and comes back. `what` names the listener and the cached things.
 */
export function followListener(
  cache: { resume(): void; suspend(): void },
  logger: Logger,
  what: { listener: string; cached: string },
): ListenerLifecycle {
  let wasLost = false;
  return {
    onListening: () => {
      cache.resume();
      logger.info(
        wasLost
          ? `${what.listener} listener back: ${what.cached} cached again`
          : `${what.listener} listener ready: ${what.cached} cached`,
      );
      wasLost = false;
    },
    onLost: (error, retryInMs) => {
      cache.suspend();
      logger.warn(
        { err: error, retryInMs },
        `${what.listener} listener down: ${what.cached} read from the database until it is back`,
      );
      wasLost = true;
    },
  };
}
