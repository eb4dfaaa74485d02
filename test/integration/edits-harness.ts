/**
 * Shared set-up of the owner-edits and rules tests: the app on a real database, an item linked through
 * the emulator with the official Plaid client (our Link exchange, a real sync), a second person, and a
 * Plaid adapter that can make the next /transactions/sync also report a live transaction as removed, or
 * a removed one as added again (the emulator never re-adds an id; Plaid may).
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { Products, type Transaction } from 'plaid';
import { expect } from 'vitest';
import { selectRows } from '../../src/db/client.js';
import type { JobQueue } from '../../src/domain/sync/queue.js';
import { buildEmulatorApp, type GroundTruth } from '../../src/emulator/index.js';
import { createLogger } from '../../src/lib/logger.js';
import { createPlaidClient, type PlaidClient } from '../../src/plaid/client.js';
import { bearer, newAccessToken, newUser } from '../factories/users.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import type { DatabaseKind } from '../helpers/database.js';
import { emulatorControl } from '../helpers/emulator-control.js';
import { units } from '../helpers/ground-truth-figures.js';

const CLIENT_ID = 'edits-test-client';
const SECRET = 'edits-test-secret-1a2b3c4d';

export type Problem = { code: string; status: number; detail: string; errors?: { field: string }[] };

/** A transaction as the API shows it (the fields these tests look at). */
export interface ApiTransaction {
  id: string;
  account_id: string;
  date: string;
  name: string;
  merchant_name: string | null;
  amount: string;
  currency: string;
  pending: boolean;
  category: { primary: string | null; user_override: string | null };
  transfer_kind: string | null;
  note: string | null;
  tags: string[];
  excluded: boolean;
  excluded_reason: string | null;
  merchant_name_override: string | null;
  version: number;
}

export interface EditsHarness {
  t: TestApp;
  emulator: FastifyInstance;
  control: ReturnType<typeof emulatorControl>;
  owner: { userId: string; token: string; readToken: string; itemId: string; plaidItemId: string };
  other: { userId: string; token: string };
  /** What the next /transactions/sync page also says: these ids removed, these transactions added. */
  fakes: { removeNext: string[]; addNext: Transaction[] };
  /** The latest Plaid object seen for each transaction id (to add one again). */
  seen: Map<string, Transaction>;
  truth(): Promise<GroundTruth>;
  sync(): Promise<void>;
  /** Our id of a Plaid transaction id (undefined when we do not hold it). */
  ourId(plaidTransactionId: string): Promise<string | undefined>;
  plaidIdOf(ourId: string): Promise<string>;
  request<T>(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    options?: { token?: string; body?: unknown; headers?: Record<string, string>; status?: number },
  ): Promise<{ body: T; headers: Record<string, unknown> }>;
  transaction(id: string, token?: string): Promise<{ data: ApiTransaction; etag: string }>;
  allTransactions(token?: string): Promise<ApiTransaction[]>;
  close(): Promise<void>;
}

/** Plaid's amount (positive = money out) in our sign, exact ten-thousandths. */
export const ourUnits = (t: Transaction) => -units(t.amount);

export async function startEditsHarness(kind: DatabaseKind): Promise<EditsHarness> {
  const emulator = await buildEmulatorApp({ clientId: CLIENT_ID, secret: SECRET, rateLimits: false });
  await emulator.listen({ host: '127.0.0.1', port: 0 });
  const emulatorUrl = `http://127.0.0.1:${(emulator.server.address() as AddressInfo).port}`;
  const control = emulatorControl(emulatorUrl);
  await control('POST', '/__emulator/webhooks/drop', { enabled: true });
  const real = createPlaidClient({
    basePath: emulatorUrl,
    clientId: CLIENT_ID,
    secret: SECRET,
    timeoutMs: 10_000,
  });
  const fakes: EditsHarness['fakes'] = { removeNext: [], addNext: [] };
  const seen = new Map<string, Transaction>();
  const plaid: PlaidClient = {
    ...real,
    async transactionsSync(request) {
      const page = await real.transactionsSync(request);
      for (const t of [...page.added, ...page.modified]) seen.set(t.transaction_id, t);
      if (fakes.removeNext.length === 0 && fakes.addNext.length === 0) return page;
      const removed = new Set(fakes.removeNext);
      const faked = {
        ...page,
        added: [...page.added.filter((t) => !removed.has(t.transaction_id)), ...fakes.addNext],
        modified: page.modified.filter((t) => !removed.has(t.transaction_id)),
        removed: [
          ...page.removed,
          ...fakes.removeNext.map((id) => ({
            transaction_id: id,
            account_id: seen.get(id)?.account_id ?? '',
          })),
        ],
      };
      fakes.removeNext = [];
      fakes.addNext = [];
      return faked;
    },
  };
  const jobs: JobQueue = {
    enqueueSync: async (request) => ({ itemId: request.itemId, jobId: 'job', absorbed: false, runIds: [] }),
    async enqueueWebhook() {},
  };
  const t = await buildTestApp(kind, { READ_CACHE_SECONDS: '3600' }, createLogger('error'), { plaid, jobs });

  const { user } = await newUser(t.app, { email: `owner-${randomUUID()}@example.com` });
  const { token } = await newAccessToken(t.app, user.id, { scope: 'write' });
  const readToken = (await newAccessToken(t.app, user.id, { scope: 'read' })).token;
  const { public_token } = await real.sandboxPublicTokenCreate({
    institution_id: 'ins_109508',
    initial_products: [Products.Transactions],
    options: { override_username: 'user_good', override_password: 'pass_good' },
  });
  const exchanged = await t.app.inject({
    method: 'POST',
    url: '/v1/plaid/item/public-token/exchange',
    headers: bearer(token),
    payload: { public_token },
  });
  expect(exchanged.statusCode, exchanged.body).toBe(201);
  const itemId = exchanged.json<{ item: { id: string } }>().item.id;
  const state = await control<{ items: { item_id: string; removed: boolean }[] }>('GET', '/__emulator/state');
  const plaidItemId = state.items.find((i) => !i.removed)!.item_id;
  const owner = { userId: user.id, token, readToken, itemId, plaidItemId };
  const second = await newUser(t.app, { email: `other-${randomUUID()}@example.com` });
  const other = {
    userId: second.user.id,
    token: (await newAccessToken(t.app, second.user.id, { scope: 'write' })).token,
  };

  const db = t.database.handle.db;
  const harness: EditsHarness = {
    t,
    emulator,
    control,
    owner,
    other,
    fakes,
    seen,
    truth: () => control<GroundTruth>('GET', `/__emulator/items/${plaidItemId}/ground-truth`),
    async sync() {
      const result = await t.app.services.sync.syncItem(owner.userId, owner.itemId, { trigger: 'manual' });
      expect(result.status, JSON.stringify(result.products)).toBe('succeeded');
    },
    async ourId(plaidTransactionId) {
      const [row] = await selectRows<{ id: string }>(
        db,
        sql`select id from transactions where user_id = ${owner.userId} and plaid_transaction_id = ${plaidTransactionId}`,
      );
      return row?.id;
    },
    async plaidIdOf(ourId) {
      const [row] = await selectRows<{ plaid: string }>(
        db,
        sql`select plaid_transaction_id as plaid from transactions where user_id = ${owner.userId} and id = ${ourId}::uuid`,
      );
      return row!.plaid;
    },
    async request(method, url, options = {}) {
      const res = await t.app.inject({
        method,
        url,
        headers: { ...bearer(options.token ?? owner.token), ...(options.headers ?? {}) },
        ...(options.body === undefined ? {} : { payload: options.body as object }),
      });
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(options.status ?? 200);
      if (res.statusCode >= 400) {
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      }
      return { body: (res.body === '' ? undefined : res.json()) as never, headers: res.headers };
    },
    async transaction(id, token) {
      const { body, headers } = await harness.request<{ data: ApiTransaction }>(
        'GET',
        `/v1/transactions/${id}`,
        {
          token: token ?? owner.token,
        },
      );
      return { data: body.data, etag: String(headers.etag) };
    },
    async allTransactions(token) {
      const all: ApiTransaction[] = [];
      let cursor: string | null = null;
      do {
        const url: string = `/v1/transactions?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const { body } = await harness.request<{ data: ApiTransaction[]; next_cursor: string | null }>(
          'GET',
          url,
          {
            token: token ?? owner.token,
          },
        );
        all.push(...body.data);
        cursor = body.next_cursor;
      } while (cursor);
      return all;
    },
    async close() {
      await t?.close();
      await emulator?.close();
    },
  };
  await harness.sync();
  return harness;
}
