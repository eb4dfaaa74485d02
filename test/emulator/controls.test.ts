import { CountryCode, Products } from 'plaid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plaidFailure, startEmulator } from './support/harness.js';
import type { Harness } from './support/harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startEmulator();
});
afterAll(async () => {
  await h.close();
});

describe('emulator controls', () => {
  it('advances the clock: new rows, pending rows post, balances and prices move', async () => {
    const { accessToken, itemId } = await h.link({ daysRequested: 30 });
    const before = await h.groundTruth(itemId);
    const report = await h.control<{
      now: string;
      items: Array<{ item_id: string; added: number; removed: string[] }>;
    }>('POST', '/__emulator/clock/advance', { days: 10 });
    expect(Date.parse(report.now) - Date.parse(before.now)).toBe(10 * 86_400_000);
    const mine = report.items.find((i) => i.item_id === itemId)!;
    expect(mine.added).toBeGreaterThan(5);
    expect(mine.removed.length).toBeGreaterThan(0);
    const after = await h.groundTruth(itemId);
    const checking = (t: typeof before) =>
      t.accounts.find((a) => a.subtype === 'checking' && a.balances.iso_currency_code === 'USD')!;
    expect(checking(after).balances.current).not.toBe(checking(before).balances.current);
    expect(after.holdings.map((x) => x.institution_price)).not.toEqual(
      before.holdings.map((x) => x.institution_price),
    );
    const live = await h.plaid.accountsGet({ access_token: accessToken });
    expect(live.data.accounts).toEqual(after.accounts);
  });

  it('injects transactions that the balances follow', async () => {
    const { itemId } = await h.link({ daysRequested: 30 });
    const before = await h.groundTruth(itemId);
    const checking = before.accounts.find(
      (a) => a.subtype === 'checking' && a.balances.iso_currency_code === 'USD',
    )!;
    const res = await h.control<{ transaction_ids: string[] }>(
      'POST',
      `/__emulator/items/${itemId}/transactions`,
      {
        transactions: [
          { account_id: checking.account_id, amount: 100.01, name: 'Injected debit' },
          { account_id: checking.account_id, amount: -50, name: 'Injected refund' },
          { account_id: checking.account_id, amount: 20, name: 'Injected pending', pending: true },
        ],
      },
    );
    expect(res.transaction_ids).toHaveLength(3);
    const after = await h.groundTruth(itemId);
    const c = after.accounts.find((a) => a.account_id === checking.account_id)!;
    expect(Math.round((checking.balances.current! - c.balances.current!) * 100)).toBe(5001);
    expect(Math.round((checking.balances.available! - c.balances.available!) * 100)).toBe(7001);
  });

  it('fails the next N calls of an endpoint with the given code and status', async () => {
    const { accessToken, itemId } = await h.link({ daysRequested: 30 });
    await h.control('POST', '/__emulator/faults', {
      endpoint: '/accounts/get',
      error_code: 'RATE_LIMIT_EXCEEDED',
      count: 2,
    });
    for (let i = 0; i < 2; i++) {
      const { status, error } = await plaidFailure(h.plaid.accountsGet({ access_token: accessToken }));
      expect(status).toBe(429);
      expect(error).toMatchObject({ error_type: 'RATE_LIMIT_EXCEEDED', error_code: 'RATE_LIMIT_EXCEEDED' });
    }
    await h.plaid.accountsGet({ access_token: accessToken });
    await h.control('POST', '/__emulator/faults', {
      endpoint: '/transactions/sync',
      error_code: 'INTERNAL_SERVER_ERROR',
    });
    expect(await plaidFailure(h.plaid.transactionsSync({ access_token: accessToken }))).toMatchObject({
      status: 500,
      error: { error_type: 'API_ERROR', error_code: 'INTERNAL_SERVER_ERROR' },
    });
    await h.control('POST', '/__emulator/faults', {
      endpoint: '*',
      error_code: 'INSTITUTION_DOWN',
      item_id: itemId,
    });
    expect(await plaidFailure(h.plaid.itemGet({ access_token: accessToken }))).toMatchObject({
      status: 400,
      error: { error_type: 'INSTITUTION_ERROR', error_code: 'INSTITUTION_DOWN' },
    });
    await h.control('POST', '/__emulator/faults', {
      endpoint: '/item/get',
      error_code: 'PLANNED_MAINTENANCE',
      status: 503,
    });
    expect((await plaidFailure(h.plaid.itemGet({ access_token: accessToken }))).status).toBe(503);
    await h.control('POST', '/__emulator/faults', {
      endpoint: '/item/get',
      error_code: 'ITEM_LOGIN_REQUIRED',
    });
    expect((await plaidFailure(h.plaid.itemGet({ access_token: accessToken }))).error.error_type).toBe(
      'ITEM_ERROR',
    );
    await h.plaid.itemGet({ access_token: accessToken });
  });

  it('adds latency to an endpoint', async () => {
    await h.control('POST', '/__emulator/latency', { endpoint: '/institutions/get_by_id', ms: 150 });
    const started = Date.now();
    await h.plaid.institutionsGetById({ institution_id: 'ins_109508', country_codes: [CountryCode.Us] });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    await h.control('POST', '/__emulator/latency', { endpoint: '/institutions/get_by_id', ms: 0 });
  });

  it('puts an item in ITEM_LOGIN_REQUIRED with /sandbox/item/reset_login and repairs it in Link update mode', async () => {
    const { accessToken } = await h.link({ daysRequested: 30 });
    const reset = await h.plaid.sandboxItemResetLogin({ access_token: accessToken });
    expect(reset.data.reset_login).toBe(true);
    expect(
      (await plaidFailure(h.plaid.transactionsSync({ access_token: accessToken }))).error.error_code,
    ).toBe('ITEM_LOGIN_REQUIRED');
    const update = await h.plaid.linkTokenCreate({
      client_name: 'Finance API',
      language: 'en',
      country_codes: [CountryCode.Us],
      user: { client_user_id: 'u' },
      access_token: accessToken,
    });
    const page = await fetch(`${h.baseUrl}/link?token=${update.data.link_token}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('update mode');
    const session = await fetch(`${h.baseUrl}/link/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        link_token: update.data.link_token,
        institution_id: 'ins_109508',
        username: 'user_good',
        password: 'pass_good',
      }),
    });
    expect(session.status).toBe(200);
    const item = await h.plaid.itemGet({ access_token: accessToken });
    expect(item.data.item.error).toBeNull();
    await h.plaid.transactionsSync({ access_token: accessToken, count: 1 });
  });

  it('drives item events: permission revoked, login required and repaired', async () => {
    const { accessToken, itemId } = await h.link({ daysRequested: 30 });
    await h.control('POST', `/__emulator/items/${itemId}/events`, { event: 'USER_PERMISSION_REVOKED' });
    expect((await plaidFailure(h.plaid.accountsGet({ access_token: accessToken }))).error.error_code).toBe(
      'USER_PERMISSION_REVOKED',
    );
    await h.control('POST', `/__emulator/items/${itemId}/events`, { event: 'LOGIN_REPAIRED' });
    await h.plaid.accountsGet({ access_token: accessToken });
    await h.control('POST', `/__emulator/items/${itemId}/events`, { event: 'ITEM_LOGIN_REQUIRED' });
    expect((await plaidFailure(h.plaid.accountsGet({ access_token: accessToken }))).error.error_code).toBe(
      'ITEM_LOGIN_REQUIRED',
    );
  });

  it('validates control bodies with Plaid-style errors', async () => {
    const res = await fetch(`${h.baseUrl}/__emulator/clock/advance`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ days: 0 }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error_code: 'INVALID_FIELD' });
    const unknownItem = await fetch(`${h.baseUrl}/__emulator/items/nope/ground-truth`);
    expect(unknownItem.status).toBe(400);
  });

  it('serves no controls when they are disabled', async () => {
    const off = await startEmulator({ controlsEnabled: false });
    try {
      const res = await fetch(`${off.baseUrl}/__emulator/state`);
      expect(res.status).toBe(404);
      const created = await off.plaid.sandboxPublicTokenCreate({
        institution_id: 'ins_109508',
        initial_products: [Products.Transactions],
      });
      expect(created.status).toBe(200);
    } finally {
      await off.close();
    }
  });
});
