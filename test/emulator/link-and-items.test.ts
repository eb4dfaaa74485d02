import { CountryCode, Products } from 'plaid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plaidClient, plaidFailure, startEmulator } from './support/harness.js';
import type { Harness } from './support/harness.js';
import { expectPlaidShape } from './support/shape-matchers.js';

let h: Harness;

beforeAll(async () => {
  h = await startEmulator();
});
afterAll(async () => {
  await h.close();
});

describe('link tokens and public tokens', () => {
  it('creates a link token of Plaid’s shape, expiring in four hours', async () => {
    const res = await h.plaid.linkTokenCreate({
      client_name: 'Finance API',
      language: 'en',
      country_codes: [CountryCode.Us],
      user: { client_user_id: 'user-1' },
      products: [Products.Transactions],
      optional_products: [Products.Investments],
      transactions: { days_requested: 730 },
    });
    expectPlaidShape(res.data, 'LinkTokenCreateResponse');
    expect(res.data.link_token).toMatch(/^link-sandbox-[0-9a-f-]{36}$/);
    expect(res.data.request_id).toMatch(/^[A-Za-z0-9]{15}$/);
    const hours = (Date.parse(res.data.expiration) - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(3.9);
    expect(hours).toBeLessThanOrEqual(4);
  });

  it('should refuse a link token without products outside update mode', async () => {
    const { status, error } = await plaidFailure(
      h.plaid.linkTokenCreate({
        client_name: 'x',
        language: 'en',
        country_codes: [CountryCode.Us],
        user: { client_user_id: 'u' },
      }),
    );
    expect(status).toBe(400);
    expect(error.error_code).toBe('MISSING_FIELDS');
  });

  it('should refuse balance as a product and a client_name over 30 characters', async () => {
    const balance = await plaidFailure(
      h.plaid.linkTokenCreate({
        client_name: 'x',
        language: 'en',
        country_codes: [CountryCode.Us],
        user: { client_user_id: 'u' },
        products: [Products.Balance],
      }),
    );
    expect(balance.error.error_code).toBe('INVALID_FIELD');
    const long = await plaidFailure(
      h.plaid.linkTokenCreate({
        client_name: 'x'.repeat(31),
        language: 'en',
        country_codes: [CountryCode.Us],
        user: { client_user_id: 'u' },
        products: [Products.Transactions],
      }),
    );
    expect(long.error.error_code).toBe('INVALID_FIELD');
  });

  it('exchanges a public token once and refuses the second exchange', async () => {
    const created = await h.plaid.sandboxPublicTokenCreate({
      institution_id: 'ins_109508',
      initial_products: [Products.Transactions],
    });
    expectPlaidShape(created.data, 'SandboxPublicTokenCreateResponse');
    expect(created.data.public_token).toMatch(/^public-sandbox-/);
    const exchanged = await h.plaid.itemPublicTokenExchange({ public_token: created.data.public_token });
    expectPlaidShape(exchanged.data, 'ItemPublicTokenExchangeResponse');
    expect(exchanged.data.access_token).toMatch(/^access-sandbox-/);
    const again = await plaidFailure(
      h.plaid.itemPublicTokenExchange({ public_token: created.data.public_token }),
    );
    expect(again).toMatchObject({
      status: 400,
      error: { error_type: 'INVALID_INPUT', error_code: 'INVALID_PUBLIC_TOKEN' },
    });
    expect(again.error.request_id).toMatch(/^[A-Za-z0-9]{15}$/);
  });

  it('should refuse unknown and foreign public tokens', async () => {
    for (const token of [
      'public-sandbox-00000000-0000-0000-0000-000000000000',
      'public-production-abc',
      'nonsense',
    ]) {
      const { error } = await plaidFailure(h.plaid.itemPublicTokenExchange({ public_token: token }));
      expect(error.error_code).toBe('INVALID_PUBLIC_TOKEN');
    }
  });

  it('links Sandbox users and fails error_<CODE> passwords with that code', async () => {
    const bad = await plaidFailure(h.link({ password: 'wrong' }));
    expect(bad.error).toMatchObject({ error_type: 'ITEM_ERROR', error_code: 'INVALID_CREDENTIALS' });
    const down = await plaidFailure(h.link({ password: 'error_INSTITUTION_DOWN' }));
    expect(down).toMatchObject({
      status: 400,
      error: { error_type: 'INSTITUTION_ERROR', error_code: 'INSTITUTION_DOWN' },
    });
    const locked = await plaidFailure(h.link({ password: 'error_ITEM_LOCKED' }));
    expect(locked.error.error_code).toBe('ITEM_LOCKED');
    const dynamic = await h.link({ username: 'user_transactions_dynamic', password: 'anything' });
    expect(dynamic.itemId).toHaveLength(37);
  });

  it('creates an item already in ITEM_LOGIN_REQUIRED for error_ITEM_LOGIN_REQUIRED', async () => {
    const { accessToken } = await h.link({ password: 'error_ITEM_LOGIN_REQUIRED' });
    const item = await h.plaid.itemGet({ access_token: accessToken });
    expect(item.data.item.error?.error_code).toBe('ITEM_LOGIN_REQUIRED');
    const { status, error } = await plaidFailure(h.plaid.accountsGet({ access_token: accessToken }));
    expect(status).toBe(400);
    expect(error).toMatchObject({ error_type: 'ITEM_ERROR', error_code: 'ITEM_LOGIN_REQUIRED' });
  });

  it('behaves like Plaid for unhealthy and unknown institutions', async () => {
    expect((await plaidFailure(h.link({ institutionId: 'ins_132361' }))).error.error_code).toBe(
      'INSTITUTION_DOWN',
    );
    expect((await plaidFailure(h.link({ institutionId: 'ins_133402' }))).error.error_code).toBe(
      'INSTITUTION_NO_LONGER_SUPPORTED',
    );
    expect((await plaidFailure(h.link({ institutionId: 'ins_nope' }))).error.error_code).toBe(
      'INVALID_INSTITUTION',
    );
    const degraded = await h.link({ institutionId: 'ins_132363' });
    expect(degraded.itemId).toBeTruthy();
    const houndstooth = await plaidFailure(
      h.link({ institutionId: 'ins_109512', products: [Products.Transactions] }),
    );
    expect(houndstooth.error.error_code).toBe('PRODUCTS_NOT_SUPPORTED');
  });
});

describe('items', () => {
  it('gets an item with status, updates its webhook and removes it', async () => {
    const { accessToken, itemId } = await h.link();
    const got = await h.plaid.itemGet({ access_token: accessToken });
    expectPlaidShape(got.data, 'ItemGetResponse');
    expect(got.data.item).toMatchObject({
      item_id: itemId,
      institution_id: 'ins_109508',
      institution_name: 'First Platypus Bank',
      error: null,
    });
    expect(got.data.item.billed_products).toEqual(
      expect.arrayContaining(['transactions', 'investments', 'liabilities']),
    );

    const updated = await h.plaid.itemWebhookUpdate({
      access_token: accessToken,
      webhook: 'http://127.0.0.1:9/hooks',
    });
    expectPlaidShape(updated.data, 'ItemWebhookUpdateResponse');
    expect(updated.data.item.webhook).toBe('http://127.0.0.1:9/hooks');

    const removed = await h.plaid.itemRemove({ access_token: accessToken });
    expectPlaidShape(removed.data, 'ItemRemoveResponse');
    const after = await plaidFailure(h.plaid.itemGet({ access_token: accessToken }));
    expect(after).toMatchObject({
      status: 400,
      error: { error_type: 'ITEM_ERROR', error_code: 'ITEM_NOT_FOUND' },
    });
  });

  it('should answer INVALID_ACCESS_TOKEN for unknown and foreign tokens', async () => {
    for (const token of [
      'access-sandbox-00000000-0000-0000-0000-000000000000',
      'access-production-123',
      'garbage',
    ]) {
      const { status, error } = await plaidFailure(h.plaid.itemGet({ access_token: token }));
      expect(status).toBe(400);
      expect(error).toMatchObject({ error_type: 'INVALID_INPUT', error_code: 'INVALID_ACCESS_TOKEN' });
    }
  });

  it('gets institutions by id with optional metadata and status', async () => {
    const res = await h.plaid.institutionsGetById({
      institution_id: 'ins_132363',
      country_codes: [CountryCode.Us],
      options: { include_optional_metadata: true, include_status: true },
    });
    expectPlaidShape(res.data, 'InstitutionsGetByIdResponse');
    expect(res.data.institution.status?.item_logins?.status).toBe('DEGRADED');
    const platypus = await h.plaid.institutionsGetById({
      institution_id: 'ins_109508',
      country_codes: [CountryCode.Us],
    });
    expect(platypus.data.institution.name).toBe('First Platypus Bank');
    const unknown = await plaidFailure(
      h.plaid.institutionsGetById({ institution_id: 'ins_0', country_codes: [CountryCode.Us] }),
    );
    expect(unknown.error.error_code).toBe('INVALID_INSTITUTION');
  });
});

describe('credentials and request validation', () => {
  it('accepts credentials in the body as well as in the headers', async () => {
    const anonymous = plaidClient(h.baseUrl, '', '');
    const viaBody = await fetch(`${h.baseUrl}/institutions/get_by_id`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_id: 'test-client',
        secret: 'test-secret',
        institution_id: 'ins_109508',
        country_codes: ['US'],
      }),
    });
    expect(viaBody.status).toBe(200);
    const wrong = await plaidFailure(
      anonymous.institutionsGetById({ institution_id: 'ins_109508', country_codes: [CountryCode.Us] }),
    );
    expect(wrong).toMatchObject({
      status: 400,
      error: { error_type: 'INVALID_INPUT', error_code: 'INVALID_API_KEYS' },
    });
  });

  it('should answer MISSING_FIELDS when credentials are absent', async () => {
    const res = await fetch(`${h.baseUrl}/item/get`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ access_token: 'x' }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error_type: 'INVALID_REQUEST', error_code: 'MISSING_FIELDS' });
  });

  it('should reject unknown fields, missing fields, wrong types and bodies that are not JSON', async () => {
    const { accessToken } = await h.link();
    const unknown = await plaidFailure(h.plaid.itemGet({ access_token: accessToken, surprise: 1 } as never));
    expect(unknown.error).toMatchObject({ error_type: 'INVALID_REQUEST', error_code: 'UNKNOWN_FIELDS' });
    expect(unknown.error.error_message).toContain('surprise');
    const nested = await plaidFailure(
      h.plaid.accountsGet({ access_token: accessToken, options: { account_ids: [], extra: true } } as never),
    );
    expect(nested.error.error_message).toContain('options.extra');
    const missing = await plaidFailure(h.plaid.itemGet({} as never));
    expect(missing.error).toMatchObject({ error_code: 'MISSING_FIELDS' });
    expect(missing.error.error_message).toContain('access_token');
    const wrongType = await plaidFailure(
      h.plaid.transactionsSync({ access_token: accessToken, count: '5' } as never),
    );
    expect(wrongType.error.error_code).toBe('INVALID_FIELD');
    const notJson = await fetch(`${h.baseUrl}/item/get`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'PLAID-CLIENT-ID': 'test-client',
        'PLAID-SECRET': 'test-secret',
      },
      body: '{not json',
    });
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ error_type: 'INVALID_REQUEST', error_code: 'INVALID_BODY' });
  });

  it('answers 404 NOT_FOUND for routes Plaid does not have', async () => {
    const res = await fetch(`${h.baseUrl}/nope/get`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error_code: 'NOT_FOUND' });
  });
});
