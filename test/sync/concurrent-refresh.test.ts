/**
 * The read model stays exact whatever runs at once: every item of two people synced at the same time by
 * two "workers" (two sync services, each on its own connection pool on PostgreSQL), then all of them
 * again after the data moved, several times. After each burst the cash-flow sums and net worth equal
 * what the emulator's ground truth gives, computed here independently of our calculators, and each
 * person's read model was refreshed at most twice for the burst.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, selectRows, type Database, type DatabaseHandle } from '../../src/db/client.js';
import { createAnalyticsMaterializers } from '../../src/domain/analytics/materializers.js';
import { createAccessTokenCipher, keyIdOf } from '../../src/domain/items/access-token-cipher.js';
import { createSyncService, type SyncService } from '../../src/domain/sync/service.js';
import type { GroundTruth } from '../../src/emulator/index.js';
import { databaseKinds } from '../helpers/database.js';
import { cashflowTruth, ourCashflow, units } from '../helpers/ground-truth-figures.js';
import { startSyncHarness, type SyncHarness } from './support.js';

const BURSTS = 3;
const INSTITUTIONS = ['ins_109508', 'ins_109509', 'ins_109510', 'ins_109511'];

interface Person {
  userId: string;
  items: { id: string; plaidItemId: string }[];
}

/** Per currency: assets (current, else available) minus what is owed on credit and loan accounts. */
function netWorthTruth(truths: GroundTruth[]): Map<string, bigint> {
  const result = new Map<string, bigint>();
  for (const a of truths.flatMap((t) => t.accounts)) {
    const owed = a.type === 'credit' || a.type === 'loan';
    const balance = a.balances.current ?? (owed ? null : a.balances.available);
    if (balance === null || balance === undefined) continue;
    const currency = a.balances.iso_currency_code ?? 'XXX';
    result.set(currency, (result.get(currency) ?? 0n) + (owed ? -units(balance) : units(balance)));
  }
  return result;
}

async function ourNetWorthOn(db: Database, userId: string, date: string) {
  const rows = await selectRows<{ currency: string; net_worth: string }>(
    db,
    sql`select currency, net_worth::text from net_worth_daily where user_id = ${userId} and date = ${date}`,
  );
  return new Map(rows.map((r) => [r.currency, units(r.net_worth)]));
}

async function refreshCount(db: Database, userId: string): Promise<number> {
  const [row] = await selectRows<{ refreshes: number }>(
    db,
    sql`select refreshes::int as refreshes from read_model_state where user_id = ${userId}`,
  );
  return row?.refreshes ?? 0;
}

describe.each(databaseKinds())('read model under concurrent syncs (%s)', (kind) => {
  let h: SyncHarness;
  let second: DatabaseHandle | undefined;
  let workers: SyncService[];
  const people: Person[] = [];

  beforeAll(async () => {
    h = await startSyncHarness(kind);
    // The second worker: its own sync service and, on PostgreSQL, its own connection pool.
    let db2 = h.db;
    if (h.database.url) {
      second = await openDatabase({ kind: 'postgres', url: h.database.url, poolSize: 5 });
      db2 = second.db;
    }
    const key = Buffer.alloc(32, 7).toString('base64');
    const cipher = createAccessTokenCipher([{ id: keyIdOf(key), keyBase64: key }], keyIdOf(key));
    const now = () => h.clock.now;
    workers = [h.db, db2].map((db) =>
      createSyncService({
        db,
        plaid: h.plaid,
        cipher,
        materializers: createAnalyticsMaterializers({ db, now }),
        now,
      }),
    );
    const { createItemLinking } = await import('../../src/domain/items/item-linking.js');
    const linking = createItemLinking({ db: h.db, plaid: h.plaid, cipher });
    for (const count of [4, 2]) {
      const person: Person = { userId: await h.newUser(), items: [] };
      for (const institutionId of INSTITUTIONS.slice(0, count)) {
        const linked = await linking.linkItem({
          userId: person.userId,
          publicToken: await h.publicToken({ institutionId }),
        });
        person.items.push({ id: linked.id, plaidItemId: linked.plaidItemId });
      }
      people.push(person);
    }
  });
  afterAll(async () => {
    await second?.close();
    await h?.close();
  });

  it(`should hold every figure equal to the ground truth after ${BURSTS} bursts of simultaneous syncs`, async () => {
    for (let burst = 0; burst < BURSTS; burst++) {
      if (burst > 0) await h.advance(3);
      const before = await Promise.all(people.map((p) => refreshCount(h.db, p.userId)));
      // Every item of both people at once, alternating between the two workers, two at a time each.
      const jobs = people.flatMap((p) => p.items.map((item) => ({ userId: p.userId, itemId: item.id })));
      const results = await Promise.all(
        jobs.map((job, i) => workers[i % 2]!.syncItem(job.userId, job.itemId, { trigger: 'manual' })),
      );
      for (const result of results) {
        expect(result.status, JSON.stringify(result.products)).toBe('succeeded');
        expect(['refreshed', 'covered', 'deferred']).toContain(result.analytics);
      }

      const today = h.clock.now.toISOString().slice(0, 10);
      for (const [index, person] of people.entries()) {
        const truths = await Promise.all(person.items.map((item) => h.groundTruth(item.plaidItemId)));
        const expected = cashflowTruth(truths);
        expect(await ourCashflow(h.db, person.userId, 'cashflow_daily'), `burst ${burst}`).toEqual(expected);
        expect(await ourCashflow(h.db, person.userId, 'cashflow_monthly'), `burst ${burst}`).toEqual(
          expected,
        );
        expect(await ourNetWorthOn(h.db, person.userId, today), `burst ${burst}`).toEqual(
          netWorthTruth(truths),
        );
        const refreshes = (await refreshCount(h.db, person.userId)) - before[index]!;
        expect(refreshes, `refreshes of person ${index} in burst ${burst}`).toBeGreaterThanOrEqual(1);
        expect(refreshes, `refreshes of person ${index} in burst ${burst}`).toBeLessThanOrEqual(2);
      }
      // A transfer leg is paired with exactly one other leg, and the pairing is mutual.
      const [broken] = await selectRows<{ n: number }>(
        h.db,
        sql`select count(*)::int as n from transactions t
            left join transactions o on o.id = t.transfer_pair_id and o.transfer_pair_id = t.id
            where t.transfer_pair_id is not null and o.id is null`,
      );
      expect(broken?.n).toBe(0);
    }
  });
});
