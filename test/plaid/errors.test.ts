import { describe, expect, it } from 'vitest';
import { backoffMs, classifyPlaidError, PlaidApiError, retryDelays } from '../../src/plaid/errors.js';

const plaidError = (errorType: string, errorCode: string, status: number | null = 400) => ({
  errorType,
  errorCode,
  status,
});

describe('classifyPlaidError: Plaid errors become item state', () => {
  it('should ask the user to log in again on ITEM_LOGIN_REQUIRED', () => {
    expect(classifyPlaidError(plaidError('ITEM_ERROR', 'ITEM_LOGIN_REQUIRED'))).toEqual({
      action: 'needs_user',
      itemStatus: 'login_required',
    });
  });

  it('should mark the item pending expiration on PENDING_EXPIRATION / PENDING_DISCONNECT', () => {
    for (const code of ['PENDING_EXPIRATION', 'PENDING_DISCONNECT']) {
      expect(classifyPlaidError(plaidError('ITEM', code, null))).toEqual({
        action: 'needs_user',
        itemStatus: 'pending_expiration',
      });
    }
  });

  it.each([
    ['RATE_LIMIT_EXCEEDED', 'TRANSACTIONS_SYNC_LIMIT', 429, retryDelays.rateLimit],
    ['RATE_LIMIT_EXCEEDED', 'RATE_LIMIT_EXCEEDED', 429, retryDelays.rateLimit],
    ['SOMETHING_NEW', 'SOMETHING_NEW', 429, retryDelays.rateLimit],
    ['API_ERROR', 'INTERNAL_SERVER_ERROR', 500, retryDelays.serverError],
    ['API_ERROR', 'PLANNED_MAINTENANCE', 503, retryDelays.plannedMaintenance],
    ['HTTP_ERROR', 'HTTP_502', 502, retryDelays.serverError],
    ['INSTITUTION_ERROR', 'INSTITUTION_DOWN', 400, retryDelays.institution],
    ['INSTITUTION_ERROR', 'INSTITUTION_NOT_RESPONDING', 400, retryDelays.institution],
    ['INSTITUTION_ERROR', 'INSTITUTION_NOT_AVAILABLE', 400, retryDelays.institution],
    ['NETWORK', 'TIMEOUT', null, retryDelays.network],
    ['NETWORK', 'NETWORK_ERROR', null, retryDelays.network],
  ])('should retry %s/%s (HTTP %s) without touching the item', (type, code, status, delay) => {
    expect(classifyPlaidError(plaidError(type, code, status))).toEqual({
      action: 'retry',
      retryAfterMs: delay,
    });
  });

  it('should restart the sync loop on a mutation during pagination', () => {
    expect(
      classifyPlaidError(plaidError('TRANSACTIONS_ERROR', 'TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION')),
    ).toEqual({ action: 'restart_sync' });
  });

  it.each([
    'PRODUCTS_NOT_SUPPORTED',
    'PRODUCT_NOT_ENABLED',
    'NO_ACCOUNTS',
    'NO_INVESTMENT_ACCOUNTS',
    'NO_LIABILITY_ACCOUNTS',
  ])('should turn the product off on %s', (code) => {
    expect(classifyPlaidError(plaidError('ITEM_ERROR', code))).toEqual({
      action: 'product_unavailable',
      productState: 'unsupported',
    });
  });

  it('should retry PRODUCT_NOT_READY later and say the product is not ready', () => {
    expect(classifyPlaidError(plaidError('ITEM_ERROR', 'PRODUCT_NOT_READY', 400))).toEqual({
      action: 'retry',
      retryAfterMs: retryDelays.productNotReady,
      productState: 'not_ready',
    });
  });

  it('should say the item is gone on ITEM_NOT_FOUND', () => {
    expect(classifyPlaidError(plaidError('ITEM_ERROR', 'ITEM_NOT_FOUND'))).toEqual({
      action: 'item_gone',
      itemStatus: 'revoked',
    });
  });

  it('should revoke the item on USER_PERMISSION_REVOKED', () => {
    expect(classifyPlaidError(plaidError('INVALID_INPUT', 'USER_PERMISSION_REVOKED'))).toEqual({
      action: 'permission_revoked',
      itemStatus: 'revoked',
    });
  });

  it.each([
    ['INVALID_INPUT', 'INVALID_API_KEYS', undefined],
    ['INVALID_INPUT', 'INVALID_PUBLIC_TOKEN', undefined],
    ['INVALID_INPUT', 'INVALID_ACCOUNT_ID', undefined],
    ['INVALID_REQUEST', 'MISSING_FIELDS', undefined],
    ['INVALID_REQUEST', 'UNKNOWN_FIELDS', undefined],
    ['INVALID_REQUEST', 'INVALID_FIELD', undefined],
    ['SANDBOX_ERROR', 'SANDBOX_PRODUCT_NOT_ENABLED', undefined],
    ['INVALID_INPUT', 'INVALID_ACCESS_TOKEN', 'error'],
    ['INSTITUTION_ERROR', 'INSTITUTION_NO_LONGER_SUPPORTED', 'error'],
    ['ITEM_ERROR', 'A_CODE_PLAID_ADDS_LATER', 'error'],
  ])('should not retry %s/%s', (type, code, itemStatus) => {
    const result = classifyPlaidError(plaidError(type, code));
    expect(result.action).toBe('fatal');
    expect(result.itemStatus).toBe(itemStatus);
  });

  it('should classify a PlaidApiError directly', () => {
    const error = new PlaidApiError({
      status: 400,
      errorType: 'ITEM_ERROR',
      errorCode: 'ITEM_LOGIN_REQUIRED',
      errorMessage: 'the login details of this item have changed',
      displayMessage: null,
      requestId: 'abc123',
      endpoint: '/transactions/sync',
    });
    expect(classifyPlaidError(error).action).toBe('needs_user');
    expect(JSON.parse(JSON.stringify(error))).toMatchObject({
      errorCode: 'ITEM_LOGIN_REQUIRED',
      requestId: 'abc123',
    });
  });
});

describe('backoffMs: exponential with full jitter', () => {
  it('should stay within [0, min(cap, base × 2^attempt))', () => {
    for (let attempt = 0; attempt < 40; attempt++) {
      const ceiling = Math.min(15 * 60_000, 1000 * 2 ** attempt);
      expect(backoffMs(attempt, () => 0)).toBe(0);
      const top = backoffMs(attempt, () => 0.999999);
      expect(top).toBeLessThan(ceiling);
      expect(top).toBeGreaterThanOrEqual(Math.floor(ceiling * 0.999));
    }
  });

  it('should double the ceiling per attempt until the cap', () => {
    expect(backoffMs(0, () => 0.5)).toBe(500);
    expect(backoffMs(1, () => 0.5)).toBe(1000);
    expect(backoffMs(3, () => 0.5)).toBe(4000);
    expect(backoffMs(100, () => 0.5, { capMs: 10_000 })).toBe(5000);
    expect(backoffMs(1e9, () => 0.5)).toBe(450_000);
  });

  it('should accept a base from the classification and clamp odd inputs', () => {
    expect(backoffMs(2, () => 0.5, { baseMs: retryDelays.rateLimit, capMs: 3_600_000 })).toBe(120_000);
    expect(backoffMs(-3, () => 0.5)).toBe(500);
    expect(backoffMs(Number.NaN, () => 0.5)).toBe(500);
    expect(backoffMs(0, () => 7)).toBe(1000);
    expect(backoffMs(0, () => Number.NaN)).toBe(0);
  });

  it('should use Math.random by default', () => {
    const delay = backoffMs(4);
    expect(delay).toBeGreaterThanOrEqual(0);
    expect(delay).toBeLessThan(16_000);
  });
});
