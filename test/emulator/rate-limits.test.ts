import { CountryCode } from 'plaid';
import { describe, expect, it } from 'vitest';
import { plaidFailure, startEmulator } from './support/harness.js';

describe('rate limits', () => {
  it('enforces Plaid’s per-item limit per minute with a 429 RATE_LIMIT_EXCEEDED error', async () => {
    let now = Date.parse('2025-03-14T12:00:00Z');
    const h = await startEmulator({ rateLimits: true, wallClock: () => now });
    try {
      const { accessToken } = await h.link({ daysRequested: 30 });
      for (let i = 0; i < 2; i++) await h.plaid.transactionsRefresh({ access_token: accessToken });
      const limited = await plaidFailure(h.plaid.transactionsRefresh({ access_token: accessToken }));
      expect(limited).toMatchObject({
        status: 429,
        error: { error_type: 'RATE_LIMIT_EXCEEDED', error_code: 'TRANSACTIONS_REFRESH_LIMIT' },
      });
      const other = await h.link({ daysRequested: 30 });
      await h.plaid.transactionsRefresh({ access_token: other.accessToken });
      now += 60_000;
      await h.plaid.transactionsRefresh({ access_token: accessToken });
    } finally {
      await h.close();
    }
  });

  it('enforces the per-client limit across items', async () => {
    const h = await startEmulator({ rateLimits: true });
    try {
      const calls = Array.from({ length: 400 }, () =>
        h.plaid.institutionsGetById({ institution_id: 'ins_109508', country_codes: [CountryCode.Us] }),
      );
      await Promise.all(calls);
      const limited = await plaidFailure(
        h.plaid.institutionsGetById({ institution_id: 'ins_109508', country_codes: [CountryCode.Us] }),
      );
      expect(limited.status).toBe(429);
    } finally {
      await h.close();
    }
  });
});
