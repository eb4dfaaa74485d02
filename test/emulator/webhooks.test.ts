import { Products, WebhookType } from 'plaid';
import { SandboxItemFireWebhookRequestWebhookCodeEnum as Code } from 'plaid';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { plaidFailure, startEmulator } from './support/harness.js';
import type { Harness } from './support/harness.js';
import { expectPlaidShape } from './support/shape-matchers.js';
import { WebhookReceiver } from './support/webhook-receiver.js';
import { PlaidWebhookVerifier } from './support/webhook-verifier.js';

let h: Harness;
let receiver: WebhookReceiver;
let verifier: PlaidWebhookVerifier;

beforeAll(async () => {
  h = await startEmulator({
    webhookRetry: { initialDelayMs: 20, multiplier: 2, maxAttempts: 4, timeoutMs: 2_000 },
  });
});
afterAll(async () => {
  await h.close();
});
beforeEach(async () => {
  receiver = await new WebhookReceiver().start();
  verifier = new PlaidWebhookVerifier(
    async (kid) => (await h.plaid.webhookVerificationKeyGet({ key_id: kid })).data.key,
  );
});
afterEach(async () => {
  await receiver.close();
});

describe('webhooks', () => {
  it('fires the transactions timeline, signed as Plaid signs, pretty-printed', async () => {
    const { accessToken, itemId } = await h.link({ webhook: `${receiver.url}/hooks`, daysRequested: 30 });
    await receiver.waitFor((w) => w.body.webhook_code === 'HISTORICAL_UPDATE');
    await h.plaid.transactionsSync({ access_token: accessToken, count: 1 });
    const initial = await receiver.waitFor(
      (w) => w.body.webhook_code === 'SYNC_UPDATES_AVAILABLE' && w.body.historical_update_complete === true,
    );
    expectPlaidShape(initial.body, 'SyncUpdatesAvailableWebhook');
    expect(initial.body).toMatchObject({
      item_id: itemId,
      initial_update_complete: true,
      environment: 'sandbox',
    });
    // The initial update's webhook (history still coming) was sent too; deliveries may arrive in any order.
    expect(
      receiver.byCode('TRANSACTIONS', 'SYNC_UPDATES_AVAILABLE').map((w) => w.body.historical_update_complete),
    ).toContain(false);
    expect(initial.raw.toString('utf8')).toBe(JSON.stringify(initial.body, null, 2));

    await h.control('POST', '/__emulator/clock/advance', { days: 3 });
    await receiver.waitFor((w) => w.body.webhook_type === 'HOLDINGS');
    const holdings = receiver.byCode('HOLDINGS', 'DEFAULT_UPDATE')[0]!;
    expectPlaidShape(holdings.body, 'HoldingsDefaultUpdateWebhook');
    await receiver.waitFor(
      (w) =>
        w.body.webhook_code === 'SYNC_UPDATES_AVAILABLE' &&
        receiver.byCode('TRANSACTIONS', 'SYNC_UPDATES_AVAILABLE').length >= 3,
    );
    for (const w of receiver.received)
      expect(await verifier.verify(w.raw, w.signature), `${w.body.webhook_code}`).toBe(true);
  });

  it('fails verification when the body, the signature or the algorithm is tampered with', async () => {
    const { accessToken } = await h.link({ webhook: receiver.url, daysRequested: 30 });
    await h.plaid.sandboxItemFireWebhook({
      access_token: accessToken,
      webhook_type: WebhookType.Transactions,
      webhook_code: Code.SyncUpdatesAvailable,
    });
    const w = await receiver.waitFor((x) => x.body.webhook_code === 'SYNC_UPDATES_AVAILABLE');
    expect(await verifier.verify(w.raw, w.signature)).toBe(true);
    const body = Buffer.from(w.raw.toString('utf8').replace('"sandbox"', '"production"'));
    expect(await verifier.verify(body, w.signature)).toBe(false);
    const reserialised = Buffer.from(JSON.stringify(w.body));
    expect(await verifier.verify(reserialised, w.signature)).toBe(false);
    const [header, payload, sig] = w.signature!.split('.');
    // One character in the middle changed (the last one may carry only padding bits).
    const at = 10;
    const flipped = `${header}.${payload}.${sig!.slice(0, at)}${sig![at] === 'A' ? 'B' : 'A'}${sig!.slice(at + 1)}`;
    expect(await verifier.verify(w.raw, flipped)).toBe(false);
    const none = Buffer.from(JSON.stringify({ alg: 'none', kid: 'x', typ: 'JWT' })).toString('base64url');
    expect(await verifier.verify(w.raw, `${none}.${payload}.`)).toBe(false);
    const later = new PlaidWebhookVerifier(
      async (kid) => (await h.plaid.webhookVerificationKeyGet({ key_id: kid })).data.key,
      () => Date.now() + 6 * 60_000,
    );
    expect(await later.verify(w.raw, w.signature)).toBe(false);
  });

  it('signs with a stale iat when the wall clock says so', async () => {
    const stale = await startEmulator({ wallClock: () => Date.now() - 10 * 60_000 });
    try {
      const { accessToken } = await stale.link({ webhook: receiver.url, daysRequested: 30 });
      await stale.plaid.sandboxItemFireWebhook({
        access_token: accessToken,
        webhook_code: Code.LoginRepaired,
      });
      const w = await receiver.waitFor((x) => x.body.webhook_code === 'LOGIN_REPAIRED');
      const v = new PlaidWebhookVerifier(
        async (kid) => (await stale.plaid.webhookVerificationKeyGet({ key_id: kid })).data.key,
      );
      expect(await v.verify(w.raw, w.signature)).toBe(false);
    } finally {
      await stale.close();
    }
  });

  it('rotates the signing key, leaving the old one fetchable with expired_at set', async () => {
    const { accessToken } = await h.link({ webhook: receiver.url, daysRequested: 30 });
    await h.plaid.sandboxItemFireWebhook({
      access_token: accessToken,
      webhook_code: Code.NewAccountsAvailable,
    });
    const before = await receiver.waitFor((x) => x.body.webhook_code === 'NEW_ACCOUNTS_AVAILABLE');
    const oldKid = JSON.parse(Buffer.from(before.signature!.split('.')[0]!, 'base64url').toString())
      .kid as string;
    const rotated = await h.control<{ key_id: string }>('POST', '/__emulator/webhook-keys/rotate');
    expect(rotated.key_id).not.toBe(oldKid);
    const oldKey = await h.plaid.webhookVerificationKeyGet({ key_id: oldKid });
    expectPlaidShape(oldKey.data, 'WebhookVerificationKeyGetResponse');
    expect(oldKey.data.key.expired_at).not.toBeNull();
    const fresh = new PlaidWebhookVerifier(
      async (kid) => (await h.plaid.webhookVerificationKeyGet({ key_id: kid })).data.key,
    );
    expect(await fresh.verify(before.raw, before.signature)).toBe(false);
    await h.plaid.sandboxItemFireWebhook({ access_token: accessToken, webhook_code: Code.PendingDisconnect });
    const after = await receiver.waitFor((x) => x.body.webhook_code === 'PENDING_DISCONNECT');
    expectPlaidShape(after.body, 'PendingDisconnectWebhook');
    expect(await fresh.verify(after.raw, after.signature)).toBe(true);
    const unknown = await plaidFailure(h.plaid.webhookVerificationKeyGet({ key_id: 'nope' }));
    expect(unknown.error.error_code).toBe('INVALID_WEBHOOK_VERIFICATION_KEY_ID');
  });

  it('retries non-2xx deliveries with backoff, and gives up after the bounded attempts', async () => {
    receiver.statusFor = (attempt, path) =>
      path === '/flaky' && attempt <= 2 ? 500 : path === '/down' ? 503 : 200;
    const flaky = await h.link({
      webhook: `${receiver.url}/flaky`,
      products: [Products.Investments],
      daysRequested: 30,
    });
    await h.plaid.sandboxItemFireWebhook({
      access_token: flaky.accessToken,
      webhook_type: WebhookType.Holdings,
      webhook_code: Code.DefaultUpdate,
    });
    const delivered = await receiver.waitFor((x) => x.body.webhook_type === 'HOLDINGS');
    expect(await verifier.verify(delivered.raw, delivered.signature)).toBe(true);
    const down = await h.link({
      webhook: `${receiver.url}/down`,
      products: [Products.Investments],
      daysRequested: 30,
    });
    await h.plaid.sandboxItemFireWebhook({
      access_token: down.accessToken,
      webhook_type: WebhookType.InvestmentsTransactions,
      webhook_code: Code.DefaultUpdate,
    });
    type Log = {
      deliveries: Array<{
        url: string;
        state: string;
        attempts: Array<{ status: number }>;
        body: { webhook_type: string };
      }>;
    };
    let failed: Log['deliveries'][number] | undefined;
    for (let i = 0; i < 100 && !failed; i++) {
      await new Promise((r) => setTimeout(r, 20));
      const log = await h.control<Log>('GET', '/__emulator/webhooks');
      failed = log.deliveries.find(
        (d) =>
          d.url.endsWith('/down') &&
          d.body.webhook_type === 'INVESTMENTS_TRANSACTIONS' &&
          d.state === 'failed',
      );
    }
    expect(failed?.attempts.map((a) => a.status)).toEqual([503, 503, 503, 503]);
    const log = await h.control<Log>('GET', '/__emulator/webhooks');
    const ok = log.deliveries.find((d) => d.url.endsWith('/flaky') && d.body.webhook_type === 'HOLDINGS')!;
    expect(ok.state).toBe('delivered');
    expect(ok.attempts.map((a) => a.status)).toEqual([500, 500, 200]);
  });

  it('sends ITEM webhooks: ERROR, LOGIN_REPAIRED, PENDING_EXPIRATION, USER_PERMISSION_REVOKED, WEBHOOK_UPDATE_ACKNOWLEDGED', async () => {
    const { accessToken, itemId } = await h.link({ webhook: `${receiver.url}/a`, daysRequested: 30 });
    await h.plaid.sandboxItemResetLogin({ access_token: accessToken });
    const error = await receiver.waitFor((x) => x.body.webhook_code === 'ERROR');
    expectPlaidShape(error.body, 'ItemErrorWebhook');
    expect(error.body.error).toMatchObject({ error_code: 'ITEM_LOGIN_REQUIRED', status: 400 });
    for (const event of ['LOGIN_REPAIRED', 'PENDING_EXPIRATION', 'USER_PERMISSION_REVOKED']) {
      await h.control('POST', `/__emulator/items/${itemId}/events`, { event });
    }
    expectPlaidShape(
      (await receiver.waitFor((x) => x.body.webhook_code === 'LOGIN_REPAIRED')).body,
      'ItemLoginRepairedWebhook',
    );
    expectPlaidShape(
      (await receiver.waitFor((x) => x.body.webhook_code === 'PENDING_EXPIRATION')).body,
      'PendingExpirationWebhook',
    );
    expectPlaidShape(
      (await receiver.waitFor((x) => x.body.webhook_code === 'USER_PERMISSION_REVOKED')).body,
      'UserPermissionRevokedWebhook',
    );
    await h.plaid.itemWebhookUpdate({ access_token: accessToken, webhook: `${receiver.url}/b` });
    const ack = await receiver.waitFor((x) => x.body.webhook_code === 'WEBHOOK_UPDATE_ACKNOWLEDGED');
    expectPlaidShape(ack.body, 'WebhookUpdateAcknowledgedWebhook');
    expect(ack.path).toBe('/b');
    for (const w of receiver.received) expect(await verifier.verify(w.raw, w.signature)).toBe(true);
  });

  it('refuses /sandbox/item/fire_webhook without a webhook URL or without the product', async () => {
    const bare = await h.link({ daysRequested: 30 });
    const noUrl = await plaidFailure(
      h.plaid.sandboxItemFireWebhook({
        access_token: bare.accessToken,
        webhook_code: Code.SyncUpdatesAvailable,
      }),
    );
    expect(noUrl.error).toMatchObject({ error_type: 'SANDBOX_ERROR', error_code: 'SANDBOX_WEBHOOK_INVALID' });
    const txOnly = await h.link({
      webhook: receiver.url,
      products: [Products.Transactions],
      daysRequested: 30,
    });
    const noProduct = await plaidFailure(
      h.plaid.sandboxItemFireWebhook({
        access_token: txOnly.accessToken,
        webhook_type: WebhookType.Holdings,
        webhook_code: Code.DefaultUpdate,
      }),
    );
    expect(noProduct.error.error_code).toBe('SANDBOX_PRODUCT_NOT_ENABLED');
    const fired = await h.plaid.sandboxItemFireWebhook({
      access_token: txOnly.accessToken,
      webhook_code: Code.SyncUpdatesAvailable,
    });
    expectPlaidShape(fired.data, 'SandboxItemFireWebhookResponse');
  });
});
