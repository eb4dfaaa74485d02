import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { App } from '../../src/app.js';
import type { Database } from '../../src/db/client.js';
import { generateDataset, insertDataset } from '../factories/finance-dataset.js';
import { bearer, newAccessToken, newUser } from '../factories/users.js';
import { buildTestApp, buildTwoInstances, type TestApp } from '../helpers/app.js';
import { databaseKinds, unannounced } from '../helpers/database.js';
import { until } from '../helpers/wait.js';

interface Freshness {
  stale: boolean;
  items: {
    item_id: string;
    status: string;
    last_synced_at: string | null;
    institution_name: string | null;
  }[];
}

async function freshness(app: App, token: string): Promise<Freshness> {
  const res = await app.inject({ url: '/v1/transactions?limit=1', headers: bearer(token) });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ freshness: Freshness }>().freshness;
}

/** A user with one linked item (synced now) and a read token. */
async function userWithItem(app: App, db: Database) {
  const { user } = await newUser(app);
  await insertDataset(db, user.id, generateDataset(3, { days: 30 }));
  const { token } = await newAccessToken(app, user.id, { scope: 'read' });
  const [item] = (
    (await db.execute(sql`select id from plaid_items where user_id = ${user.id}`)) as unknown as {
      rows: { id: string }[];
    }
  ).rows;
  return { userId: user.id, token, itemId: item!.id };
}

describe.each(databaseKinds())('freshness (item health) cache on %s', (kind) => {
  let t: TestApp;
  const db = () => t.database.handle.db;
  beforeAll(async () => {
    t = await buildTestApp(kind, { FRESHNESS_CACHE_SECONDS: '3600' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('serves a user’s item health from memory, even after the item changes unannounced', async () => {
    expect(t.app.services.itemHealth.serving).toBe(true);
    const { token, itemId } = await userWithItem(t.app, db());
    const before = await freshness(t.app, token);
    expect(before.items[0]).toMatchObject({ item_id: itemId, status: 'good' });
    await unannounced(db(), sql`update plaid_items set status = 'login_required' where id = ${itemId}`);
    expect(await freshness(t.app, token)).toEqual(before);
  });

  it('shows a sync, a status change, a new item and a renamed institution on the next read', async () => {
    const { userId, token, itemId } = await userWithItem(t.app, db());
    await freshness(t.app, token); // cached
    await db().execute(
      sql`update plaid_items set last_synced_at = now() - interval '3 days' where id = ${itemId}`,
    );
    await until('the sync time to be heard', async () => (await freshness(t.app, token)).stale, 5_000, 20);

    await db().execute(
      sql`update plaid_items set status = 'error', last_synced_at = now() where id = ${itemId}`,
    );
    await until(
      'the status change to be heard',
      async () => (await freshness(t.app, token)).items[0]!.status === 'error',
      5_000,
      20,
    );

    await db().execute(
      sql`insert into plaid_items (user_id, plaid_item_id, institution_id, access_token_ciphertext, access_token_key_id, status, last_synced_at)
          select user_id, plaid_item_id || '-2', institution_id, access_token_ciphertext, access_token_key_id, 'good', now()
          from plaid_items where id = ${itemId}`,
    );
    await until(
      'the new item to be heard',
      async () => (await freshness(t.app, token)).items.length === 2,
      5_000,
      20,
    );

    const [institution] = (
      (await db().execute(
        sql`select institution_id as id from plaid_items where user_id = ${userId} limit 1`,
      )) as unknown as { rows: { id: string }[] }
    ).rows;
    await db().execute(sql`update institutions set name = 'Renamed Bank' where id = ${institution!.id}`);
    await until(
      'the renamed institution to be heard',
      async () => (await freshness(t.app, token)).items.every((i) => i.institution_name === 'Renamed Bank'),
      5_000,
      20,
    );
  });

  it('is not told of lease renewals and other bookkeeping', async () => {
    const cache = t.app.services.itemHealth;
    const forget = vi.spyOn(cache, 'forget');
    const forgetAll = vi.spyOn(cache, 'forgetAll');
    try {
      const { userId, token, itemId } = await userWithItem(t.app, db());
      // A marker user: each change to its items announces its id. The listener hears the announcements
      // in commit order, so once a marker's is heard, so is any announced by a change committed before.
      const { user: marker } = await newUser(t.app);
      const heard = (from: number) => async () =>
        forget.mock.calls.slice(from).some(([key]) => key === marker.id);
      await db().execute(
        sql`insert into plaid_items (user_id, plaid_item_id, institution_id, access_token_ciphertext, access_token_key_id, status, last_synced_at)
            select ${marker.id}::uuid, plaid_item_id || '-marker', institution_id, access_token_ciphertext, access_token_key_id, 'good', now()
            from plaid_items where id = ${itemId}`,
      );
      await until('the marker’s new item to be heard', heard(0), 5_000, 20);
      // Every announcement of the setup has been heard: this read stays cached.
      await freshness(t.app, token);
      expect(cache.get(userId)).toBeDefined();
      const seen = forget.mock.calls.length;
      const seenAll = forgetAll.mock.calls.length;
      const size = cache.size;
      const generation = cache.generation();

      await db().execute(sql`update plaid_items set updated_at = now() where id = ${itemId}`);
      await db().execute(sql`update plaid_items set status = 'error' where user_id = ${marker.id}`);
      await until('the marker’s status change to be heard', heard(seen), 5_000, 20);
      // Only the marker was announced: nothing about the bookkeeping update came before it.
      expect(forget.mock.calls.slice(seen)).toEqual([[marker.id]]);
      expect(forgetAll.mock.calls.length).toBe(seenAll);
      expect(cache.generation()).toBe(generation + 1);
      expect(cache.size).toBe(size);
      expect(cache.get(userId)).toBeDefined();
    } finally {
      forget.mockRestore();
      forgetAll.mockRestore();
    }
  });

  it('reads the database on every request with FRESHNESS_CACHE_SECONDS=0', async () => {
    const off = await buildTestApp(kind, { FRESHNESS_CACHE_SECONDS: '0' });
    try {
      const { token, itemId } = await userWithItem(off.app, off.database.handle.db);
      await freshness(off.app, token);
      await unannounced(
        off.database.handle.db,
        sql`update plaid_items set status = 'login_required' where id = ${itemId}`,
      );
      expect((await freshness(off.app, token)).items[0]!.status).toBe('login_required');
      expect(off.app.services.itemHealth.serving).toBe(false);
    } finally {
      await off.close();
    }
  });
});

describe.runIf(databaseKinds().includes('postgres'))('item health across API processes', () => {
  const env = { FRESHNESS_CACHE_SECONDS: '3600' }; // only a notification can end a cached entry early
  let a: TestApp;
  let b: TestApp;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ a, b, close } = await buildTwoInstances(env));
  });
  afterAll(async () => {
    await close?.();
  });

  it('an instance shows what a sync committed through another instance', async () => {
    const { token, itemId } = await userWithItem(a.app, a.database.handle.db);
    expect((await freshness(b.app, token)).stale).toBe(false);
    expect(b.app.services.itemHealth.size).toBeGreaterThan(0);
    await a.database.handle.db.execute(
      sql`update plaid_items set last_synced_at = now() - interval '2 days' where id = ${itemId}`,
    );
    await until(
      'instance B to see the stale item',
      async () => (await freshness(b.app, token)).stale,
      5_000,
      20,
    );
  });

  it('an instance forgets the items of a deleted user', async () => {
    const { userId, token } = await userWithItem(a.app, a.database.handle.db);
    await freshness(b.app, token);
    const generation = b.app.services.itemHealth.generation();
    await a.database.handle.db.execute(sql`delete from users where id = ${userId}`);
    await until(
      'instance B to hear the deletion',
      async () => b.app.services.itemHealth.generation() > generation,
      5_000,
      20,
    );
  });
});
