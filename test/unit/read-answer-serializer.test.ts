import Fastify, { type FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { AccountsService } from '../../src/domain/accounts/service.js';
import { createReadCache, replyWithRead, type ReadCache } from '../../src/http/read-cache.js';
import { responseSerializerCompiler } from '../../src/http/plugins/serializer.js';
import { envelopeShape } from '../../src/http/schemas/common.js';
import { wellFormedValidatorCompiler } from '../../src/http/schemas/well-formed.js';
import { JsonText } from '../../src/lib/json-text.js';

const ENVELOPE = {
  as_of: '2026-01-31T12:00:00.000Z',
  freshness: { stale: false, items: [] },
};
// Only envelope() is used by replyWithRead.
const accounts = { envelope: () => Promise.resolve(ENVELOPE) } as unknown as AccountsService;

const answerSchema = z.object({
  ...envelopeShape,
  label: z.string(),
  rows: z.array(z.object({ id: z.string(), amount: z.string() })),
  history: z.object({ interval: z.enum(['day', 'month']), points: z.array(z.object({ v: z.number() })) }),
});

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** A read route like ours: the app's serializer compiler, a 200 schema, answers through replyWithRead. */
async function readRoute(cache: ReadCache, compute: () => Promise<Record<string, unknown>>) {
  const instance = Fastify().withTypeProvider<ZodTypeProvider>();
  instance.setValidatorCompiler(wellFormedValidatorCompiler);
  instance.setSerializerCompiler(responseSerializerCompiler);
  instance.get('/answer', { schema: { response: { 200: answerSchema } } }, async (request, reply) => {
    await replyWithRead(reply, request, { cache, accounts, userId: 'u1' }, compute);
    return reply;
  });
  await instance.ready();
  app = instance;
  return instance;
}

describe('read answers', () => {
  it('should write only the fields the route schema declares, in cached answers too', async () => {
    const cache = createReadCache(60);
    cache.resume();
    let computed = 0;
    const route = await readRoute(cache, async () => {
      computed++;
      return {
        label: 'mine',
        secret: 'not declared',
        rows: [{ id: 'a', amount: '1.50', merchant: 'not declared either' }],
        history: { interval: 'day', points: new JsonText('[{"v":1},{"v":2}]'), extra: true },
      };
    });
    const first = await route.inject('/answer');
    const second = await route.inject('/answer');
    expect(first.statusCode).toBe(200);
    expect(computed).toBe(1); // the second answer came from the cache
    expect(second.body).toBe(first.body);
    expect(first.json()).toEqual({
      ...ENVELOPE,
      label: 'mine',
      rows: [{ id: 'a', amount: '1.50' }],
      history: { interval: 'day', points: [{ v: 1 }, { v: 2 }] },
    });
    expect(first.body).not.toContain('not declared');
    expect(first.body).not.toContain('extra');
  });

  it('should refuse an answer its schema cannot hold rather than send it', async () => {
    const cache = createReadCache(60);
    cache.resume();
    const route = await readRoute(cache, async () => ({
      label: 'mine',
      rows: [{ id: 'a' }], // amount missing
      history: { interval: 'day', points: new JsonText('[]') },
    }));
    const response = await route.inject('/answer');
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('"rows"');
  });
});
