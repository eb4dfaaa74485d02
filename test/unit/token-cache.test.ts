import { describe, expect, it } from 'vitest';
import { createTokenCache, type CachedToken } from '../../src/domain/auth/token-cache.js';

function token(tokenId: string): Omit<CachedToken, 'cachedAt'> {
  const userId = `user-of-${tokenId}`;
  return {
    principal: { userId, kind: 'access_token', scopes: ['read'], tokenId },
    tokenId,
    userId,
    expiresAt: null,
    lastUsedAt: null,
  };
}

function listeningCache(options: { ttlSeconds?: number; maxEntries?: number; clock?: { ms: number } } = {}) {
  const clock = options.clock ?? { ms: 0 };
  const cache = createTokenCache({
    ttlSeconds: options.ttlSeconds ?? 60,
    maxEntries: options.maxEntries,
    now: () => clock.ms,
  });
  cache.resume();
  return { cache, clock };
}

describe('token cache', () => {
  it('should not serve before a revocation listener is up, nor with a TTL of 0', () => {
    const idle = createTokenCache({ ttlSeconds: 60 });
    idle.set('h1', token('t1'), idle.generation());
    expect(idle.get('h1')).toBeUndefined();
    expect(idle.serving).toBe(false);

    const off = createTokenCache({ ttlSeconds: 0 });
    off.resume();
    off.set('h1', token('t1'), off.generation());
    expect(off.serving).toBe(false);
    expect(off.get('h1')).toBeUndefined();
  });

  it('serves an entry for the TTL, then reads again', () => {
    const { cache, clock } = listeningCache({ ttlSeconds: 60 });
    cache.set('h1', token('t1'), cache.generation());
    clock.ms = 59_999;
    expect(cache.get('h1')?.tokenId).toBe('t1');
    clock.ms = 60_000;
    expect(cache.get('h1')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('evicts the oldest entry when full', () => {
    const { cache } = listeningCache({ maxEntries: 2 });
    for (const id of ['t1', 't2', 't3']) cache.set(`h-${id}`, token(id), cache.generation());
    expect(cache.size).toBe(2);
    expect(cache.get('h-t1')).toBeUndefined();
    expect(cache.get('h-t2')?.tokenId).toBe('t2');
    expect(cache.get('h-t3')?.tokenId).toBe('t3');
  });

  it('forgets a token by its id, and everything on request', () => {
    const { cache } = listeningCache();
    cache.set('h1', token('t1'), cache.generation());
    cache.set('h2', token('t2'), cache.generation());
    cache.forgetToken('t1');
    expect(cache.get('h1')).toBeUndefined();
    expect(cache.get('h2')?.tokenId).toBe('t2');
    cache.forgetAll();
    expect(cache.size).toBe(0);
  });

  it('should not store a read that started before a revocation was heard', () => {
    const { cache } = listeningCache();
    const readAt = cache.generation();
    cache.forgetToken('t1'); // heard while the database read was in flight
    cache.set('h1', token('t1'), readAt);
    expect(cache.get('h1')).toBeUndefined();
  });

  it('empties and stops serving while the listener is down, and never stores a read from that time', () => {
    const { cache } = listeningCache();
    cache.set('h1', token('t1'), cache.generation());
    cache.suspend();
    expect(cache.serving).toBe(false);
    expect(cache.size).toBe(0);
    const readWhileDown = cache.generation();
    cache.resume();
    cache.set('h1', token('t1'), readWhileDown);
    expect(cache.get('h1')).toBeUndefined();
    cache.set('h1', token('t1'), cache.generation());
    expect(cache.get('h1')?.tokenId).toBe('t1');
  });
});
