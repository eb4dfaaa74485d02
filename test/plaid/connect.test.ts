/** Plaid for the process: with no keys, an in-process emulator that loads after the API listens. */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/lib/logger.js';
import { connectPlaid } from '../../src/plaid/connect.js';
import { testConfig } from '../helpers/config.js';

describe('connectPlaid (emulator mode, in process)', () => {
  it('should hold calls made before start() until the emulator runs, then answer them', async () => {
    const plaid = connectPlaid(testConfig(), createLogger('silent'));
    expect(plaid.client.basePath).toBe('');
    expect(plaid.emulator).toBeUndefined();
    // A call made before the emulator exists waits for it instead of failing.
    const early = plaid.client.webhookVerificationKeyGet({ key_id: 'unknown-kid' }).then(
      () => 'answered',
      (error: unknown) => (error as { errorCode?: string }).errorCode ?? String(error),
    );
    await plaid.start();
    try {
      expect(plaid.client.basePath).toBe(plaid.emulator!.url);
      expect(plaid.describe()).toBe(`offline emulator at ${plaid.emulator!.url}`);
      // The emulator answered (a Plaid error for an unknown key is an answer from the emulator).
      expect(await early).toBe('INVALID_WEBHOOK_VERIFICATION_KEY_ID');
      const institution = await plaid.client.institutionsGetById({
        institution_id: 'ins_109508',
        country_codes: ['US'] as never,
      });
      expect(institution.institution.name).toBe('First Platypus Bank');
    } finally {
      await plaid.close();
    }
  });

  it('should use an emulator that already runs when PLAID_EMULATOR_URL is set, without starting one', async () => {
    const plaid = connectPlaid(
      testConfig({ PLAID_EMULATOR_URL: 'http://127.0.0.1:4010/' }),
      createLogger('silent'),
    );
    await plaid.start();
    expect(plaid.emulator).toBeUndefined();
    expect(plaid.client.basePath).toBe('http://127.0.0.1:4010');
  });
});
