import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { startEmulator } from './support/harness.js';
import type { Harness } from './support/harness.js';
import { ReferenceSyncClient } from './support/reference-client.js';

const RUNS = Number(process.env.FC_RUNS ?? 40);

type Step =
  | { kind: 'advance'; days: number }
  | { kind: 'inject'; rows: number; pending: boolean }
  | { kind: 'mutateNow' }
  | { kind: 'mutateBetweenPages'; afterPages: number }
  | {
      kind: 'fail';
      code: 'INTERNAL_SERVER_ERROR' | 'RATE_LIMIT_EXCEEDED' | 'INSTITUTION_DOWN';
      times: number;
    }
  | { kind: 'sync'; count: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('advance' as const), days: fc.integer({ min: 1, max: 4 }) }),
  fc.record({
    kind: fc.constant('inject' as const),
    rows: fc.integer({ min: 1, max: 3 }),
    pending: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('mutateNow' as const) }),
  fc.record({ kind: fc.constant('mutateBetweenPages' as const), afterPages: fc.integer({ min: 1, max: 3 }) }),
  fc.record({
    kind: fc.constant('fail' as const),
    code: fc.constantFrom(
      'INTERNAL_SERVER_ERROR' as const,
      'RATE_LIMIT_EXCEEDED' as const,
      'INSTITUTION_DOWN' as const,
    ),
    times: fc.integer({ min: 1, max: 2 }),
  }),
  fc.record({ kind: fc.constant('sync' as const), count: fc.integer({ min: 1, max: 60 }) }),
);

async function apply(
  h: Harness,
  itemId: string,
  client: ReferenceSyncClient,
  s: Step,
  n: number,
): Promise<void> {
  switch (s.kind) {
    case 'advance':
      await h.control('POST', '/__emulator/clock/advance', { days: s.days });
      return;
    case 'inject':
      await h.control('POST', `/__emulator/items/${itemId}/transactions`, {
        transactions: Array.from({ length: s.rows }, (_, i) => ({
          amount: 1 + n + i / 100,
          name: `INJECTED ${n}.${i}`,
          pending: s.pending,
        })),
      });
      return;
    case 'mutateNow':
      await h.control('POST', `/__emulator/items/${itemId}/mutate`, {});
      return;
    case 'mutateBetweenPages':
      await h.control('POST', `/__emulator/items/${itemId}/mutate-between-pages`, {
        after_pages: s.afterPages,
      });
      return;
    case 'fail':
      await h.control('POST', '/__emulator/faults', {
        endpoint: '/transactions/sync',
        error_code: s.code,
        count: s.times,
      });
      return;
    case 'sync':
      await client.sync(s.count, 40);
      return;
  }
}

describe('sync convergence (property)', () => {
  it('a client following the documented sync rules reaches exactly the ground truth', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 1000 }),
        async (steps, seed) => {
          const h = await startEmulator({ seed });
          try {
            const { accessToken, itemId } = await h.link({ daysRequested: 20 });
            const client = new ReferenceSyncClient(h.plaid, accessToken);
            for (const [n, s] of steps.entries()) await apply(h, itemId, client, s, n);
            await client.sync(7, 40);
            const truth = await h.groundTruth(itemId);
            expect(client.sorted()).toEqual(truth.transactions);
            const accounts = await h.plaid.accountsGet({ access_token: accessToken });
            expect(accounts.data.accounts).toEqual(truth.accounts);
          } finally {
            await h.close();
          }
        },
      ),
      { numRuns: RUNS },
    );
  });
});
