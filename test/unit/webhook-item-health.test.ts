import { describe, expect, it } from 'vitest';
import { PlaidApiError } from '../../src/plaid/errors.js';
import {
  healthFromItemGet,
  healthFromItemGetFailure,
  healthFromWebhook,
  type CurrentHealth,
  type ItemWebhook,
} from '../../src/domain/webhooks/item-health.js';

const NOW = new Date('2026-03-07T12:00:00Z');
const days = (n: number) => new Date(NOW.getTime() + n * 86_400_000);
const good: CurrentHealth = { status: 'good', consentExpiresAt: null };
const plaidError = (code: string, type = 'ITEM_ERROR') => ({
  error_type: type,
  error_code: code,
  error_message: 'text for logs',
  display_message: null,
  status: 400,
});
const webhook = (code: ItemWebhook['code'], body: Record<string, unknown> = {}): ItemWebhook => ({
  code,
  body: { webhook_type: 'ITEM', webhook_code: code, item_id: 'item-1', ...body },
});
const item = (error: unknown, consent: Date | null = null) =>
  ({ error, consent_expiration_time: consent?.toISOString() ?? null }) as Parameters<
    typeof healthFromItemGet
  >[0];

describe('item health from /item/get', () => {
  it('should follow the sync error policy for item.error', () => {
    expect(
      healthFromItemGet(item(plaidError('ITEM_LOGIN_REQUIRED')), webhook('ERROR'), good, NOW),
    ).toMatchObject({
      status: 'login_required',
      lastError: { errorCode: 'ITEM_LOGIN_REQUIRED', source: 'item_get' },
    });
    expect(
      healthFromItemGet(item(plaidError('USER_PERMISSION_REVOKED')), webhook('ERROR'), good, NOW),
    ).toMatchObject({ status: 'revoked', permissionRevoked: true });
    expect(healthFromItemGet(item(plaidError('SOMETHING_NEW')), webhook('ERROR'), good, NOW).status).toBe(
      'error',
    );
    // A transient institution error says nothing about the login: status unchanged.
    expect(
      healthFromItemGet(
        item(plaidError('INSTITUTION_DOWN', 'INSTITUTION_ERROR')),
        webhook('ERROR'),
        good,
        NOW,
      ).status,
    ).toBeNull();
  });

  it('should say good, and clear the error, when Plaid reports no error (whatever the webhook claimed)', () => {
    const change = healthFromItemGet(
      item(null),
      webhook('ERROR', { error: plaidError('ITEM_LOGIN_REQUIRED') }),
      { status: 'login_required', consentExpiresAt: null },
      NOW,
    );
    expect(change).toMatchObject({ status: 'good', lastError: null, consentExpiresAt: null });
  });

  it('should say pending_expiration when the consent ends within 7 days, good when further', () => {
    expect(
      healthFromItemGet(item(null, days(3)), webhook('NEW_ACCOUNTS_AVAILABLE'), good, NOW),
    ).toMatchObject({
      status: 'pending_expiration',
      consentExpiresAt: days(3),
    });
    expect(healthFromItemGet(item(null, days(90)), webhook('LOGIN_REPAIRED'), good, NOW)).toMatchObject({
      status: 'good',
      consentExpiresAt: days(90),
    });
  });

  it('should believe a renewed consent over an older PENDING_EXPIRATION that arrives late', () => {
    const late = webhook('PENDING_EXPIRATION', { consent_expiration_time: days(2).toISOString() });
    expect(healthFromItemGet(item(null, days(180)), late, good, NOW).status).toBe('good');
    const onTime = webhook('PENDING_EXPIRATION', { consent_expiration_time: days(8).toISOString() });
    expect(healthFromItemGet(item(null, days(8)), onTime, good, NOW)).toMatchObject({
      status: 'pending_expiration',
      consentExpiresAt: days(8),
    });
  });

  it('should keep a pending disconnect /item/get cannot show, until LOGIN_REPAIRED', () => {
    const disconnect = webhook('PENDING_DISCONNECT', { disconnect_time: days(7).toISOString() });
    expect(healthFromItemGet(item(null), disconnect, good, NOW)).toMatchObject({
      status: 'pending_expiration',
      consentExpiresAt: days(7),
    });
    const pending: CurrentHealth = { status: 'pending_expiration', consentExpiresAt: days(7) };
    expect(healthFromItemGet(item(null), webhook('ERROR'), pending, NOW).status).toBe('pending_expiration');
    expect(healthFromItemGet(item(null), webhook('LOGIN_REPAIRED'), pending, NOW).status).toBe('good');
    // A date already past is no warning any more.
    const past = webhook('PENDING_DISCONNECT', { disconnect_time: days(-1).toISOString() });
    expect(healthFromItemGet(item(null), past, good, NOW).status).toBe('good');
  });
});

describe('item health when /item/get fails', () => {
  const failure = (code: string, status: number | null, type = 'ITEM_ERROR') =>
    new PlaidApiError({
      status,
      errorType: type,
      errorCode: code,
      errorMessage: '',
      displayMessage: null,
      requestId: null,
      endpoint: '/item/get',
    });

  it('should take a failure that describes the item as its state', () => {
    expect(healthFromItemGetFailure(failure('ITEM_NOT_FOUND', 400))).toMatchObject({ status: 'revoked' });
    expect(healthFromItemGetFailure(failure('INTERNAL_SERVER_ERROR', 500, 'API_ERROR'))).toBeNull();
    expect(healthFromItemGetFailure(failure('TIMEOUT', null, 'NETWORK'))).toBeNull();
  });

  it('should fall back on the webhook’s own content', () => {
    expect(
      healthFromWebhook(webhook('ERROR', { error: plaidError('ITEM_LOGIN_REQUIRED') }), NOW),
    ).toMatchObject({ status: 'login_required', lastError: { source: 'webhook' }, permissionRevoked: false });
    expect(
      healthFromWebhook(
        webhook('PENDING_EXPIRATION', { consent_expiration_time: days(7).toISOString() }),
        NOW,
      ),
    ).toMatchObject({ status: 'pending_expiration', consentExpiresAt: days(7) });
    expect(healthFromWebhook(webhook('LOGIN_REPAIRED'), NOW)).toMatchObject({
      status: 'good',
      lastError: null,
    });
    expect(healthFromWebhook(webhook('NEW_ACCOUNTS_AVAILABLE'), NOW)).toMatchObject({
      status: null,
      lastError: undefined,
      consentExpiresAt: undefined,
    });
    expect(healthFromWebhook(webhook('ERROR', { error: 'garbage' }), NOW).status).toBeNull();
  });
});
