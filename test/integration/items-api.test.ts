/**
 * Linking and items over HTTP: the real app on PGlite and PostgreSQL, the Plaid emulator over HTTP (its
 * Link page included), and a recording job queue (the real queue has its own tests).
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { eq, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { selectRows } from '../../src/db/client.js';
import { plaidItems } from '../../src/db/schema/index.js';
import { buildEmulatorApp } from '../../src/emulator/index.js';
import type { JobQueue, SyncRequest } from '../../src/domain/sync/queue.js';
import { createPlaidClient, type PlaidClient } from '../../src/plaid/client.js';
import { bearer, newAccessToken, newUser } from '../factories/users.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { databaseKinds } from '../helpers/database.js';
import { emulatorControl } from '../helpers/emulator-control.js';

/** The browser test runs only where Debian's Chromium and playwright-core are both installed. */
const CHROMIUM = '/usr/bin/chromium';

/** The few playwright-core calls the browser test makes (it is not a dependency of the project). */
interface BrowserPage {
  goto(url: string): Promise<unknown>;
  fill(selector: string, value: string): Promise<void>;
  click(selector: string): Promise<void>;
  selectOption(selector: string, value: string): Promise<unknown>;
  waitForURL(url: (url: URL) => boolean, options?: { timeout?: number }): Promise<void>;
  waitForSelector(selector: string, options?: { timeout?: number }): Promise<unknown>;
  textContent(selector: string): Promise<string | null>;
  $$eval<T>(selector: string, fn: (elements: { textContent: string | null }[]) => T): Promise<T>;
  url(): string;
  on(event: 'pageerror', listener: (error: Error) => void): void;
}
interface Playwright {
  chromium: {
    launch(options: { executablePath: string; headless: boolean; args?: string[] }): Promise<{
      newPage(): Promise<BrowserPage>;
      close(): Promise<void>;
    }>;
  };
}

async function loadPlaywright(): Promise<Playwright | null> {
  if (!existsSync(CHROMIUM)) {
    // CI installs Debian's chromium (.ci/run): there, a missing browser is an error, never a skip.
    if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
    return null;
  }
  try {
    const name = 'playwright-core';
    return (await import(/* @vite-ignore */ name)) as Playwright;
  } catch {
    return null;
  }
}

const playwright = await loadPlaywright();

const CLIENT_ID = 'items-api-client';
const SECRET = 'items-api-secret-5e6f7a8b';

interface RecordingQueue extends JobQueue {
  calls: SyncRequest[];
  failing: boolean;
}

/** Records every sync request and answers with fresh run ids (or fails, when `failing`). */
function recordingQueue(): RecordingQueue {
  const queue: RecordingQueue = {
    calls: [],
    failing: false,
    async enqueueSync(request) {
      if (queue.failing) throw new Error('the queue is down');
      queue.calls.push(request);
      return {
        itemId: request.itemId,
        jobId: `job-${queue.calls.length}`,
        absorbed: false,
        runIds: [randomUUID(), randomUUID()],
      };
    },
    async enqueueWebhook() {},
  };
  return queue;
}

interface Problem {
  code: string;
  status: number;
  detail: string;
  errors?: { field: string; message: string }[];
}

interface ItemBody {
  id: string;
  institution: { id: string; name: string | null } | null;
  status: string;
  needs_update: boolean;
  products: string[];
  last_synced_at: string | null;
  last_successful_sync: Record<string, string | null>;
  consent_expires_at: string | null;
  new_accounts_available_at: string | null;
  last_error: { code: string; message: string | null; action: string | null } | null;
  accounts_count: number;
  stale: boolean;
}

interface LinkedBody {
  item: ItemBody;
  accounts: { id: string; item_id: string; name: string; mask: string | null }[];
  sync: { run_ids: string[]; absorbed: boolean } | null;
}

describe.each(databaseKinds())('items API on %s', (kind) => {
  let emulator: FastifyInstance;
  let emulatorUrl: string;
  let plaid: PlaidClient;
  let control: ReturnType<typeof emulatorControl>;
  let t: TestApp;
  const jobs = recordingQueue();
  /** Every Plaid call the app made, with its request. */
  const plaidCalls: { endpoint: string; request: Record<string, unknown> }[] = [];
  let alice: { id: string; token: string; readToken: string };
  let bob: { id: string; token: string };

  beforeAll(async () => {
    emulator = await buildEmulatorApp({ clientId: CLIENT_ID, secret: SECRET, rateLimits: false });
    await emulator.listen({ host: '127.0.0.1', port: 0 });
    emulatorUrl = `http://127.0.0.1:${(emulator.server.address() as AddressInfo).port}`;
    control = emulatorControl(emulatorUrl);
    // Webhooks go to PUBLIC_URL, where nothing listens in this test.
    await control('POST', '/__emulator/webhooks/drop', { enabled: true });
    plaid = createPlaidClient({
      basePath: emulatorUrl,
      clientId: CLIENT_ID,
      secret: SECRET,
      timeoutMs: 10_000,
    });
    const recorded = new Proxy(plaid, {
      get(target, prop, receiver) {
        const value: unknown = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          plaidCalls.push({ endpoint: String(prop), request: args[0] as Record<string, unknown> });
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    t = await buildTestApp(kind, { PUBLIC_URL: 'https://finance.example.com' }, undefined, {
      plaid: recorded,
      jobs,
    });
    const a = (await newUser(t.app)).user;
    alice = {
      id: a.id,
      token: (await newAccessToken(t.app, a.id, { scope: 'write' })).token,
      readToken: (await newAccessToken(t.app, a.id, { scope: 'read' })).token,
    };
    const b = (await newUser(t.app)).user;
    bob = { id: b.id, token: (await newAccessToken(t.app, b.id, { scope: 'write' })).token };
  });
  afterAll(async () => {
    await t?.close();
    await emulator?.close();
  });
  beforeEach(async () => {
    jobs.calls.length = 0;
    jobs.failing = false;
    plaidCalls.length = 0;
    await control('DELETE', '/__emulator/faults');
  });

  const db = () => t.database.handle.db;
  const inject = (token: string, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) =>
    t.app.inject({
      method,
      url,
      headers: bearer(token),
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });

  function expectProblem(
    res: { statusCode: number; headers: Record<string, unknown>; body: string; json: () => unknown },
    status: number,
    code: string,
    field?: string,
  ): Problem {
    expect(res.statusCode, res.body).toBe(status);
    expect(String(res.headers['content-type'])).toContain('application/problem+json');
    const body = res.json() as Problem;
    expect(body.code).toBe(code);
    if (field) expect(body.errors?.map((e) => e.field)).toContain(field);
    return body;
  }

  /** What a browser does: a link token from us, then the emulator's Link page hands back a public token. */
  async function publicTokenThroughLink(
    token: string,
    options: { itemId?: string; institutionId?: string; username?: string } = {},
  ): Promise<string> {
    const res = await inject(
      token,
      'POST',
      '/v1/plaid/link-token',
      options.itemId ? { item_id: options.itemId } : {},
    );
    expect(res.statusCode, res.body).toBe(200);
    const session = await fetch(`${emulatorUrl}/link/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        link_token: res.json<{ link_token: string }>().link_token,
        institution_id: options.institutionId ?? 'ins_109508',
        username: options.username ?? 'user_good',
        password: 'pass_good',
      }),
    });
    const body = (await session.json()) as { public_token: string };
    expect(session.status, JSON.stringify(body)).toBe(200);
    return body.public_token;
  }

  async function link(token: string, institutionId: string): Promise<LinkedBody> {
    const publicToken = await publicTokenThroughLink(token, { institutionId });
    const res = await inject(token, 'POST', '/v1/plaid/item/public-token/exchange', {
      public_token: publicToken,
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<LinkedBody>();
  }

  async function accessTokenOf(itemId: string): Promise<string> {
    const [row] = await db().select().from(plaidItems).where(eq(plaidItems.id, itemId));
    if (!row) throw new Error('no item row');
    return t.app.services.cipher.decrypt(
      { ciphertext: row.accessTokenCiphertext, keyId: row.accessTokenKeyId },
      row.id,
    );
  }

  async function plaidItemIdOf(itemId: string): Promise<string> {
    const [row] = await db().select().from(plaidItems).where(eq(plaidItems.id, itemId));
    if (!row) throw new Error('no item row');
    return row.plaidItemId;
  }

  const getItem = async (token: string, itemId: string) => {
    const res = await inject(token, 'GET', `/v1/items/${itemId}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ as_of: string; data: ItemBody }>().data;
  };

  describe('link tokens', () => {
    it('asks Plaid for transactions (required), investments and liabilities (optional), 730 days and our webhook', async () => {
      const res = await inject(alice.token, 'POST', '/v1/plaid/link-token');
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json<{ link_token: string; expiration: string; mode: string }>();
      expect(body.mode).toBe('create');
      expect(body.link_token).toMatch(/^link-sandbox-/);
      expect(Date.parse(body.expiration)).toBeGreaterThan(Date.now());

      const call = plaidCalls.find((c) => c.endpoint === 'linkTokenCreate');
      expect(call?.request).toMatchObject({
        products: ['transactions'],
        optional_products: ['investments', 'liabilities'],
        transactions: { days_requested: 730 },
        webhook: 'https://finance.example.com/v1/sync/plaid/webhook',
      });
      // Our user id and nothing personal.
      expect(call?.request.user).toEqual({ client_user_id: alice.id });
      expect(call?.request).not.toHaveProperty('access_token');

      // What the emulator received.
      const record = emulator.emulator.store.linkToken(body.link_token);
      expect(record.products).toEqual(['transactions']);
      expect(record.optionalProducts).toEqual(['investments', 'liabilities']);
      expect(record.webhook).toBe('https://finance.example.com/v1/sync/plaid/webhook');
      expect(record.daysRequested).toBe(730);
      expect(record.itemId).toBeNull();

      // An empty JSON body is the same request.
      expect((await inject(alice.token, 'POST', '/v1/plaid/link-token', {})).statusCode).toBe(200);
    });

    it('needs a token with the write scope', async () => {
      expectProblem(
        await inject(alice.readToken, 'POST', '/v1/plaid/link-token', {}),
        403,
        'INSUFFICIENT_SCOPE',
      );
      const anonymous = await t.app.inject({ method: 'POST', url: '/v1/plaid/link-token' });
      expectProblem(anonymous, 401, 'UNAUTHENTICATED');
    });

    it('rejects a bad item id and unknown fields, naming the field', async () => {
      expectProblem(
        await inject(alice.token, 'POST', '/v1/plaid/link-token', { item_id: 'not-a-uuid' }),
        400,
        'VALIDATION_FAILED',
        'body.item_id',
      );
      expectProblem(
        await inject(alice.token, 'POST', '/v1/plaid/link-token', { products: ['auth'] }),
        400,
        'VALIDATION_FAILED',
        'body.products',
      );
    });

    it('answers 502 with Retry-After, not 500, when Plaid fails', async () => {
      await control('POST', '/__emulator/faults', {
        endpoint: '/link/token/create',
        error_code: 'INTERNAL_SERVER_ERROR',
      });
      const res = await inject(alice.token, 'POST', '/v1/plaid/link-token', {});
      expectProblem(res, 502, 'PLAID_UNAVAILABLE');
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    });
  });

  describe('exchange', () => {
    it('links an item through Link: item and accounts back, no access token anywhere, first sync enqueued', async () => {
      const publicToken = await publicTokenThroughLink(alice.token, { institutionId: 'ins_109510' });
      const res = await inject(alice.token, 'POST', '/v1/plaid/item/public-token/exchange', {
        public_token: publicToken,
      });
      expect(res.statusCode, res.body).toBe(201);
      const body = res.json<LinkedBody>();
      expect(body.item.institution?.id).toBe('ins_109510');
      expect(body.item.status).toBe('good');
      expect(body.item.products).toEqual(expect.arrayContaining(['transactions']));
      expect(body.accounts.length).toBeGreaterThan(0);
      expect(body.item.accounts_count).toBe(body.accounts.length);
      for (const account of body.accounts) expect(account.item_id).toBe(body.item.id);

      expect(jobs.calls).toEqual([{ userId: alice.id, itemId: body.item.id, trigger: 'link' }]);
      expect(body.sync?.run_ids).toHaveLength(2);
      expect(body.sync?.absorbed).toBe(false);

      const accessToken = await accessTokenOf(body.item.id);
      expect(accessToken).toMatch(/^access-sandbox-/);
      expect(res.body).not.toContain(accessToken);
      expect(res.body).not.toMatch(/access-sandbox-|ciphertext|access_token/i);
      expect(res.body).not.toContain(publicToken);
    });

    it('answers 409 ITEM_ALREADY_LINKED for the same login twice, without enqueueing', async () => {
      await link(alice.token, 'ins_109511');
      jobs.calls.length = 0;
      const again = await publicTokenThroughLink(alice.token, { institutionId: 'ins_109511' });
      const res = await inject(alice.token, 'POST', '/v1/plaid/item/public-token/exchange', {
        public_token: again,
      });
      expectProblem(res, 409, 'ITEM_ALREADY_LINKED');
      expect(jobs.calls).toEqual([]);
    });

    it('answers 400 INVALID_PUBLIC_TOKEN naming body.public_token for unknown or reused tokens', async () => {
      for (const token of ['public-sandbox-00000000-0000-4000-8000-000000000000', 'garbage']) {
        expectProblem(
          await inject(alice.token, 'POST', '/v1/plaid/item/public-token/exchange', { public_token: token }),
          400,
          'INVALID_PUBLIC_TOKEN',
          'body.public_token',
        );
      }
      const publicToken = await publicTokenThroughLink(bob.token, { institutionId: 'ins_109508' });
      const first = await inject(bob.token, 'POST', '/v1/plaid/item/public-token/exchange', {
        public_token: publicToken,
      });
      expect(first.statusCode).toBe(201);
      expectProblem(
        await inject(bob.token, 'POST', '/v1/plaid/item/public-token/exchange', {
          public_token: publicToken,
        }),
        400,
        'INVALID_PUBLIC_TOKEN',
        'body.public_token',
      );
    });

    it('rejects a missing, empty or mistyped public_token and unknown fields, naming the field', async () => {
      const url = '/v1/plaid/item/public-token/exchange';
      expectProblem(
        await inject(alice.token, 'POST', url, {}),
        400,
        'VALIDATION_FAILED',
        'body.public_token',
      );
      expectProblem(
        await inject(alice.token, 'POST', url, { public_token: '' }),
        400,
        'VALIDATION_FAILED',
        'body.public_token',
      );
      expectProblem(
        await inject(alice.token, 'POST', url, { public_token: 42 }),
        400,
        'VALIDATION_FAILED',
        'body.public_token',
      );
      expectProblem(
        await inject(alice.token, 'POST', url, { public_token: 'public-sandbox-x', user_id: bob.id }),
        400,
        'VALIDATION_FAILED',
        'body.user_id',
      );
      expectProblem(
        await inject(alice.readToken, 'POST', url, { public_token: 'x' }),
        403,
        'INSUFFICIENT_SCOPE',
      );
    });

    it('answers 502 when Plaid is down, and 503 with nothing linked when the queue is down', async () => {
      const publicToken = await publicTokenThroughLink(alice.token, { institutionId: 'ins_130016' });
      await control('POST', '/__emulator/faults', {
        endpoint: '/item/public_token/exchange',
        error_code: 'INTERNAL_SERVER_ERROR',
      });
      const down = await inject(alice.token, 'POST', '/v1/plaid/item/public-token/exchange', {
        public_token: publicToken,
      });
      expectProblem(down, 502, 'PLAID_UNAVAILABLE');

      const before = await inject(alice.token, 'GET', '/v1/items');
      jobs.failing = true;
      const res = await inject(alice.token, 'POST', '/v1/plaid/item/public-token/exchange', {
        public_token: publicToken,
      });
      jobs.failing = false;
      // The item and its first sync commit together: no item is stored without its sync, and the item
      // exchanged at Plaid is removed there again.
      expectProblem(res, 503, 'JOB_QUEUE_UNAVAILABLE');
      expect(res.headers['retry-after']).toBe('5');
      const ids = (r: { json(): unknown }) => (r.json() as { data: { id: string }[] }).data.map((i) => i.id);
      expect(ids(await inject(alice.token, 'GET', '/v1/items'))).toEqual(ids(before));
      const state = await control<{ items: { institution_id: string; removed: boolean }[] }>(
        'GET',
        '/__emulator/state',
      );
      expect(state.items.filter((i) => i.institution_id === 'ins_130016' && !i.removed)).toEqual([]);
      // Linking again (a new Link session) works once the queue is back.
      const again = await inject(alice.token, 'POST', '/v1/plaid/item/public-token/exchange', {
        public_token: await publicTokenThroughLink(alice.token, { institutionId: 'ins_130016' }),
      });
      expect(again.statusCode, again.body).toBe(201);
      expect(again.json<LinkedBody>().sync).not.toBeNull();
    });
  });

  describe('item health', () => {
    it('lists my items with health, per-product last successful sync, staleness and last error', async () => {
      const { item } = await link(alice.token, 'ins_109509');
      let view = await getItem(alice.token, item.id);
      expect(view).toMatchObject({
        status: 'good',
        needs_update: false,
        stale: true, // never synced
        last_synced_at: null,
        last_error: null,
        new_accounts_available_at: null,
        institution: { id: 'ins_109509' },
      });
      expect(Object.values(view.last_successful_sync)).toEqual([null, null, null, null, null]);

      const synced = await t.app.services.sync.syncItem(alice.id, item.id, { trigger: 'link' });
      expect(synced.status).toBe('succeeded');
      view = await getItem(alice.token, item.id);
      expect(view.stale).toBe(false);
      expect(view.last_synced_at).not.toBeNull();
      expect(view.last_successful_sync.accounts).not.toBeNull();
      expect(view.last_successful_sync.transactions).not.toBeNull();
      expect(Date.parse(view.last_successful_sync.transactions!)).toBeLessThanOrEqual(Date.now());

      // The login breaks at the bank; the next sync records it.
      await control('POST', `/__emulator/items/${await plaidItemIdOf(item.id)}/events`, {
        event: 'ITEM_LOGIN_REQUIRED',
      });
      await t.app.services.sync.syncItem(alice.id, item.id, { trigger: 'schedule' });
      view = await getItem(alice.token, item.id);
      expect(view).toMatchObject({ status: 'login_required', needs_update: true, stale: true });
      expect(view.last_error).toMatchObject({ code: 'ITEM_LOGIN_REQUIRED', action: 'needs_user' });
      expect(Object.keys(view.last_error!).sort()).toEqual(['action', 'code', 'message']);
      // The earlier successes are still reported.
      expect(view.last_successful_sync.transactions).not.toBeNull();

      const list = await inject(alice.readToken, 'GET', '/v1/items');
      expect(list.statusCode).toBe(200);
      const listed = list.json<{ as_of: string; data: ItemBody[] }>();
      expect(Date.parse(listed.as_of)).not.toBeNaN();
      expect(listed.data.find((i) => i.id === item.id)).toMatchObject({ status: 'login_required' });
      expect(listed.data.every((i) => typeof i.accounts_count === 'number')).toBe(true);
      expect(list.body).not.toMatch(/access-sandbox-|ciphertext|cursor/i);

      // Bob sees none of Alice's items.
      const bobs = (await inject(bob.token, 'GET', '/v1/items')).json<{ data: ItemBody[] }>().data;
      expect(bobs.map((i) => i.id)).not.toContain(item.id);
    });

    it('answers 400 naming path.id for a bad id, and 404 for a missing one', async () => {
      expectProblem(
        await inject(alice.token, 'GET', '/v1/items/not-a-uuid'),
        400,
        'VALIDATION_FAILED',
        'path.id',
      );
      expectProblem(
        await inject(alice.token, 'DELETE', '/v1/items/123'),
        400,
        'VALIDATION_FAILED',
        'path.id',
      );
      expectProblem(await inject(alice.token, 'GET', `/v1/items/${randomUUID()}`), 404, 'NOT_FOUND');
    });
  });

  describe('update mode', () => {
    it('repairs an item whose login needs its owner: update-mode token, Link, then /repaired', async () => {
      const { item } = await link(alice.token, 'ins_127287');
      const plaidItemId = await plaidItemIdOf(item.id);
      await control('POST', `/__emulator/items/${plaidItemId}/events`, { event: 'ITEM_LOGIN_REQUIRED' });
      await t.app.services.sync.syncItem(alice.id, item.id, { trigger: 'schedule' });
      expect((await getItem(alice.token, item.id)).status).toBe('login_required');

      // Before the owner goes through Link, Plaid still reports the error.
      expectProblem(
        await inject(alice.token, 'POST', `/v1/items/${item.id}/repaired`),
        409,
        'ITEM_STILL_NEEDS_UPDATE',
      );

      plaidCalls.length = 0;
      const res = await inject(alice.token, 'POST', '/v1/plaid/link-token', { item_id: item.id });
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json<{ link_token: string; mode: string }>();
      expect(body.mode).toBe('update');
      const call = plaidCalls.find((c) => c.endpoint === 'linkTokenCreate');
      expect(call?.request.access_token).toBe(await accessTokenOf(item.id));
      expect(call?.request).not.toHaveProperty('products');
      expect(call?.request).not.toHaveProperty('optional_products');
      expect(call?.request.user).toEqual({ client_user_id: alice.id });
      expect(emulator.emulator.store.linkToken(body.link_token).itemId).toBe(plaidItemId);
      expect(res.body).not.toContain(String(call?.request.access_token));

      // The owner logs in again in Link (update mode); Plaid needs no exchange.
      const session = await fetch(`${emulatorUrl}/link/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          link_token: body.link_token,
          institution_id: 'ins_127287',
          username: 'user_good',
          password: 'pass_good',
        }),
      });
      expect(session.status).toBe(200);

      jobs.calls.length = 0;
      const repaired = await inject(alice.token, 'POST', `/v1/items/${item.id}/repaired`);
      expect(repaired.statusCode, repaired.body).toBe(200);
      const answer = repaired.json<{ data: ItemBody; sync: { run_ids: string[] } | null }>();
      expect(answer.data).toMatchObject({
        id: item.id,
        status: 'good',
        needs_update: false,
        last_error: null,
      });
      expect(answer.sync?.run_ids.length).toBeGreaterThan(0);
      expect(jobs.calls).toEqual([{ userId: alice.id, itemId: item.id, trigger: 'manual' }]);
      expect((await t.app.services.sync.syncItem(alice.id, item.id, { trigger: 'manual' })).status).toBe(
        'succeeded',
      );
    });

    it('refuses update mode for an item in good health (409), unless accounts are to be added', async () => {
      const { item } = await link(bob.token, 'ins_109509');
      const refused = expectProblem(
        await inject(bob.token, 'POST', '/v1/plaid/link-token', { item_id: item.id }),
        409,
        'ITEM_UPDATE_NOT_NEEDED',
      );
      expect(refused.detail).toContain(item.id);

      plaidCalls.length = 0;
      const selection = await inject(bob.token, 'POST', '/v1/plaid/link-token', {
        item_id: item.id,
        account_selection: true,
      });
      expect(selection.statusCode, selection.body).toBe(200);
      expect(plaidCalls.find((c) => c.endpoint === 'linkTokenCreate')?.request.update).toEqual({
        account_selection_enabled: true,
      });

      // Plaid announced new accounts (the webhook handler records it): update mode is offered.
      await db()
        .update(plaidItems)
        .set({ newAccountsAvailableAt: new Date() })
        .where(eq(plaidItems.id, item.id));
      expect((await getItem(bob.token, item.id)).needs_update).toBe(true);
      plaidCalls.length = 0;
      const offered = await inject(bob.token, 'POST', '/v1/plaid/link-token', { item_id: item.id });
      expect(offered.statusCode, offered.body).toBe(200);
      expect(plaidCalls.find((c) => c.endpoint === 'linkTokenCreate')?.request.update).toEqual({
        account_selection_enabled: true,
      });
      const repaired = await inject(bob.token, 'POST', `/v1/items/${item.id}/repaired`);
      expect(repaired.statusCode, repaired.body).toBe(200);
      expect(repaired.json<{ data: ItemBody }>().data).toMatchObject({
        new_accounts_available_at: null,
        needs_update: false,
      });
    });

    it('refuses update mode for a revoked or broken item: link it again', async () => {
      const { item } = await link(bob.token, 'ins_109510');
      for (const status of ['revoked', 'error'] as const) {
        await db().update(plaidItems).set({ status }).where(eq(plaidItems.id, item.id));
        expectProblem(
          await inject(bob.token, 'POST', '/v1/plaid/link-token', { item_id: item.id }),
          409,
          'ITEM_NOT_REPAIRABLE',
        );
      }
      // An item in `error` that Plaid now reports healthy can be put back (it would stay blocked otherwise).
      const recovered = await inject(bob.token, 'POST', `/v1/items/${item.id}/repaired`);
      expect(recovered.statusCode, recovered.body).toBe(200);
      expect(recovered.json<{ data: ItemBody }>().data.status).toBe('good');

      await db().update(plaidItems).set({ status: 'revoked' }).where(eq(plaidItems.id, item.id));
      expectProblem(
        await inject(bob.token, 'POST', `/v1/items/${item.id}/repaired`),
        409,
        'ITEM_NOT_REPAIRABLE',
      );
      // An item whose token Plaid no longer accepts cannot be put back either.
      await plaid.itemRemove({ access_token: await accessTokenOf(item.id) });
      await db().update(plaidItems).set({ status: 'error' }).where(eq(plaidItems.id, item.id));
      expectProblem(
        await inject(bob.token, 'POST', `/v1/items/${item.id}/repaired`),
        409,
        'ITEM_NOT_REPAIRABLE',
      );
    });
  });

  describe("another user's item", () => {
    it('is answered exactly like a missing one on every route', async () => {
      const { item } = await link(bob.token, 'ins_109511');
      await db().update(plaidItems).set({ status: 'login_required' }).where(eq(plaidItems.id, item.id));
      const missing = randomUUID();
      const attempts: ['GET' | 'POST' | 'DELETE', (id: string) => string, unknown][] = [
        ['GET', (id) => `/v1/items/${id}`, undefined],
        ['DELETE', (id) => `/v1/items/${id}`, undefined],
        ['POST', (id) => `/v1/items/${id}/repaired`, undefined],
        ['POST', () => '/v1/plaid/link-token', null],
      ];
      for (const [method, url, payload] of attempts) {
        const body = (id: string) => (payload === null ? { item_id: id } : undefined);
        const foreign = await inject(alice.token, method, url(item.id), body(item.id));
        const none = await inject(alice.token, method, url(missing), body(missing));
        expectProblem(foreign, 404, 'NOT_FOUND');
        expectProblem(none, 404, 'NOT_FOUND');
        expect(foreign.json<Problem>().detail.replace(item.id, 'ID')).toBe(
          none.json<Problem>().detail.replace(missing, 'ID'),
        );
      }
      // Bob's item is untouched, and still alive at Plaid.
      expect((await getItem(bob.token, item.id)).status).toBe('login_required');
      await expect(plaid.itemGet({ access_token: await accessTokenOf(item.id) })).resolves.toBeTruthy();
    });
  });

  describe('deletion', () => {
    /** Every table of ours with an item_id or account_id column. */
    async function referencingColumns() {
      return selectRows<{ table_name: string; column_name: string }>(
        db(),
        sql`select table_name, column_name from information_schema.columns
            where table_schema = 'public' and column_name in ('item_id', 'account_id')
            order by table_name, column_name`,
      );
    }

    async function countReferences(itemId: string, accountIds: string[]) {
      const counts: Record<string, number> = {};
      for (const { table_name: table, column_name: column } of await referencingColumns()) {
        const ids = column === 'item_id' ? [itemId] : accountIds;
        if (ids.length === 0) continue;
        const [row] = await selectRows<{ n: number }>(
          db(),
          sql`select count(*)::int as n from ${sql.identifier(table)}
              where ${sql.identifier(column)}::text in (${sql.join(
                ids.map((id) => sql`${id}`),
                sql`, `,
              )})`,
        );
        counts[`${table}.${column}`] = row?.n ?? -1;
      }
      return counts;
    }

    /** The user's rows in the tables that do not name an item: analytics, and transfer pairs. */
    async function userAnalytics(userId: string) {
      return {
        netWorth: await selectRows(
          db(),
          sql`select currency, date::text, assets::text, liabilities::text, net_worth::text, estimated
              from net_worth_daily where user_id = ${userId} order by currency, date`,
        ),
        cashflowDaily: await selectRows(
          db(),
          sql`select date::text, currency, kind, category, detailed, merchant, pending, total::text,
                     inflow::text, count
              from cashflow_daily where user_id = ${userId}
              order by date, currency, kind, category, detailed, merchant, pending`,
        ),
        cashflowMonthly: await selectRows(
          db(),
          sql`select month::text, currency, kind, category, detailed, merchant, pending, total::text,
                     inflow::text, count
              from cashflow_monthly where user_id = ${userId}
              order by month, currency, kind, category, detailed, merchant, pending`,
        ),
        transfers: await selectRows(
          db(),
          sql`select id, transfer_kind, transfer_pair_id from transactions
              where user_id = ${userId} order by id`,
        ),
      };
    }

    it('removes the item at Plaid, deletes every row that came from it, and recomputes analytics', async () => {
      const carol = (await newUser(t.app)).user;
      const carolToken = (await newAccessToken(t.app, carol.id)).token;
      const kept = await link(carolToken, 'ins_109508');
      await t.app.services.sync.syncItem(carol.id, kept.item.id, { trigger: 'link' });
      const before = await userAnalytics(carol.id);
      expect(before.netWorth.length).toBeGreaterThan(0);
      expect(before.cashflowDaily.length).toBeGreaterThan(0);

      const doomed = await link(carolToken, 'ins_109509');
      await t.app.services.sync.syncItem(carol.id, doomed.item.id, { trigger: 'link' });
      const accountIds = doomed.accounts.map((a) => a.id);
      const accessToken = await accessTokenOf(doomed.item.id);
      const during = await countReferences(doomed.item.id, accountIds);
      // The check below is meaningful: these tables did hold the item's rows.
      for (const table of [
        'accounts.item_id',
        'transactions.item_id',
        'sync_runs.item_id',
        'plaid_payloads.item_id',
      ]) {
        expect(during[table], table).toBeGreaterThan(0);
      }
      expect(during['balance_snapshots.account_id']).toBeGreaterThan(0);
      expect(during['holdings.account_id']).toBeGreaterThan(0);
      expect(during['liabilities.account_id']).toBeGreaterThan(0);
      expect(await userAnalytics(carol.id)).not.toEqual(before);

      const res = await inject(carolToken, 'DELETE', `/v1/items/${doomed.item.id}`);
      expect(res.statusCode, res.body).toBe(204);
      expect(res.body).toBe('');

      const after = await countReferences(doomed.item.id, accountIds);
      expect(Object.keys(after).length).toBeGreaterThanOrEqual(10);
      for (const [table, n] of Object.entries(after)) expect(n, table).toBe(0);
      // Net worth, cash flow and transfer pairs are as if the item had never been linked.
      expect(await userAnalytics(carol.id)).toEqual(before);
      // Gone at Plaid too.
      await expect(plaid.itemGet({ access_token: accessToken })).rejects.toMatchObject({
        errorCode: 'ITEM_NOT_FOUND',
      });
      expectProblem(await inject(carolToken, 'GET', `/v1/items/${doomed.item.id}`), 404, 'NOT_FOUND');
      expectProblem(await inject(carolToken, 'DELETE', `/v1/items/${doomed.item.id}`), 404, 'NOT_FOUND');
      // The other item is untouched.
      expect((await getItem(carolToken, kept.item.id)).accounts_count).toBe(kept.accounts.length);
    });

    it('deletes nothing and answers 502 when Plaid cannot remove the item; retrying works', async () => {
      const { item } = await link(alice.token, 'ins_43');
      for (const error_code of ['INTERNAL_SERVER_ERROR', 'RATE_LIMIT_EXCEEDED', 'INVALID_API_KEYS']) {
        await control('POST', '/__emulator/faults', { endpoint: '/item/remove', error_code });
        const res = await inject(alice.token, 'DELETE', `/v1/items/${item.id}`);
        const expected = error_code === 'INVALID_API_KEYS' ? 'PLAID_REQUEST_FAILED' : 'PLAID_UNAVAILABLE';
        const problem = expectProblem(res, 502, expected);
        expect(problem.detail).toContain(error_code);
        expect((await getItem(alice.token, item.id)).accounts_count).toBeGreaterThan(0);
      }
      expect((await inject(alice.token, 'DELETE', `/v1/items/${item.id}`)).statusCode).toBe(204);
    });

    it('deletes an item that Plaid no longer knows', async () => {
      const { item } = await link(alice.token, 'ins_116834');
      await plaid.itemRemove({ access_token: await accessTokenOf(item.id) });
      const res = await inject(alice.token, 'DELETE', `/v1/items/${item.id}`);
      expect(res.statusCode, res.body).toBe(204);
      expectProblem(await inject(alice.token, 'GET', `/v1/items/${item.id}`), 404, 'NOT_FOUND');
    });

    it('needs the write scope', async () => {
      expectProblem(
        await inject(alice.readToken, 'DELETE', `/v1/items/${randomUUID()}`),
        403,
        'INSUFFICIENT_SCOPE',
      );
    });
  });

  describe('the /link page', () => {
    it('serves HTML and its script with the right content types, under the CSP, with no inline script', async () => {
      const page = await t.app.inject({ url: '/link' });
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      const csp = String(page.headers['content-security-policy']);
      expect(csp).toContain("script-src 'self'");
      expect(page.headers['x-content-type-options']).toBe('nosniff');
      // Every executable script is external (the JSON data block is never executed).
      const scripts = [...page.body.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
      expect(scripts.length).toBe(2);
      for (const [, attributes, content] of scripts) {
        if (attributes!.includes('src=')) expect(content).toBe('');
        else expect(attributes).toContain('type="application/json"');
      }
      expect(page.body).toContain('src="/link/app.js"');
      // In emulator mode the page knows where the emulator's Link is (the Plaid client's basePath).
      expect(page.body).toContain(`"url":"${emulatorUrl}"`);

      const script = await t.app.inject({ url: '/link/app.js' });
      expect(script.statusCode).toBe(200);
      expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect(script.body).toContain('/v1/plaid/link-token');
      expect(script.body).toContain('/v1/plaid/item/public-token/exchange');
      expect(() => new Function(script.body)).not.toThrow(); // it parses
    });
  });

  describe.skipIf(!playwright)('the /link page in Chromium', () => {
    it('links an institution through the emulated Link, then repairs it in update mode', async () => {
      const apiUrl = await t.app.listen({ host: '127.0.0.1', port: 0 });
      const browser = await playwright!.chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      });
      try {
        const page = await browser.newPage();
        const pageErrors: Error[] = [];
        page.on('pageerror', (error) => pageErrors.push(error));

        await page.goto(`${apiUrl}/link`);
        await page.fill('#api-token', alice.token);
        await page.click('#save-token');
        await page.click('#connect');
        await page.waitForURL((url) => url.origin === emulatorUrl, { timeout: 10_000 });
        await page.selectOption('#institution', 'ins_109508');
        await page.click('#submit');
        await page.waitForSelector('#accounts li', { timeout: 15_000 });
        expect(await page.textContent('#status')).toMatch(/^Linked \d+ account/);
        expect(page.url()).toBe(`${apiUrl}/link`); // the public token is not left in the address
        const accounts = await page.$$eval('#accounts li', (items) => items.map((li) => li.textContent));
        expect(accounts.length).toBeGreaterThan(0);
        const linked = jobs.calls.find((c) => c.trigger === 'link');
        expect(linked?.userId).toBe(alice.id);

        // The login breaks; /link?item_id= runs update mode and tells the API it is repaired.
        const itemId = linked!.itemId;
        await control('POST', `/__emulator/items/${await plaidItemIdOf(itemId)}/events`, {
          event: 'ITEM_LOGIN_REQUIRED',
        });
        await t.app.services.sync.syncItem(alice.id, itemId, { trigger: 'schedule' });
        expect((await getItem(alice.token, itemId)).status).toBe('login_required');
        await page.goto(`${apiUrl}/link?item_id=${itemId}`);
        await page.click('#connect');
        await page.waitForURL((url) => url.origin === emulatorUrl, { timeout: 10_000 });
        await page.click('#submit');
        await page.waitForSelector('#result:not([hidden])', { timeout: 15_000 });
        // The result shows while the page still tells the API (status "Checking the connection…").
        await expect
          .poll(() => page.textContent('#status'), { timeout: 15_000 })
          .toBe('The connection is repaired.');
        expect((await getItem(alice.token, itemId)).status).toBe('good');
        expect(pageErrors).toEqual([]);
      } finally {
        await browser.close();
      }
    }, 90_000);
  });

  describe('OpenAPI', () => {
    it('documents the linking and item routes with examples, and hides the page', async () => {
      const doc = (await t.app.inject({ url: '/openapi.json' })).json<{
        paths: Record<string, Record<string, { operationId: string; security?: unknown }>>;
        components: { schemas: Record<string, { example?: unknown }> };
      }>();
      expect(doc.paths['/v1/plaid/link-token']?.post?.operationId).toBe('createLinkToken');
      expect(doc.paths['/v1/plaid/item/public-token/exchange']?.post?.operationId).toBe(
        'exchangePublicToken',
      );
      expect(doc.paths['/v1/items']?.get?.operationId).toBe('listItems');
      expect(doc.paths['/v1/items/{id}']?.get?.operationId).toBe('getItem');
      expect(doc.paths['/v1/items/{id}']?.delete?.operationId).toBe('deleteItem');
      expect(doc.paths['/v1/items/{id}/repaired']?.post?.operationId).toBe('markItemRepaired');
      expect(doc.components.schemas.Item?.example).toBeTruthy();
      expect(doc.components.schemas.LinkToken?.example).toBeTruthy();
      expect(doc.paths['/link']).toBeUndefined();
      expect(doc.paths['/link/app.js']).toBeUndefined();
    });
  });
});
