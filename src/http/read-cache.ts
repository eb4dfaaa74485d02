import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AccountsService } from '../domain/accounts/service.js';
import type { ReadModelChangeHandlers } from '../db/repositories/analytics.js';
import { formatDate } from '../lib/dates.js';
import { jsonMembersText } from '../lib/json-text.js';
import { createListenedCache, followListener, type ListenedCache } from '../lib/listened-cache.js';
import type { Logger } from '../lib/logger.js';

/**
 * Rendered read answers (transactions pages, cash flow, net worth, holdings, recurring), kept per user,
 * question (the request's URL) and UTC day, for READ_CACHE_SECONDS. The data they come from changes only
 * when a sync, a materializer or a removal writes it, and every such statement announces whose rows it
 * wrote (drizzle/0014_read_model_changes_per_user.sql): every process forgets those people's answers
 * (everyone's on '*'). The
 * rules of src/lib/listened-cache.ts apply: served only while the listener is up, a computation that
 * overlapped an announcement is not kept. `as_of` and `freshness` are never cached: each response gets
 * them fresh. Bounded by entries and by size (64 MiB).
 */
export type ReadCache = ListenedCache<Buffer>;

export function createReadCache(ttlSeconds: number): ReadCache {
  return createListenedCache<Buffer>({
    ttlSeconds,
    maxEntries: 5_000,
    maxSize: 64 * 1024 * 1024,
    sizeOf: (members) => members.length,
  });
}

const OPEN = Buffer.from('{');
const COMMA_CLOSE = [Buffer.from(','), Buffer.from('}')] as const;

/**
 * Answers a read: the caller's envelope (as_of, freshness), then the members `compute` returns, from the
 * cache when this user asked this today since the read model last changed. Errors are never cached.
 */
export async function replyWithRead(
  reply: FastifyReply,
  request: FastifyRequest,
  deps: { cache: ReadCache; accounts: AccountsService; userId: string },
  compute: () => Promise<Record<string, unknown>>,
): Promise<FastifyReply> {
  const { cache, accounts, userId } = deps;
  const key = `${userId} ${formatDate(new Date())} ${request.url}`;
  const envelope = accounts.envelope(userId);
  // Kept as UTF-8 bytes: a hit copies them once instead of measuring and encoding a string each time.
  const members = await cache.getOrLoad(key, async () => Buffer.from(jsonMembersText(await compute())));
  const head = Buffer.from(jsonMembersText({ ...(await envelope) }));
  // The route's response schema still documents this body (OpenAPI); test/integration/response-bodies.test.ts
  // holds real bodies to it.
  return reply
    .type('application/json; charset=utf-8')
    .send(Buffer.concat([OPEN, head, COMMA_CLOSE[0], members, COMMA_CLOSE[1]]));
}

/** Connects the read-model listener to the cache, and logs when it comes and goes. */
export function followReadModelChanges(cache: ReadCache, logger: Logger): ReadModelChangeHandlers {
  return {
    onChanged: (userIds) => {
      if (userIds === '*') return cache.forgetAll();
      const prefixes = userIds.map((id) => `${id} `);
      cache.forgetWhere((key) => prefixes.some((prefix) => key.startsWith(prefix)));
    },
    ...followListener(cache, logger, { listener: 'read model', cached: 'read answers' }),
  };
}
