import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AccountsService } from '../domain/accounts/service.js';
import type { ReadModelChangeHandlers } from '../db/repositories/analytics.js';
import { formatDate } from '../lib/dates.js';
import { JsonText } from '../lib/json-text.js';
import { createListenedCache, followListener, type ListenedCache } from '../lib/listened-cache.js';
import type { Logger } from '../lib/logger.js';
import { responseSerializerCompiler } from './plugins/serializer.js';
import { envelopeShape } from './schemas/common.js';

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

type Members = Record<string, unknown>;
type MembersSerializer = (members: Members) => string;

/** The compiled serializer (src/http/plugins/serializer.ts) of a schema, as object members without braces. */
function compileMembers(schema: z.ZodType): MembersSerializer {
  const serialize = responseSerializerCompiler({ schema, method: 'GET', url: '', httpStatus: '200' });
  return (members) => serialize(members).slice(1, -1);
}

const envelopeMembers = compileMembers(z.object(envelopeShape));

/**
 * Stands for a pre-rendered value (JsonText) while the rest is serialized: a NUL and this process's random
 * nonce, which no stored text carries (bank text loses its control characters at the Plaid boundary).
 */
const PLACEHOLDER = `\u0000${randomUUID()}:`;

const isPlainObject = (value: unknown): value is Members =>
  value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype;

/** Where `members` holds JsonText (in plain objects, not in arrays): dotted paths. */
function prerenderedPaths(value: Members, prefix = ''): string[] {
  return Object.entries(value).flatMap(([key, member]) => {
    if (member instanceof JsonText) return [`${prefix}${key}`];
    return isPlainObject(member) ? prerenderedPaths(member, `${prefix}${key}.`) : [];
  });
}

/** The schema with the value at `path` left to the pre-rendered text (declared as anything). */
function withPrerendered(schema: z.ZodObject, path: string[]): z.ZodObject {
  const [key, ...rest] = path;
  const member = key === undefined ? undefined : schema.shape[key];
  if (key === undefined || !member) throw new Error(`no member ${path.join('.')} in the response schema`);
  if (rest.length === 0) return schema.extend({ [key]: z.any() });
  if (!(member instanceof z.ZodObject)) throw new Error(`${key} of the response schema is not an object`);
  return schema.extend({ [key]: withPrerendered(member, rest) });
}

/** Per route schema, and per set of pre-rendered paths: compiled once. */
const membersSerializers = new WeakMap<object, Map<string, MembersSerializer>>();

/**
 * Serializes a read answer's members with the route's own response serializer (its 200 schema without
 * the envelope), so that a cached answer holds exactly the fields the schema declares, like every other
 * response. JsonText values (the materialized net-worth points) are spliced in as rendered.
 */
function serializeMembers(request: FastifyRequest, members: Members): string {
  const response = request.routeOptions.schema?.response as Record<string, unknown> | undefined;
  const schema = response?.[200] ?? response?.['200'];
  if (!(schema instanceof z.ZodObject)) throw new Error(`${request.routeOptions.url}: no object 200 schema`);
  const paths = prerenderedPaths(members);
  let compiled = membersSerializers.get(schema);
  if (!compiled) membersSerializers.set(schema, (compiled = new Map()));
  let serialize = compiled.get(paths.join(' '));
  if (!serialize) {
    const bare = schema.omit({ as_of: true, freshness: true } as never) as z.ZodObject;
    serialize = compileMembers(paths.reduce((s, path) => withPrerendered(s, path.split('.')), bare));
    compiled.set(paths.join(' '), serialize);
  }
  if (paths.length === 0) return serialize(members);

  const texts: string[] = [];
  const swap = (value: Members): Members =>
    Object.fromEntries(
      Object.entries(value).map(([key, member]) => {
        if (member instanceof JsonText) return [key, `${PLACEHOLDER}${texts.push(member.text) - 1}`];
        return [key, isPlainObject(member) ? swap(member) : member];
      }),
    );
  let text = serialize(swap(members));
  texts.forEach((raw, index) => {
    text = text.replace(JSON.stringify(`${PLACEHOLDER}${index}`), () => raw);
  });
  return text;
}

/**
 * Answers a read: the caller's envelope (as_of, freshness), then the members `compute` returns, from the
 * cache when this user asked this today since the read model last changed. Both are written by the
 * route's compiled response serializer. Errors are never cached.
 */
export async function replyWithRead(
  reply: FastifyReply,
  request: FastifyRequest,
  deps: {
    cache: ReadCache;
    accounts: AccountsService;
    userId: string;
    /**
     * What else the answer depends on that the read model's change notices do not cover (the item
     * health shown in GET /v1/accounts): part of the key, so that an answer is never served for
     * another variant.
     */
    variant?: string;
  },
  compute: () => Promise<Record<string, unknown>>,
): Promise<FastifyReply> {
  const { cache, accounts, userId, variant } = deps;
  const key = `${userId} ${formatDate(new Date())} ${request.url}${variant === undefined ? '' : ` ${variant}`}`;
  const envelope = accounts.envelope(userId);
  // Kept as UTF-8 bytes: a hit copies them once instead of measuring and encoding a string each time.
  const members = await cache.getOrLoad(key, async () =>
    Buffer.from(serializeMembers(request, await compute())),
  );
  const head = Buffer.from(envelopeMembers({ ...(await envelope) }));
  // test/integration/response-bodies.test.ts holds real bodies to the route's response schema.
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
