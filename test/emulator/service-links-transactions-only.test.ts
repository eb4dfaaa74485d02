/**
 * Our service links an institution that offers transactions only, end to end: our link token (transactions
 * required, investments and liabilities optional) → the emulator's Link session → our exchange → a sync.
 * The real app on PGlite and PostgreSQL; the emulator over HTTP, its clock set to the fixture's last day.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEmulatorApp, loadFixture, type GroundTruth } from '../../src/emulator/index.js';
import type { JobQueue, SyncRequest } from '../../src/domain/sync/queue.js';
import { createPlaidClient } from '../../src/plaid/client.js';
import { bearer, newAccessToken, newUser } from '../factories/users.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { databaseKinds } from '../helpers/database.js';
import { emulatorControl } from '../helpers/emulator-control.js';
import { expectedAccounts, expectedTransactions, ourAccounts, ourTransactions } from '../sync/support.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/past-credit-union.json', import.meta.url));
const CLIENT_ID = 'tx-only-client';
const SECRET = 'tx-only-secret-1a2b3c4d';

describe.each(databaseKinds())('our service links an institution with transactions only (%s)', (kind) => {
  let emulator: FastifyInstance;
  let emulatorUrl: string;
  let t: TestApp;
  const requested: SyncRequest[] = [];
  /** Records the sync the exchange asks for; the test runs it itself. */
  const jobs: JobQueue = {
    async enqueueSync(request) {
      requested.push(request);
      return { itemId: request.itemId, jobId: `job-${requested.length}`, absorbed: false, runIds: [] };
    },
    async enqueueWebhook() {},
  };

  beforeAll(async () => {
    emulator = await buildEmulatorApp({
      clientId: CLIENT_ID,
      secret: SECRET,
      rateLimits: false,
      fixture: await loadFixture(FIXTURE),
      today: '2024-06-30',
    });
    await emulator.listen({ host: '127.0.0.1', port: 0 });
    emulatorUrl = `http://127.0.0.1:${(emulator.server.address() as AddressInfo).port}`;
    // Webhooks go to PUBLIC_URL, where nothing listens in this test.
    await emulatorControl(emulatorUrl)('POST', '/__emulator/webhooks/drop', { enabled: true });
    const plaid = createPlaidClient({
      basePath: emulatorUrl,
      clientId: CLIENT_ID,
      secret: SECRET,
      timeoutMs: 10_000,
    });
    t = await buildTestApp(kind, { PUBLIC_URL: 'https://finance.example.com' }, undefined, { plaid, jobs });
  });
  afterAll(async () => {
    await t?.close();
    await emulator?.close();
  });

  it('links through Link with optional investments and liabilities, and syncs its transactions', async () => {
    const { user } = await newUser(t.app, { email: `grace-${randomUUID()}@example.com` });
    const { token } = await newAccessToken(t.app, user.id, { scope: 'write' });
    const linkToken = await t.app.inject({
      method: 'POST',
      url: '/v1/plaid/link-token',
      headers: bearer(token),
      payload: {},
    });
    expect(linkToken.statusCode, linkToken.body).toBe(200);

    const session = await fetch(`${emulatorUrl}/link/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        link_token: linkToken.json<{ link_token: string }>().link_token,
        institution_id: 'ins_fixture_tx_only',
        username: 'grace@example.com',
        password: 'hopper-1906',
      }),
    });
    const sessionBody = (await session.json()) as { public_token: string };
    expect(session.status, JSON.stringify(sessionBody)).toBe(200);

    const exchanged = await t.app.inject({
      method: 'POST',
      url: '/v1/plaid/item/public-token/exchange',
      headers: bearer(token),
      payload: { public_token: sessionBody.public_token },
    });
    expect(exchanged.statusCode, exchanged.body).toBe(201);
    const { item } = exchanged.json<{
      item: { id: string; institution: { id: string }; products: string[] };
    }>();
    expect(item.institution.id).toBe('ins_fixture_tx_only');
    expect(item.products).toEqual(['transactions']);
    expect(requested).toEqual([
      expect.objectContaining({ userId: user.id, itemId: item.id, trigger: 'link' }),
    ]);

    const result = await t.app.services.sync.syncItem(user.id, item.id, { trigger: 'link' });
    expect(result.products.find((p) => p.product === 'transactions')?.status).toBe('succeeded');
    const truth = await emulatorControl(emulatorUrl)<GroundTruth>(
      'GET',
      '/__emulator/items/item_grace_cu/ground-truth',
    );
    expect(truth.transactions).toHaveLength(5);
    expect(await ourTransactions(t.database.handle.db, user.id, item.id)).toEqual(
      expectedTransactions(truth),
    );
    expect(await ourAccounts(t.database.handle.db, user.id, item.id)).toEqual(expectedAccounts(truth));
  });
});
