import { sql, type SQL } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import type { Database } from '../../src/db/client.js';
import { generateDataset, insertDataset } from '../factories/finance-dataset.js';
import { bearer, newAccessToken, newUser } from '../factories/users.js';
import { buildTestApp, buildTwoInstances, type TestApp } from '../helpers/app.js';
import { databaseKinds, unannounced } from '../helpers/database.js';
import { until } from '../helpers/wait.js';

const QUESTIONS = [
  '/v1/transactions?limit=5',
  '/v1/cashflow/summary',
  '/v1/net-worth?interval=week',
  '/v1/holdings',
  '/v1/recurring',
];

/** The body without `as_of` (always the time of the request). */
async function answer(app: App, token: string, url: string): Promise<Record<string, unknown>> {
  const res = await app.inject({ url, headers: bearer(token) });
  expect(res.statusCode, res.body).toBe(200);
  const { as_of: asOf, ...rest } = res.json<Record<string, unknown>>();
  expect(Date.now() - Date.parse(String(asOf))).toBeLessThan(5_000);
  return rest;
}

async function userWithData(app: App, db: Database, seed: number) {
  const { user } = await newUser(app);
  await insertDataset(db, user.id, generateDataset(seed, { days: 120 }));
  await app.services.materializers.refreshUserAnalytics(user.id);
  const { token } = await newAccessToken(app, user.id, { scope: 'read' });
  return { userId: user.id, token };
}

/** Makes the newest transaction of the user 1,000.00 larger, announced (a trigger fires) or not. */
function bumpNewest(userId: string): SQL {
  return sql`update transactions set amount = amount + 1000
             where id = (select id from transactions where user_id = ${userId} order by date desc, id desc limit 1)`;
}

describe.each(databaseKinds())('rendered read answers on %s', (kind) => {
  let t: TestApp;
  const db = () => t.database.handle.db;
  beforeAll(async () => {
    t = await buildTestApp(kind, { READ_CACHE_SECONDS: '3600' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers the same question from memory until the data changes, with a fresh as_of', async () => {
    const { userId, token } = await userWithData(t.app, db(), 41);
    const first = await Promise.all(QUESTIONS.map((url) => answer(t.app, token, url)));
    // Changed without telling anyone: the cached answers stay (which proves they come from memory).
    await unannounced(db(), bumpNewest(userId));
    expect(await Promise.all(QUESTIONS.map((url) => answer(t.app, token, url)))).toEqual(first);
    // An announced change (any statement on the read model's tables) drops every answer.
    await db().execute(sql`update transactions set user_note = 'seen' where user_id = ${userId}`);
    await until(
      'the change to be heard',
      async () => !equal(await answer(t.app, token, QUESTIONS[0]!), first[0]),
      5_000,
      20,
    );
  });

  it('keeps the accounts answer until an account changes, and shows an item change at once', async () => {
    const { userId, token } = await userWithData(t.app, db(), 44);
    const first = await answer(t.app, token, '/v1/accounts');
    const balance = (body: Record<string, unknown>) =>
      (body.data as { balances: { current: string | null } }[]).map((a) => a.balances.current);
    // Unannounced: the cached answer stays (it comes from memory).
    await unannounced(
      db(),
      sql`update accounts set current_balance = current_balance + 1 where user_id = ${userId}`,
    );
    expect(await answer(t.app, token, '/v1/accounts')).toEqual(first);
    // An item's status change (announced to the item-health listener) shows on the next read.
    await db().execute(sql`update plaid_items set status = 'login_required' where user_id = ${userId}`);
    await until(
      'the item change to be heard',
      async () =>
        ((await answer(t.app, token, '/v1/accounts')).data as { item_health: string }[]).every(
          (a) => a.item_health === 'login_required',
        ),
      5_000,
      20,
    );
    // …recomputed: it also holds the balances written meanwhile.
    const second = await answer(t.app, token, '/v1/accounts');
    expect(balance(second)).not.toEqual(balance(first));
    expect((second.data as { stale: boolean }[]).every((a) => a.stale)).toBe(true);
    // An announced account change drops it too.
    await db().execute(
      sql`update accounts set current_balance = current_balance + 1 where user_id = ${userId}`,
    );
    await until(
      'the account change to be heard',
      async () => !equal(balance(await answer(t.app, token, '/v1/accounts')), balance(second)),
      5_000,
      20,
    );
  });

  it('never gives one user the answer of another to the same question', async () => {
    const alice = await userWithData(t.app, db(), 42);
    const bob = await userWithData(t.app, db(), 43);
    for (const url of QUESTIONS) {
      const a = await answer(t.app, alice.token, url);
      const b = await answer(t.app, bob.token, url);
      expect(a, url).not.toEqual(b);
      expect(await answer(t.app, alice.token, url), url).toEqual(a);
    }
  });

  it('forgets only the answers of the person whose data changed', async () => {
    const alice = await userWithData(t.app, db(), 45);
    const bob = await userWithData(t.app, db(), 46);
    const before = await Promise.all(
      [alice, bob].map((p) => Promise.all(QUESTIONS.map((url) => answer(t.app, p.token, url)))),
    );
    // Both change unannounced; then a statement announces Alice's rows only.
    await unannounced(db(), bumpNewest(alice.userId));
    await unannounced(db(), bumpNewest(bob.userId));
    await db().execute(sql`update transactions set user_note = 'seen' where user_id = ${alice.userId}`);
    await until(
      'Alice’s change to be heard',
      async () => !equal(await answer(t.app, alice.token, QUESTIONS[0]!), before[0]![0]),
      5_000,
      20,
    );
    // Bob's answers were not forgotten: still the ones from before his unannounced change.
    expect(await Promise.all(QUESTIONS.map((url) => answer(t.app, bob.token, url)))).toEqual(before[1]);
    // A write that names nobody (TRUNCATE of a read-model table) forgets everyone's.
    await db().execute(sql`truncate net_worth_points_monthly`);
    await until(
      'the truncate to be heard',
      async () => !equal(await answer(t.app, bob.token, QUESTIONS[0]!), before[1]![0]),
      5_000,
      20,
    );
  });

  it('computes every answer with READ_CACHE_SECONDS=0', async () => {
    const off = await buildTestApp(kind, { READ_CACHE_SECONDS: '0' });
    try {
      const { userId, token } = await userWithData(off.app, off.database.handle.db, 44);
      const before = await answer(off.app, token, QUESTIONS[0]!);
      await unannounced(off.database.handle.db, bumpNewest(userId));
      expect(await answer(off.app, token, QUESTIONS[0]!)).not.toEqual(before);
    } finally {
      await off.close();
    }
  });
});

function equal(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

describe.runIf(databaseKinds().includes('postgres'))('rendered read answers across API processes', () => {
  const env = { READ_CACHE_SECONDS: '3600' }; // only a notification can end a cached answer early
  let a: TestApp;
  let b: TestApp;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ a, b, close } = await buildTwoInstances(env));
  });
  afterAll(async () => {
    await close?.();
  });

  it('an instance drops its answers when another process writes the data', async () => {
    const { userId, token } = await userWithData(a.app, a.database.handle.db, 45);
    const before = await answer(b.app, token, QUESTIONS[0]!);
    await a.database.handle.db.execute(bumpNewest(userId));
    await until(
      'instance B to answer from the new data',
      async () => !equal(await answer(b.app, token, QUESTIONS[0]!), before),
      5_000,
      20,
    );
  });
});
