/**
 * The adapter against the offline emulator over a real socket: every client function, and injected
 * errors arriving as PlaidApiError without the secret anywhere in them.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { CountryCode, Products } from 'plaid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEmulatorApp } from '../../src/emulator/index.js';
import { createPlaidClient, type PlaidClient } from '../../src/plaid/client.js';
import { classifyPlaidError, PlaidApiError } from '../../src/plaid/errors.js';
import { mapAccount, mapTransaction } from '../../src/plaid/mappers.js';
import { createWebhookVerifier } from '../../src/plaid/webhook-verification.js';

const CLIENT_ID = 'adapter-test-client';
const SECRET = 'adapter-test-secret-5b3f9c2e71d04a8e';

let app: FastifyInstance;
let baseUrl: string;
let plaid: PlaidClient;
let accessToken: string;
let itemId: string;

async function control(path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path} → ${response.status} ${await response.text()}`);
  return response.json();
}

async function failure(call: Promise<unknown>): Promise<PlaidApiError> {
  try {
    await call;
  } catch (error) {
    return error as PlaidApiError;
  }
  throw new Error('expected the Plaid call to fail');
}

function expectNoSecret(error: unknown): void {
  expect(error).toBeInstanceOf(PlaidApiError);
  const plaidError = error as PlaidApiError;
  const everything = [
    JSON.stringify(plaidError),
    JSON.stringify(Object.getOwnPropertyDescriptors(plaidError)),
    String(plaidError),
    plaidError.stack ?? '',
  ].join('\n');
  expect(everything).not.toContain(SECRET);
  expect(plaidError).not.toHaveProperty('config');
  expect(plaidError).not.toHaveProperty('response');
  expect(plaidError).not.toHaveProperty('request');
  expect(plaidError.cause).toBeUndefined();
}

beforeAll(async () => {
  app = await buildEmulatorApp({
    clientId: CLIENT_ID,
    secret: SECRET,
    now: new Date('2025-03-14T12:00:00Z'),
    rateLimits: false,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  plaid = createPlaidClient({ basePath: baseUrl, clientId: CLIENT_ID, secret: SECRET, timeoutMs: 5000 });

  const created = await plaid.sandboxPublicTokenCreate({
    institution_id: 'ins_109508',
    initial_products: [Products.Transactions, Products.Investments, Products.Liabilities],
    options: { override_username: 'user_good', override_password: 'pass_good' },
  });
  expect(created.public_token).toMatch(/^public-/);
  expect(created.request_id).toEqual(expect.any(String));
  const exchanged = await plaid.itemPublicTokenExchange({ public_token: created.public_token });
  accessToken = exchanged.access_token;
  itemId = exchanged.item_id;
});

afterAll(async () => {
  await app?.close();
});

describe('Plaid client against the emulator', () => {
  it('should create a link token', async () => {
    const response = await plaid.linkTokenCreate({
      client_name: 'Finance API',
      language: 'en',
      country_codes: [CountryCode.Us],
      user: { client_user_id: 'user-1' },
      products: [Products.Transactions],
    });
    expect(response.link_token).toMatch(/^link-/);
    expect(response.request_id).toEqual(expect.any(String));
  });

  it('should read the item and its institution', async () => {
    const { item, request_id } = await plaid.itemGet({ access_token: accessToken });
    expect(item.item_id).toBe(itemId);
    expect(request_id).toEqual(expect.any(String));
    const { institution } = await plaid.institutionsGetById({
      institution_id: item.institution_id ?? 'ins_109508',
      country_codes: [CountryCode.Us],
    });
    expect(institution.institution_id).toBe(item.institution_id ?? 'ins_109508');
  });

  it('should read accounts and transactions that the mappers accept', async () => {
    const { accounts } = await plaid.accountsGet({ access_token: accessToken });
    expect(accounts.length).toBeGreaterThan(0);
    const ids = new Map(accounts.map((account) => [account.account_id, `uuid-${account.account_id}`]));
    for (const account of accounts) {
      const row = mapAccount(account, { userId: 'u', itemId: 'i' });
      if (
        account.balances.current !== null &&
        ['credit', 'loan'].includes(account.type) &&
        account.balances.current > 0
      ) {
        expect(row.currentBalance).toMatch(/^-/);
      }
    }

    const sync = await plaid.transactionsSync({ access_token: accessToken, count: 500 });
    expect(sync.next_cursor).toEqual(expect.any(String));
    expect(sync.added.length).toBeGreaterThan(0);
    for (const transaction of sync.added) {
      const row = mapTransaction(transaction, { userId: 'u', itemId: 'i', accountIds: ids });
      expect(row.amount).toMatch(/^-?\d+\.\d{4}$/);
    }
  });

  it('should read investments and liabilities', async () => {
    const holdings = await plaid.investmentsHoldingsGet({ access_token: accessToken });
    expect(Array.isArray(holdings.holdings)).toBe(true);
    const investmentTransactions = await plaid.investmentsTransactionsGet({
      access_token: accessToken,
      start_date: '2024-01-01',
      end_date: '2025-03-14',
    });
    expect(investmentTransactions.total_investment_transactions).toEqual(expect.any(Number));
    const liabilities = await plaid.liabilitiesGet({ access_token: accessToken });
    expect(liabilities.liabilities).toBeDefined();
  });

  it('should fetch the webhook verification key in a form jose accepts', async () => {
    const { key_id } = (await control('/__emulator/webhook-keys/rotate')) as { key_id: string };
    const { key } = await plaid.webhookVerificationKeyGet({ key_id });
    expect(key).toMatchObject({ alg: 'ES256', kid: key_id, expired_at: null });
    const verifier = createWebhookVerifier({
      fetchKey: async (kid) => (await plaid.webhookVerificationKeyGet({ key_id: kid })).key,
    });
    // Unsigned garbage with that kid still needs the key fetched and the signature checked.
    const header = Buffer.from(JSON.stringify({ alg: 'ES256', kid: key_id })).toString('base64url');
    expect(await verifier.verify(`${header}.e30.c2ln`, '{}')).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('should turn an injected ITEM_LOGIN_REQUIRED into a PlaidApiError without the secret', async () => {
    await control('/__emulator/faults', {
      endpoint: '/transactions/sync',
      error_code: 'ITEM_LOGIN_REQUIRED',
    });
    const error = await failure(plaid.transactionsSync({ access_token: accessToken }));
    expectNoSecret(error);
    expect(error).toMatchObject({
      status: 400,
      errorType: 'ITEM_ERROR',
      errorCode: 'ITEM_LOGIN_REQUIRED',
      endpoint: '/transactions/sync',
      requestId: expect.any(String),
    });
    expect(classifyPlaidError(error)).toEqual({ action: 'needs_user', itemStatus: 'login_required' });
  });

  it('should turn an injected 500 and a 429 into retryable errors', async () => {
    await control('/__emulator/faults', { endpoint: '/accounts/get', error_code: 'INTERNAL_SERVER_ERROR' });
    const serverError = await failure(plaid.accountsGet({ access_token: accessToken }));
    expectNoSecret(serverError);
    expect(serverError.status).toBe(500);
    expect(classifyPlaidError(serverError).action).toBe('retry');

    await control('/__emulator/faults', { endpoint: '/item/get', error_code: 'ITEM_GET_LIMIT' });
    const rateLimited = await failure(plaid.itemGet({ access_token: accessToken }));
    expectNoSecret(rateLimited);
    expect(rateLimited.status).toBe(429);
    expect(classifyPlaidError(rateLimited).action).toBe('retry');
  });

  it('should report bad credentials without echoing them', async () => {
    const wrong = createPlaidClient({
      basePath: baseUrl,
      clientId: CLIENT_ID,
      secret: `${SECRET}-wrong`,
      timeoutMs: 5000,
    });
    const error = await failure(wrong.itemGet({ access_token: accessToken }));
    expectNoSecret(error);
    expect(JSON.stringify(error)).not.toContain(`${SECRET}-wrong`);
    expect(error.errorCode).toBe('INVALID_API_KEYS');
    expect(classifyPlaidError(error).action).toBe('fatal');
  });

  it('should remove the item, after which it is gone', async () => {
    const removed = await plaid.itemRemove({ access_token: accessToken });
    expect(removed.request_id).toEqual(expect.any(String));
    const error = await failure(plaid.itemGet({ access_token: accessToken }));
    expectNoSecret(error);
    expect(['ITEM_NOT_FOUND', 'INVALID_ACCESS_TOKEN']).toContain(error.errorCode);
  });
});
