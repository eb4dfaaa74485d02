/**
 * POST /v1/sync/plaid/webhook and the webhook processor, against the emulator over HTTP: the emulator
 * signs and delivers real webhooks (captured by a local receiver, then posted to the app), serves its
 * keys through /webhook_verification_key/get, rotates them and can sign with a stale clock. Forgeries
 * are built here with jose. One extra key of the test's own (OWN_KID) is served beside the emulator's,
 * only to sign bodies the emulator would never send (malformed, unknown types). The job queue is a
 * recording double: the real queue is tested elsewhere; here we check what was asked of it.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { and, eq, notInArray, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { base64url, exportJWK, generateKeyPair, generateSecret, SignJWT, type CryptoKey } from 'jose';
import { Products, type JWKPublicKey } from 'plaid';
import { createItemLocksRepository } from '../../src/db/repositories/item-locks.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.js';
import {
  accounts,
  cashflowDaily,
  plaidItems,
  syncRuns,
  transactions,
  users,
  webhookEvents,
} from '../../src/db/schema/index.js';
import { createItemLinking } from '../../src/domain/items/item-linking.js';
import { createWebhookService } from '../../src/domain/webhooks/service.js';
import { buildEmulatorApp } from '../../src/emulator/index.js';
import type { JobQueue, SyncRequest, WebhookRequest } from '../../src/domain/sync/queue.js';
import { createLogger } from '../../src/lib/logger.js';
import { createPlaidClient, type PlaidClient } from '../../src/plaid/client.js';
import { bodySha256Hex } from '../../src/plaid/webhook-verification.js';
import { WebhookReceiver, type ReceivedWebhook } from '../emulator/support/webhook-receiver.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { databaseKinds } from '../helpers/database.js';
import { emulatorControl } from '../helpers/emulator-control.js';

const CLIENT_ID = 'webhook-test-client';
const SECRET = 'webhook-test-secret-5a6b7c8d';
const ROUTE = '/v1/sync/plaid/webhook';
const OWN_KID = `test-own-key-${randomUUID()}`;

/** A JobQueue double that records what was asked of it. */
function recordingQueue() {
  const syncs: SyncRequest[] = [];
  const webhooks: WebhookRequest[] = [];
  const queue: JobQueue = {
    async enqueueSync(request) {
      syncs.push(request);
      return { itemId: request.itemId, jobId: `job-${syncs.length}`, absorbed: false, runIds: [] };
    },
    async enqueueWebhook(job) {
      webhooks.push(job);
    },
  };
  return { queue, syncs, webhooks };
}

/** A compact JWT with any header, for the algorithm-confusion cases. */
function handmade(header: Record<string, unknown>, payloadB64: string, signature = ''): string {
  return `${base64url.encode(JSON.stringify(header))}.${payloadB64}.${signature}`;
}

function jwtHeader(jwt: string): { kid: string; alg: string } {
  return JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString('utf8'));
}

describe.each(databaseKinds())('Plaid webhooks (%s)', (kind) => {
  let emulator: FastifyInstance;
  let baseUrl: string;
  let control: ReturnType<typeof emulatorControl>;
  let emulatorPlaid: PlaidClient;
  let receiver: WebhookReceiver;
  let t: TestApp;
  let db: Database;
  let jobs: ReturnType<typeof recordingQueue>;
  let linking: ReturnType<typeof createItemLinking>;
  let ownKey: CryptoKey;
  /** Every kid the app asked /webhook_verification_key/get for. */
  const keyFetches: string[] = [];
  /** Added to the emulator's wall clock (webhook `iat`). */
  const wall = { offsetMs: 0 };

  beforeAll(async () => {
    emulator = await buildEmulatorApp({
      clientId: CLIENT_ID,
      secret: SECRET,
      rateLimits: false,
      wallClock: () => Date.now() + wall.offsetMs,
      webhookRetry: { maxAttempts: 1, timeoutMs: 5_000 },
    });
    await emulator.listen({ host: '127.0.0.1', port: 0 });
    baseUrl = `http://127.0.0.1:${(emulator.server.address() as AddressInfo).port}`;
    control = emulatorControl(baseUrl);
    receiver = await new WebhookReceiver().start();
    emulatorPlaid = createPlaidClient({
      basePath: baseUrl,
      clientId: CLIENT_ID,
      secret: SECRET,
      timeoutMs: 10_000,
    });

    const pair = await generateKeyPair('ES256', { extractable: true });
    ownKey = pair.privateKey;
    const jwk = await exportJWK(pair.publicKey);
    const ownPublic: JWKPublicKey = {
      alg: 'ES256',
      crv: jwk.crv!,
      kty: jwk.kty!,
      use: 'sig',
      x: jwk.x!,
      y: jwk.y!,
      kid: OWN_KID,
      created_at: Math.floor(Date.now() / 1000) - 60,
      expired_at: null,
    };
    // The emulator for everything, plus the test's own key for OWN_KID.
    const plaid: PlaidClient = {
      ...emulatorPlaid,
      webhookVerificationKeyGet: async (request) => {
        keyFetches.push(request.key_id);
        return request.key_id === OWN_KID
          ? { key: ownPublic, request_id: 'test-own-key' }
          : emulatorPlaid.webhookVerificationKeyGet(request);
      },
    };

    jobs = recordingQueue();
    t = await buildTestApp(kind, {}, createLogger('silent'), { plaid, jobs: jobs.queue });
    db = t.database.handle.db;
    linking = createItemLinking({ db, plaid, cipher: t.app.services.cipher });
  });
  afterAll(async () => {
    await receiver?.close();
    await t?.close();
    await emulator?.close();
  });

  // ---- helpers -------------------------------------------------------------------------------------

  const post = (raw: Buffer | string, signature?: string) =>
    t.app.inject({
      method: 'POST',
      url: ROUTE,
      headers: {
        'content-type': 'application/json',
        ...(signature !== undefined ? { 'plaid-verification': signature } : {}),
      },
      payload: raw,
    });

  async function eventIds(): Promise<Set<string>> {
    const rows = await db.select({ id: webhookEvents.id }).from(webhookEvents);
    return new Set(rows.map((r) => r.id));
  }

  /** The events recorded since `before` was taken. */
  async function eventsSince(before: Set<string>) {
    const rows = await db.select().from(webhookEvents);
    return rows.filter((r) => !before.has(r.id));
  }

  async function eventRow(id: string) {
    const [row] = await db.select().from(webhookEvents).where(eq(webhookEvents.id, id));
    if (!row) throw new Error(`no webhook event ${id}`);
    return row;
  }

  async function itemRow(itemId: string) {
    const [row] = await db.select().from(plaidItems).where(eq(plaidItems.id, itemId));
    if (!row) throw new Error(`no item ${itemId}`);
    return row;
  }

  async function newUser(): Promise<string> {
    const [row] = await db
      .insert(users)
      .values({ email: `webhook-${randomUUID()}@example.com`, passwordHash: 'not-a-real-hash' })
      .returning({ id: users.id });
    return row!.id;
  }

  async function publicToken(webhook: string): Promise<string> {
    const created = await emulatorPlaid.sandboxPublicTokenCreate({
      institution_id: 'ins_109508',
      initial_products: [Products.Transactions, Products.Investments, Products.Liabilities],
      options: {
        webhook,
        override_username: 'user_good',
        override_password: 'pass_good',
        transactions: { days_requested: 30 },
      },
    });
    return created.public_token;
  }

  /** A user with one linked item whose webhooks go to the capturing receiver (optionally synced). */
  async function linkedItem(options: { sync?: boolean; webhook?: string } = {}) {
    const userId = await newUser();
    const linked = await linking.linkItem({
      userId,
      publicToken: await publicToken(options.webhook ?? `${receiver.url}/hooks`),
    });
    if (options.sync) {
      const result = await t.app.services.sync.syncItem(userId, linked.id, { trigger: 'link' });
      expect(result.status).toBe('succeeded');
    }
    return { userId, itemId: linked.id, plaidItemId: linked.plaidItemId };
  }

  async function accessTokenOf(plaidItemId: string): Promise<string> {
    const state = await control<{ items: { item_id: string; access_tokens: string[] }[] }>(
      'GET',
      '/__emulator/state',
    );
    const token = state.items.find((i) => i.item_id === plaidItemId)?.access_tokens[0];
    if (!token) throw new Error(`no access token for ${plaidItemId}`);
    return token;
  }

  /** Makes the emulator send a webhook and returns it as the receiver got it (raw bytes + header). */
  async function captured(
    plaidItemId: string,
    code: string,
    trigger: () => Promise<unknown>,
    type?: string,
  ): Promise<ReceivedWebhook> {
    const start = receiver.received.length;
    await trigger();
    const deadline = Date.now() + 5_000;
    for (;;) {
      const found = receiver.received
        .slice(start)
        .find(
          (w) =>
            w.body.item_id === plaidItemId &&
            w.body.webhook_code === code &&
            (type === undefined || w.body.webhook_type === type),
        );
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no ${type ?? ''}/${code} webhook for ${plaidItemId}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** An emulator item event (ERROR, LOGIN_REPAIRED, USER_PERMISSION_REVOKED, PENDING_*...), captured. */
  const itemEvent = (plaidItemId: string, event: string, code = event) =>
    captured(plaidItemId, code, () => control('POST', `/__emulator/items/${plaidItemId}/events`, { event }));

  /** /sandbox/item/fire_webhook, captured. */
  const fired = async (plaidItemId: string, type: string, code: string) => {
    const accessToken = await accessTokenOf(plaidItemId);
    return captured(
      plaidItemId,
      code,
      async () => {
        const response = await fetch(`${baseUrl}/sandbox/item/fire_webhook`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            client_id: CLIENT_ID,
            secret: SECRET,
            access_token: accessToken,
            webhook_type: type,
            webhook_code: code,
          }),
        });
        expect(response.status).toBe(200);
      },
      type,
    );
  };

  /** Posts a captured webhook; expects 200; returns the event id the route enqueued. */
  async function deliver(w: ReceivedWebhook): Promise<string> {
    const enqueued = jobs.webhooks.length;
    const res = await post(w.raw, w.signature);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ received: true, duplicate: false });
    expect(jobs.webhooks).toHaveLength(enqueued + 1);
    return jobs.webhooks[enqueued]!.webhookEventId;
  }

  const signOwn = (raw: Buffer | string, iat = Math.floor(Date.now() / 1000)) =>
    new SignJWT({ request_body_sha256: bodySha256Hex(raw) })
      .setProtectedHeader({ alg: 'ES256', kid: OWN_KID, typ: 'JWT' })
      .setIssuedAt(iat)
      .sign(ownKey);

  /** What the job worker does with a `plaid-webhook` job. */
  const runJob = (eventId: string) => t.app.services.webhooks.process(eventId);

  const syncsFor = (itemId: string) => jobs.syncs.filter((s) => s.itemId === itemId);

  // ---- verification --------------------------------------------------------------------------------

  describe('verification', () => {
    let valid: ReceivedWebhook;
    let item: Awaited<ReturnType<typeof linkedItem>>;

    beforeAll(async () => {
      item = await linkedItem();
      valid = await fired(item.plaidItemId, 'TRANSACTIONS', 'SYNC_UPDATES_AVAILABLE');
    });

    it('should accept a webhook the emulator signed, record it verified with its item, and enqueue it once', async () => {
      const before = await eventIds();
      const eventId = await deliver(valid);
      const [row] = await eventsSince(before);
      expect(row).toMatchObject({
        id: eventId,
        verification: 'verified',
        rejectionReason: null,
        webhookType: 'TRANSACTIONS',
        webhookCode: 'SYNC_UPDATES_AVAILABLE',
        plaidItemId: item.plaidItemId,
        itemId: item.itemId,
        bodySha256: bodySha256Hex(valid.raw),
        duplicateOf: null,
        processedAt: null,
      });
      expect(row?.body).toEqual(JSON.parse(valid.raw.toString('utf8')));
      expect(syncsFor(item.itemId)).toHaveLength(0); // the work happens in the job, not the request
    });

    it('should recognise the same body again as a duplicate while the first waits, and not enqueue it twice', async () => {
      const enqueued = jobs.webhooks.length;
      const before = await eventIds();
      const res = await post(valid.raw, valid.signature);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ received: true, duplicate: true });
      expect(jobs.webhooks).toHaveLength(enqueued);
      const [row] = await eventsSince(before);
      const original = jobs.webhooks.at(-1)!.webhookEventId;
      expect(row).toMatchObject({ verification: 'verified', duplicateOf: original });
      expect(row?.processedAt).not.toBeNull();
      // A Plaid retry re-signs the same body: a new header, still the same event.
      const resent = await fired(item.plaidItemId, 'TRANSACTIONS', 'SYNC_UPDATES_AVAILABLE');
      expect(resent.raw.equals(valid.raw)).toBe(true);
      expect((await post(resent.raw, resent.signature)).json()).toEqual({ received: true, duplicate: true });
      expect(jobs.webhooks).toHaveLength(enqueued);
      // One verifier for the app: the key was fetched once, then served from the cache by kid.
      expect(keyFetches.filter((kid) => kid === jwtHeader(valid.signature!).kid)).toHaveLength(1);
    });

    it('should treat the same body as a new notification once the first has been processed', async () => {
      const original = jobs.webhooks.at(-1)!.webhookEventId;
      expect((await runJob(original)).outcome).toBe('processed');
      const again = await fired(item.plaidItemId, 'TRANSACTIONS', 'SYNC_UPDATES_AVAILABLE');
      const eventId = await deliver(again);
      expect((await eventRow(eventId)).duplicateOf).toBeNull();
    });

    const forgeries: [string, string, () => Promise<{ raw: Buffer | string; signature?: string }>][] = [
      ['a missing Plaid-Verification header', 'missing_header', async () => ({ raw: valid.raw })],
      ['a header that is not a JWT', 'malformed', async () => ({ raw: valid.raw, signature: 'not-a-jwt' })],
      [
        'a JWT that does not decode',
        'malformed',
        async () => ({ raw: valid.raw, signature: '%%%.e30.c2ln' }),
      ],
      [
        'an altered body',
        'body_mismatch',
        async () => ({
          raw: Buffer.from(valid.raw.toString('utf8').replace('"sandbox"', '"production"')),
          signature: valid.signature!,
        }),
      ],
      [
        'the body re-serialised (not the bytes Plaid signed)',
        'body_mismatch',
        async () => ({
          raw: JSON.stringify(JSON.parse(valid.raw.toString('utf8'))),
          signature: valid.signature!,
        }),
      ],
      [
        'a signature by another key under the emulator’s kid',
        'bad_signature',
        async () => {
          const { privateKey } = await generateKeyPair('ES256');
          const signature = await new SignJWT({ request_body_sha256: bodySha256Hex(valid.raw) })
            .setProtectedHeader({ alg: 'ES256', kid: jwtHeader(valid.signature!).kid, typ: 'JWT' })
            .setIssuedAt()
            .sign(privateKey);
          return { raw: valid.raw, signature };
        },
      ],
      [
        'a tampered signature',
        'bad_signature',
        async () => {
          const [h, p, s] = valid.signature!.split('.') as [string, string, string];
          const bytes = Buffer.from(s, 'base64url');
          bytes[10] = bytes[10]! ^ 0xff;
          return { raw: valid.raw, signature: `${h}.${p}.${bytes.toString('base64url')}` };
        },
      ],
      [
        'an unknown kid',
        'unknown_key',
        async () => {
          const { privateKey } = await generateKeyPair('ES256');
          const signature = await new SignJWT({ request_body_sha256: bodySha256Hex(valid.raw) })
            .setProtectedHeader({ alg: 'ES256', kid: randomUUID(), typ: 'JWT' })
            .setIssuedAt()
            .sign(privateKey);
          return { raw: valid.raw, signature };
        },
      ],
      [
        'alg none',
        'bad_algorithm',
        async () => {
          const payload = valid.signature!.split('.')[1]!;
          return {
            raw: valid.raw,
            signature: handmade({ alg: 'none', kid: jwtHeader(valid.signature!).kid, typ: 'JWT' }, payload),
          };
        },
      ],
      [
        'alg HS256 (with a random secret)',
        'bad_algorithm',
        async () => ({
          raw: valid.raw,
          signature: await new SignJWT({ request_body_sha256: bodySha256Hex(valid.raw) })
            .setProtectedHeader({ alg: 'HS256', kid: jwtHeader(valid.signature!).kid, typ: 'JWT' })
            .setIssuedAt()
            .sign(await generateSecret('HS256')),
        }),
      ],
      [
        'alg HS256 keyed with the emulator’s public key (key confusion)',
        'bad_algorithm',
        async () => {
          const kid = jwtHeader(valid.signature!).kid;
          const { key } = await emulatorPlaid.webhookVerificationKeyGet({ key_id: kid });
          const signature = await new SignJWT({ request_body_sha256: bodySha256Hex(valid.raw) })
            .setProtectedHeader({ alg: 'HS256', kid, typ: 'JWT' })
            .setIssuedAt()
            .sign(new TextEncoder().encode(JSON.stringify(key)));
          return { raw: valid.raw, signature };
        },
      ],
    ];

    it.each(forgeries)(
      'should reject %s: 401, recorded as rejected (%s), nothing enqueued',
      async (_name, reason, forge) => {
        const { raw, signature } = await forge();
        const enqueued = { webhooks: jobs.webhooks.length, syncs: jobs.syncs.length };
        const before = await eventIds();
        const res = await post(raw, signature);
        expect(res.statusCode, res.body).toBe(401);
        expect(String(res.headers['content-type'])).toContain('application/problem+json');
        expect(res.json()).toMatchObject({ code: 'WEBHOOK_REJECTED', status: 401 });
        expect(res.json().detail).toContain(reason);
        const rows = await eventsSince(before);
        expect(rows).toHaveLength(1);
        expect(rows[0]).toMatchObject({
          verification: 'rejected',
          rejectionReason: reason,
          bodySha256: bodySha256Hex(raw),
          // nothing the unverified body claims is stored
          body: null,
          plaidItemId: null,
          itemId: null,
          webhookType: null,
        });
        expect(jobs.webhooks).toHaveLength(enqueued.webhooks);
        expect(jobs.syncs).toHaveLength(enqueued.syncs);
      },
    );

    it('should reject a webhook signed with a key that has expired since (rotation)', async () => {
      await control('POST', '/__emulator/webhook-keys/rotate');
      const signedBefore = await fired(item.plaidItemId, 'HOLDINGS', 'DEFAULT_UPDATE');
      await control('POST', '/__emulator/webhook-keys/rotate');
      const { key } = await emulatorPlaid.webhookVerificationKeyGet({
        key_id: jwtHeader(signedBefore.signature!).kid,
      });
      expect(key.expired_at).not.toBeNull();
      const enqueued = jobs.webhooks.length;
      const before = await eventIds();
      const res = await post(signedBefore.raw, signedBefore.signature);
      expect(res.statusCode).toBe(401);
      expect((await eventsSince(before))[0]).toMatchObject({
        verification: 'rejected',
        rejectionReason: 'expired_key',
      });
      expect(jobs.webhooks).toHaveLength(enqueued);
      // The new current key verifies.
      const after = await fired(item.plaidItemId, 'HOLDINGS', 'DEFAULT_UPDATE');
      await deliver(after);
    });

    it('should reject a webhook whose iat is more than 5 minutes old', async () => {
      wall.offsetMs = -6 * 60_000;
      let stale: ReceivedWebhook;
      try {
        stale = await fired(item.plaidItemId, 'INVESTMENTS_TRANSACTIONS', 'DEFAULT_UPDATE');
      } finally {
        wall.offsetMs = 0;
      }
      const enqueued = jobs.webhooks.length;
      const before = await eventIds();
      const res = await post(stale.raw, stale.signature);
      expect(res.statusCode).toBe(401);
      expect((await eventsSince(before))[0]).toMatchObject({
        verification: 'rejected',
        rejectionReason: 'stale',
      });
      expect(jobs.webhooks).toHaveLength(enqueued);
    });

    it('should answer 400 for a verified body that is not a Plaid webhook, and enqueue nothing', async () => {
      const enqueued = jobs.webhooks.length;
      for (const [raw, code] of [
        ['{"webhook_type": "ITEM",', 'MALFORMED_JSON'],
        ['[1, 2, 3]', 'VALIDATION_FAILED'],
        ['{"webhook_type": "ITEM", "item_id": "x"}', 'VALIDATION_FAILED'],
        // Valid JSON that PostgreSQL's jsonb cannot store (was a 500 on PostgreSQL).
        ['{"webhook_type": "ITEM", "webhook_code": "ERROR", "item_id": "a\\u0000b"}', 'MALFORMED_JSON'],
        ['{"webhook_type": "ITEM", "webhook_code": "ERROR", "item_id": "a\\ud800b"}', 'MALFORMED_JSON'],
      ] as const) {
        const before = await eventIds();
        const res = await post(raw, await signOwn(raw));
        expect(res.statusCode, raw).toBe(400);
        expect(res.json()).toMatchObject({ code, status: 400 });
        const [row] = await eventsSince(before);
        expect(row).toMatchObject({ verification: 'verified', rejectionReason: 'malformed_body' });
        expect(row?.processedAt).not.toBeNull();
      }
      expect(jobs.webhooks).toHaveLength(enqueued);
    });

    it('should refuse a body over the route’s limit with 413, and unsupported media types with 415', async () => {
      const big = JSON.stringify({ webhook_type: 'ITEM', webhook_code: 'X', pad: 'x'.repeat(70 * 1024) });
      const res = await post(big, await signOwn(big));
      expect(res.statusCode).toBe(413);
      expect(res.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
      expect(res.json().detail).toContain(String(64 * 1024));
      const text = await t.app.inject({
        method: 'POST',
        url: ROUTE,
        headers: { 'content-type': 'text/plain', 'plaid-verification': valid.signature! },
        payload: valid.raw,
      });
      expect(text.statusCode).toBe(415);
    });

    it('should be rate-limited, and keep the raw-body parser to itself (other routes parse JSON)', async () => {
      const res = await post(valid.raw);
      expect(res.headers['x-ratelimit-limit']).toBe('600');
      const login = await t.app.inject({
        method: 'POST',
        url: '/v1/auth/token',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ email: 'nobody@example.com', password: 'wrong password' }),
      });
      expect(login.json()).toMatchObject({ code: 'INVALID_CREDENTIALS' });
      const malformed = await t.app.inject({
        method: 'POST',
        url: '/v1/auth/token',
        headers: { 'content-type': 'application/json' },
        payload: '{"email":',
      });
      expect(malformed.json()).toMatchObject({ code: 'MALFORMED_JSON' });
    });
  });

  // ---- processing ----------------------------------------------------------------------------------

  describe('process', () => {
    it('should ask for a sync on SYNC_UPDATES_AVAILABLE, HOLDINGS and INVESTMENTS_TRANSACTIONS DEFAULT_UPDATE, once per event', async () => {
      const item = await linkedItem();
      for (const [type, code] of [
        ['TRANSACTIONS', 'SYNC_UPDATES_AVAILABLE'],
        ['HOLDINGS', 'DEFAULT_UPDATE'],
        ['INVESTMENTS_TRANSACTIONS', 'DEFAULT_UPDATE'],
      ] as const) {
        const eventId = await deliver(await fired(item.plaidItemId, type, code));
        const asked = jobs.syncs.length;
        expect(await runJob(eventId)).toEqual({ eventId, outcome: 'processed', action: 'sync_enqueued' });
        expect(jobs.syncs.slice(asked)).toEqual([
          { userId: item.userId, itemId: item.itemId, trigger: 'webhook' },
        ]);
        expect((await eventRow(eventId)).processedAt).not.toBeNull();
        // Idempotent: running the job again does nothing.
        expect(await runJob(eventId)).toMatchObject({ outcome: 'already_processed', action: null });
        expect(jobs.syncs).toHaveLength(asked + 1);
      }
    });

    it('should set login_required on ITEM ERROR ITEM_LOGIN_REQUIRED, as /item/get confirms, and stop asking for syncs', async () => {
      const item = await linkedItem();
      const eventId = await deliver(await itemEvent(item.plaidItemId, 'ERROR'));
      expect((await runJob(eventId)).action).toBe('item_health_updated');
      const row = await itemRow(item.itemId);
      expect(row.status).toBe('login_required');
      expect(row.lastError).toMatchObject({ source: 'item_get', errorCode: 'ITEM_LOGIN_REQUIRED' });

      const update = await deliver(await fired(item.plaidItemId, 'TRANSACTIONS', 'SYNC_UPDATES_AVAILABLE'));
      expect((await runJob(update)).action).toBe('sync_skipped');
      expect(syncsFor(item.itemId)).toHaveLength(0);
    });

    it('should wait for a sync that holds the item before deleting a revoked item’s data', async () => {
      const item = await linkedItem({ sync: true });
      const locks = createItemLocksRepository(db);
      expect(await locks.acquire(item.userId, item.itemId, 'a-syncing-worker', 30)).toBe(true);
      const eventId = await deliver(await itemEvent(item.plaidItemId, 'USER_PERMISSION_REVOKED'));
      // A webhook service built as the app builds it, whose log says when the revocation found the item held.
      let foundHeld!: () => void;
      const waits = new Promise<void>((resolve) => (foundHeld = resolve));
      const logger = createLogger(
        'info',
        new Writable({
          write(chunk: Buffer, _encoding, done) {
            if (chunk.toString().includes('revocation waits for the sync holding the item')) foundHeld();
            done();
          },
        }),
      );
      const webhooks = createWebhookService({
        db,
        plaid: emulatorPlaid,
        cipher: t.app.services.cipher,
        jobs: jobs.queue,
        materializers: t.app.services.materializers,
        logger,
      });
      const processing = webhooks.process(eventId);
      // It found the lock taken (or, were it to ignore the lock, finished first).
      await Promise.race([waits, processing]);
      // The sync still runs: nothing is deleted under it.
      expect((await itemRow(item.itemId)).status).toBe('good');
      await locks.release(item.itemId, 'a-syncing-worker');
      expect((await processing).action).toBe('item_revoked');
      expect((await itemRow(item.itemId)).status).toBe('revoked');
      const [left] = await db
        .select({ n: sql<number>`count(*)::int` })
        .from(accounts)
        .where(eq(accounts.itemId, item.itemId));
      expect(left!.n).toBe(0);
    });

    it('should fall back on the webhook’s own content when /item/get fails', async () => {
      const item = await linkedItem();
      const eventId = await deliver(await itemEvent(item.plaidItemId, 'ERROR'));
      await control('POST', '/__emulator/faults', {
        endpoint: '/item/get',
        error_code: 'INTERNAL_SERVER_ERROR',
        item_id: item.plaidItemId,
        count: 1,
      });
      expect((await runJob(eventId)).action).toBe('item_health_updated');
      const row = await itemRow(item.itemId);
      expect(row.status).toBe('login_required');
      expect(row.lastError).toMatchObject({ source: 'webhook', errorCode: 'ITEM_LOGIN_REQUIRED' });
    });

    it('should set good and ask for a sync on LOGIN_REPAIRED', async () => {
      const item = await linkedItem();
      await runJob(await deliver(await itemEvent(item.plaidItemId, 'ERROR')));
      expect((await itemRow(item.itemId)).status).toBe('login_required');

      const repaired = await deliver(await itemEvent(item.plaidItemId, 'LOGIN_REPAIRED'));
      expect((await runJob(repaired)).action).toBe('item_health_updated_sync_enqueued');
      const row = await itemRow(item.itemId);
      expect(row.status).toBe('good');
      expect(row.lastError).toBeNull();
      expect(syncsFor(item.itemId)).toEqual([
        { userId: item.userId, itemId: item.itemId, trigger: 'webhook' },
      ]);
    });

    it('should keep an item good when an ERROR arrives after LOGIN_REPAIRED and /item/get says healthy', async () => {
      const item = await linkedItem();
      const error = await deliver(await itemEvent(item.plaidItemId, 'ERROR'));
      const repaired = await deliver(await itemEvent(item.plaidItemId, 'LOGIN_REPAIRED'));
      // The worker runs them in the wrong order.
      await runJob(repaired);
      expect((await itemRow(item.itemId)).status).toBe('good');
      expect((await runJob(error)).action).toBe('item_health_updated');
      const row = await itemRow(item.itemId);
      expect(row.status).toBe('good');
      expect(row.lastError).toBeNull();
    });

    it('should set pending_expiration with the consent expiry on PENDING_EXPIRATION and PENDING_DISCONNECT', async () => {
      for (const code of ['PENDING_EXPIRATION', 'PENDING_DISCONNECT']) {
        const item = await linkedItem();
        const w = await itemEvent(item.plaidItemId, code);
        await runJob(await deliver(w));
        const row = await itemRow(item.itemId);
        expect(row.status, code).toBe('pending_expiration');
        const announced =
          code === 'PENDING_EXPIRATION' ? w.body.consent_expiration_time : w.body.disconnect_time;
        expect(row.consentExpiresAt?.toISOString()).toBe(new Date(String(announced)).toISOString());
        // A later NEW_ACCOUNTS_AVAILABLE (no date of its own) does not hide the pending expiry.
        await runJob(await deliver(await itemEvent(item.plaidItemId, 'NEW_ACCOUNTS_AVAILABLE')));
        expect((await itemRow(item.itemId)).status).toBe('pending_expiration');
        // LOGIN_REPAIRED: the owner went through update mode; /item/get shows nothing pending.
        await runJob(await deliver(await itemEvent(item.plaidItemId, 'LOGIN_REPAIRED')));
        expect((await itemRow(item.itemId)).status).toBe('good');
      }
    });

    it('should remember NEW_ACCOUNTS_AVAILABLE on the item', async () => {
      const item = await linkedItem();
      const eventId = await deliver(await itemEvent(item.plaidItemId, 'NEW_ACCOUNTS_AVAILABLE'));
      expect((await itemRow(item.itemId)).newAccountsAvailableAt).toBeNull();
      await runJob(eventId);
      const row = await itemRow(item.itemId);
      expect(row.newAccountsAvailableAt?.toISOString()).toBe(
        (await eventRow(eventId)).receivedAt.toISOString(),
      );
      expect(row.status).toBe('good');
      expect(syncsFor(item.itemId)).toHaveLength(0);
    });

    it('should revoke the item and delete its data on USER_PERMISSION_REVOKED, and ignore later webhooks for it', async () => {
      const item = await linkedItem({ sync: true });
      const count = async (table: typeof accounts | typeof transactions) =>
        (
          await db
            .select({ n: sql<number>`count(*)::int` })
            .from(table)
            .where(and(eq(table.userId, item.userId), eq(table.itemId, item.itemId)))
        )[0]!.n;
      expect(await count(accounts)).toBeGreaterThan(0);
      expect(await count(transactions)).toBeGreaterThan(0);
      const cashflowBefore = await db
        .select()
        .from(cashflowDaily)
        .where(eq(cashflowDaily.userId, item.userId));
      expect(cashflowBefore.length).toBeGreaterThan(0);
      // An update that was sent before the revocation but is processed after it.
      const lateUpdate = await deliver(
        await fired(item.plaidItemId, 'TRANSACTIONS', 'SYNC_UPDATES_AVAILABLE'),
      );

      const eventId = await deliver(await itemEvent(item.plaidItemId, 'USER_PERMISSION_REVOKED'));
      expect((await runJob(eventId)).action).toBe('item_revoked');
      const row = await itemRow(item.itemId);
      expect(row.status).toBe('revoked');
      expect(row.lastError).toMatchObject({ errorCode: 'USER_PERMISSION_REVOKED' });
      expect(row.transactionsCursor).toBeNull();
      expect(await count(accounts)).toBe(0);
      expect(await count(transactions)).toBe(0);
      // Analytics were refreshed without the item's data; the sync ledger stays.
      expect(await db.select().from(cashflowDaily).where(eq(cashflowDaily.userId, item.userId))).toEqual([]);
      expect(
        (await db.select().from(syncRuns).where(eq(syncRuns.itemId, item.itemId))).length,
      ).toBeGreaterThan(0);

      expect((await runJob(lateUpdate)).action).toBe('ignored_revoked_item');
      const error = await deliver(await itemEvent(item.plaidItemId, 'LOGIN_REPAIRED'));
      expect((await runJob(error)).action).toBe('ignored_revoked_item');
      expect((await itemRow(item.itemId)).status).toBe('revoked');
      expect(syncsFor(item.itemId)).toHaveLength(0);
    });

    it('should record, process and ignore webhooks it does not act on, and webhooks for unknown items', async () => {
      // A type we do not handle (signed with the test's own key: the emulator never sends it).
      const raw = JSON.stringify(
        { webhook_type: 'TRANSFER', webhook_code: 'TRANSFER_EVENTS_UPDATE', environment: 'sandbox' },
        null,
        2,
      );
      const enqueued = jobs.webhooks.length;
      const res = await post(raw, await signOwn(raw));
      expect(res.statusCode).toBe(200);
      const unhandled = jobs.webhooks[enqueued]!.webhookEventId;
      expect(await runJob(unhandled)).toMatchObject({ outcome: 'processed', action: 'ignored_unhandled' });
      expect((await eventRow(unhandled)).processedAt).not.toBeNull();

      // WEBHOOK_UPDATE_ACKNOWLEDGED is recorded, then ignored.
      const item = await linkedItem();
      const raw2 = JSON.stringify(
        {
          webhook_type: 'ITEM',
          webhook_code: 'WEBHOOK_UPDATE_ACKNOWLEDGED',
          item_id: item.plaidItemId,
          error: null,
        },
        null,
        2,
      );
      const res2 = await post(raw2, await signOwn(raw2));
      expect(res2.statusCode).toBe(200);
      expect(await runJob(jobs.webhooks.at(-1)!.webhookEventId)).toMatchObject({
        action: 'ignored_unhandled',
      });

      // An item Plaid knows but we do not (linked elsewhere): recorded without an item, no action.
      const exchanged = await emulatorPlaid.itemPublicTokenExchange({
        public_token: await publicToken(`${receiver.url}/hooks`),
      });
      const stranger = await deliver(
        await fired(exchanged.item_id, 'TRANSACTIONS', 'SYNC_UPDATES_AVAILABLE'),
      );
      expect((await eventRow(stranger)).itemId).toBeNull();
      expect(await runJob(stranger)).toMatchObject({ action: 'ignored_unknown_item' });

      expect(await runJob(randomUUID())).toMatchObject({ outcome: 'not_found' });
      expect(await runJob('not-a-uuid')).toMatchObject({ outcome: 'not_found' });
    });
  });

  // ---- end to end ----------------------------------------------------------------------------------

  describe('over HTTP', () => {
    it('should verify what the emulator delivers to the listening app, byte for byte', async () => {
      await t.app.listen({ host: '127.0.0.1', port: 0 });
      const appUrl = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}${ROUTE}`;
      const item = await linkedItem({ webhook: appUrl });
      const before = await eventIds();
      const accessToken = await accessTokenOf(item.plaidItemId);
      await fetch(`${baseUrl}/sandbox/item/fire_webhook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          client_id: CLIENT_ID,
          secret: SECRET,
          access_token: accessToken,
          webhook_code: 'LOGIN_REPAIRED',
        }),
      });
      let row: Awaited<ReturnType<typeof eventsSince>>[number] | undefined;
      for (let i = 0; i < 300 && !row; i++) {
        await new Promise((r) => setTimeout(r, 20));
        row = (await eventsSince(before)).find((r) => r.webhookCode === 'LOGIN_REPAIRED');
      }
      expect(row).toMatchObject({
        verification: 'verified',
        itemId: item.itemId,
        plaidItemId: item.plaidItemId,
      });
      const log = await control<{
        deliveries: { url: string; state: string; body: { webhook_code: string } }[];
      }>('GET', '/__emulator/webhooks');
      const delivery = log.deliveries.find(
        (d) => d.url === appUrl && d.body.webhook_code === 'LOGIN_REPAIRED',
      );
      expect(delivery?.state).toBe('delivered');
      expect(jobs.webhooks.map((j) => j.webhookEventId)).toContain(row!.id);
      // Every delivery to the app (the link's own webhooks too) verified.
      const all = await db
        .select()
        .from(webhookEvents)
        .where(
          and(eq(webhookEvents.plaidItemId, item.plaidItemId), notInArray(webhookEvents.id, [...before])),
        );
      expect(all.length).toBeGreaterThan(0);
      expect(all.every((r) => r.verification === 'verified')).toBe(true);
    });
  });
});
