import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { Products } from 'plaid';
import { expect } from 'vitest';
import type { JobQueue } from '../../src/domain/sync/queue.js';
import { buildEmulatorApp } from '../../src/emulator/index.js';
import { createPlaidClient, type PlaidClient } from '../../src/plaid/client.js';
import { bearer, newAccessToken, newUser } from '../factories/users.js';
import type { TestApp } from '../helpers/app.js';
import { emulatorControl } from '../helpers/emulator-control.js';

/**
 * Shared by the operations tests (backup/restore, export, deletion): the emulator over HTTP with the
 * official Plaid client, and a person linked through our exchange route and synced for real.
 */

export interface Emulator {
  app: FastifyInstance;
  url: string;
  control: ReturnType<typeof emulatorControl>;
  plaid: PlaidClient;
  close(): Promise<void>;
}

export async function startEmulator(clientId: string, secret: string): Promise<Emulator> {
  const app = await buildEmulatorApp({ clientId, secret, rateLimits: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const control = emulatorControl(url);
  await control('POST', '/__emulator/webhooks/drop', { enabled: true });
  const plaid = createPlaidClient({ basePath: url, clientId, secret, timeoutMs: 10_000 });
  return { app, url, control, plaid, close: () => app.close() };
}

/** A queue that accepts sync requests and runs nothing (the tests sync through the service). */
export const acceptingJobQueue: JobQueue = {
  enqueueSync: async (request) => ({ itemId: request.itemId, jobId: 'job', absorbed: false, runIds: [] }),
  async enqueueWebhook() {},
};

export interface LinkedPerson {
  userId: string;
  email: string;
  /** A personal access token with the write scope. */
  token: string;
  itemIds: string[];
  /** Plaid's access tokens of the person's items, in clear (from the emulator's state). */
  accessTokens: string[];
}

/** A person with a bank (and card, loans) and a brokerage at another institution, linked through the emulator and synced once. */
export async function linkPerson(t: TestApp, emulator: Emulator, label: string): Promise<LinkedPerson> {
  const email = `${label}-${randomUUID()}@example.com`;
  const { user } = await newUser(t.app, { email });
  const { token } = await newAccessToken(t.app, user.id, { scope: 'write' });
  const before = await emulator.control<{ items: { item_id: string }[] }>('GET', '/__emulator/state');
  const itemIds: string[] = [];
  for (const [institution, products] of [
    ['ins_109508', [Products.Transactions, Products.Liabilities]],
    ['ins_109509', [Products.Investments]],
  ] as const) {
    const { public_token } = await emulator.plaid.sandboxPublicTokenCreate({
      institution_id: institution,
      initial_products: [...products],
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
    const synced = await t.app.services.sync.syncItem(user.id, itemId, { trigger: 'link' });
    expect(synced.status, JSON.stringify(synced.products)).toBe('succeeded');
    itemIds.push(itemId);
  }
  const after = await emulator.control<{ items: { item_id: string; access_tokens: string[] }[] }>(
    'GET',
    '/__emulator/state',
  );
  const known = new Set(before.items.map((i) => i.item_id));
  const accessTokens = after.items.filter((i) => !known.has(i.item_id)).flatMap((i) => i.access_tokens);
  expect(accessTokens.length).toBeGreaterThanOrEqual(2);
  return { userId: user.id, email, token, itemIds, accessTokens };
}

/** Every page of a keyset-paged list endpoint, as served. */
export async function allPages(t: TestApp, token: string, path: string): Promise<unknown[]> {
  const pages: unknown[] = [];
  let cursor: string | null = null;
  do {
    const sep: string = path.includes('?') ? '&' : '?';
    const url: string = cursor ? `${path}${sep}cursor=${encodeURIComponent(cursor)}` : path;
    const res = await t.app.inject({ url, headers: bearer(token) });
    expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
    const body = res.json<{ next_cursor?: string | null }>();
    pages.push(body);
    cursor = body.next_cursor ?? null;
  } while (cursor);
  return pages;
}

/** A read answer without the moment it was computed (`as_of`), which differs between two reads. */
export function withoutAsOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutAsOf);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([key]) => key !== 'as_of')
        .map(([key, v]) => [key, withoutAsOf(v)]),
    );
  }
  return value;
}

/** The read answers a person gets: accounts, every transactions page, holdings, net worth, cash flow. */
export async function readAnswers(t: TestApp, token: string): Promise<Record<string, unknown>> {
  const get = async (url: string) => {
    const res = await t.app.inject({ url, headers: bearer(token) });
    expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
    return withoutAsOf(res.json());
  };
  return {
    accounts: await get('/v1/accounts'),
    transactions: withoutAsOf(await allPages(t, token, '/v1/transactions?limit=200')),
    investmentTransactions: withoutAsOf(await allPages(t, token, '/v1/investment-transactions?limit=200')),
    holdings: await get('/v1/holdings'),
    liabilities: await get('/v1/liabilities'),
    netWorth: await get('/v1/net-worth?interval=month'),
    netWorthDaily: await get('/v1/net-worth?interval=day'),
    cashflow: await get('/v1/cashflow/summary?interval=month'),
    items: await get('/v1/items'),
  };
}
