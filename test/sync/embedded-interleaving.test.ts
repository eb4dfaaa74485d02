/**
 * Embedded mode has ONE database connection (src/db/client.ts): a sync that held a database transaction
 * for a whole /transactions/sync update made every other person's query wait until it ended. On PGlite
 * the update is fetched whole, then applied one page per transaction (src/domain/sync/service.ts,
 * fetchThenApplyPageByPage). These tests hold A's sync in the middle (while fetching, then between two
 * applied pages) and read B's data meanwhile: the read must finish while A's sync is still held. Order
 * and progress only, never timing: on the old code the read waits for the held sync, which waits for
 * the read, and the test times out.
 */
import { randomBytes } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { selectRows } from '../../src/db/client.js';
import { createRepositories } from '../../src/db/repositories/index.js';
import { plaidItems } from '../../src/db/schema/index.js';
import { createAnalyticsMaterializers } from '../../src/domain/analytics/materializers.js';
import { createAccessTokenCipher, keyIdOf } from '../../src/domain/items/access-token-cipher.js';
import { createItemLinking } from '../../src/domain/items/item-linking.js';
import { createSyncService, EMBEDDED_SYNC_PAGE_SIZE } from '../../src/domain/sync/service.js';
import { startSyncHarness, START, type SyncHarness } from './support.js';

/** Enough for several pages of EMBEDDED_SYNC_PAGE_SIZE. */
const A_TRANSACTIONS = EMBEDDED_SYNC_PAGE_SIZE * 6 + 23;

interface Gate {
  /** Resolves when the held code reached the gate. */
  reached: Promise<void>;
  /** Lets the held code go on. */
  open(): void;
  /** Called by the held code: waits until opened. */
  pass(): Promise<void>;
}

function gate(): Gate {
  let reached!: () => void;
  let open!: () => void;
  const reachedPromise = new Promise<void>((resolve) => (reached = resolve));
  const opened = new Promise<void>((resolve) => (open = resolve));
  return {
    reached: reachedPromise,
    open,
    pass: async () => {
      reached();
      await opened;
    },
  };
}

describe('embedded PGlite: another person reads while a long sync runs', () => {
  let h: SyncHarness;

  beforeEach(async () => {
    h = await startSyncHarness('pglite');
  });
  afterEach(async () => {
    await h.close();
  });

  /** B with a synced item, A with a linked item of A_TRANSACTIONS; a sync service whose page writes can be held. */
  async function twoPeople(hold: { afterPage?: (index: number) => Promise<void> }) {
    const key = randomBytes(32).toString('base64');
    const cipher = createAccessTokenCipher([{ id: keyIdOf(key), keyBase64: key }], keyIdOf(key));
    const linking = createItemLinking({ db: h.db, plaid: h.plaid, cipher });
    const repositories = createRepositories(h.db);
    const applied = new Map<string, number>(); // pages applied, per person
    const syncData = {
      ...repositories.syncData,
      applyStoredTransactionsPage: async (
        ...args: Parameters<typeof repositories.syncData.applyStoredTransactionsPage>
      ) => {
        await repositories.syncData.applyStoredTransactionsPage(...args);
        const index = applied.get(args[0].userId) ?? 0;
        applied.set(args[0].userId, index + 1);
        await hold.afterPage?.(index);
      },
    };
    const sync = createSyncService({
      db: h.db,
      repositories: { ...repositories, syncData },
      plaid: h.plaid,
      cipher,
      materializers: createAnalyticsMaterializers({ db: h.db, now: () => START }),
      now: () => h.clock.now,
    });

    const userB = await h.newUser();
    const itemB = await linking.linkItem({
      userId: userB,
      publicToken: await h.publicToken({ institutionId: 'ins_109509' }),
    });
    expect((await sync.syncItem(userB, itemB.id, { trigger: 'link' })).status).toBe('succeeded');
    const readB = () =>
      selectRows<{ n: number }>(
        h.db,
        sql`select count(*)::int as n from transactions where user_id = ${userB}`,
      );
    const [before] = await readB();
    expect(before!.n).toBeGreaterThan(0);

    const userA = await h.newUser();
    const itemA = await linking.linkItem({ userId: userA, publicToken: await h.publicToken() });
    const truth = await h.groundTruth(itemA.plaidItemId);
    await h.control('POST', `/__emulator/items/${itemA.plaidItemId}/transactions/generate`, {
      count: A_TRANSACTIONS - truth.transactions.length,
    });
    const countA = async () =>
      (
        await selectRows<{ n: number }>(
          h.db,
          sql`select count(*)::int as n from transactions where user_id = ${userA}`,
        )
      )[0]!.n;
    const cursorA = async () =>
      (
        await h.db
          .select({ cursor: plaidItems.transactionsCursor })
          .from(plaidItems)
          .where(and(eq(plaidItems.userId, userA), eq(plaidItems.id, itemA.id)))
      )[0]!.cursor;
    return { sync, userA, itemA, readB, bCount: before!.n, countA, cursorA };
  }

  it('should answer another person while the sync is between two Plaid pages', async () => {
    const held = gate();
    const people = await twoPeople({});
    // Set after B's sync: A's second /transactions/sync call is held.
    let transactionsCalls = 0;
    h.hooks.beforeCall = async (endpoint) => {
      if (endpoint === 'transactionsSync' && ++transactionsCalls === 2) await held.pass();
    };

    let syncDone = false;
    const syncA = people.sync.syncItem(people.userA, people.itemA.id, { trigger: 'link' }).then((r) => {
      syncDone = true;
      return r;
    });
    await held.reached;
    const [b] = await people.readB();
    expect(b!.n).toBe(people.bCount);
    expect(syncDone).toBe(false); // B's read finished while A's sync was held
    expect(await people.cursorA()).toBeNull();

    held.open();
    const result = await syncA;
    expect(result.status).toBe('succeeded');
    expect(await people.countA()).toBe(A_TRANSACTIONS);
    expect(await people.cursorA()).not.toBeNull();
  });

  it('should commit each page on its own and the cursor only with the last page', async () => {
    const held = gate();
    const hold: { afterPage?: (index: number) => Promise<void> } = {};
    const people = await twoPeople(hold);
    // Set after B's sync: only A's pages are held (index counts A's pages).
    hold.afterPage = async (index) => {
      if (index === 1) await held.pass();
    };

    let syncDone = false;
    const syncA = people.sync.syncItem(people.userA, people.itemA.id, { trigger: 'link' }).then((r) => {
      syncDone = true;
      return r;
    });
    await held.reached;
    // Two whole pages are visible, the cursor is still the original one, and B reads meanwhile.
    expect(await people.countA()).toBe(2 * EMBEDDED_SYNC_PAGE_SIZE);
    expect(await people.cursorA()).toBeNull();
    const [b] = await people.readB();
    expect(b!.n).toBe(people.bCount);
    expect(syncDone).toBe(false);

    held.open();
    expect((await syncA).status).toBe('succeeded');
    expect(await people.countA()).toBe(A_TRANSACTIONS);
    expect(await people.cursorA()).not.toBeNull();
    const truth = await h.groundTruth(people.itemA.plaidItemId);
    const ids = await selectRows<{ id: string }>(
      h.db,
      sql`select plaid_transaction_id as id from transactions where user_id = ${people.userA}
           order by plaid_transaction_id collate "C"`,
    );
    expect(ids.map((r) => r.id)).toEqual(truth.transactions.map((t) => t.transaction_id).sort());
  });

  it('should finish a part-applied update at the next sync when the process stopped between two pages', async () => {
    const hold: { afterPage?: (index: number) => Promise<void> } = {};
    const people = await twoPeople(hold);
    // The process "stops" after A's second page is committed: the run fails there, the rest never applied.
    hold.afterPage = (index) => {
      if (index === 1) return Promise.reject(new Error('the process stopped between two pages'));
      return Promise.resolve();
    };
    const crashed = await people.sync.syncItem(people.userA, people.itemA.id, { trigger: 'link' });
    expect(crashed.status).not.toBe('succeeded');
    expect(await people.countA()).toBe(2 * EMBEDDED_SYNC_PAGE_SIZE);
    expect(await people.cursorA()).toBeNull();
    const [marker] = await selectRows<{
      pending: { cursorBefore: string | null; requestIds: string[] } | null;
    }>(h.db, sql`select transactions_pending as pending from plaid_items where id = ${people.itemA.id}`);
    expect(marker!.pending).toMatchObject({ cursorBefore: null });
    expect(marker!.pending!.requestIds.length).toBeGreaterThan(2);

    // Meanwhile the bank changes A's data (modifications, removals, additions): the changes are after the
    // update's last cursor, so only finishing the stored update and going on from there shows them all.
    for (let i = 0; i < 12; i++)
      await h.control('POST', `/__emulator/items/${people.itemA.plaidItemId}/mutate`, {});

    hold.afterPage = undefined;
    let transactionsCalls = 0;
    h.hooks.beforeCall = (endpoint) => {
      if (endpoint === 'transactionsSync') transactionsCalls++;
      return Promise.resolve();
    };
    const resumed = await people.sync.syncItem(people.userA, people.itemA.id, { trigger: 'manual' });
    expect(resumed.status).toBe('succeeded');
    // The stored pages were applied, not fetched again from the original cursor (that took 7+ pages).
    expect(transactionsCalls).toBe(1);
    const [after] = await selectRows<{ pending: unknown }>(
      h.db,
      sql`select transactions_pending as pending from plaid_items where id = ${people.itemA.id}`,
    );
    expect(after!.pending).toBeNull();
    const truth = await h.groundTruth(people.itemA.plaidItemId);
    const stored = await selectRows<{ id: string }>(
      h.db,
      sql`select plaid_transaction_id as id from transactions
           where user_id = ${people.userA} order by plaid_transaction_id collate "C"`,
    );
    expect(stored.map((r) => r.id)).toEqual(truth.transactions.map((t) => t.transaction_id).sort());
  });
});
