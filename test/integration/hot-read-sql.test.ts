/**
 * The SQL each hot read sends to PostgreSQL, as a snapshot (issue 17): the statements of one computed
 * answer (READ_CACHE_SECONDS=0) after a warm-up request, in order, parameters left out. A new round trip,
 * a changed join or a lost index condition shows in review as a change of
 * test/integration/__snapshots__/hot-read-sql.test.ts.snap; update it on purpose with
 * `npx vitest run test/integration/hot-read-sql.test.ts -u`.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDataset, insertDataset } from '../factories/finance-dataset.js';
import { bearer, newAccessToken, newUser } from '../factories/users.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { databaseKinds } from '../helpers/database.js';

const HOT_READS = [
  '/v1/accounts',
  '/v1/transactions?limit=50',
  '/v1/cashflow/summary',
  '/v1/net-worth?start_date=2024-01-01&interval=month',
  '/v1/net-worth?interval=day',
  '/v1/holdings',
];

/** Every statement a node-postgres client sends while `work` runs (text only, whitespace folded). */
async function statementsDuring(work: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const original = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const [query] = args;
    const text =
      typeof query === 'string' ? query : ((query as { text?: string } | undefined)?.text ?? '(unknown)');
    seen.push(text.replace(/\s+/g, ' ').trim());
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  try {
    await work();
  } finally {
    pg.Client.prototype.query = original;
  }
  return seen;
}

const servers = databaseKinds().filter((kind) => kind === 'postgres');

describe.each(servers)('the SQL of the hot reads on %s', (kind) => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await buildTestApp(kind, { READ_CACHE_SECONDS: '0' });
    const { user } = await newUser(t.app);
    await insertDataset(t.database.handle.db, user.id, generateDataset(17, { days: 400 }));
    await t.app.services.materializers.refreshUserAnalytics(user.id);
    token = (await newAccessToken(t.app, user.id, { scope: 'read' })).token;
  });
  afterAll(async () => {
    await t?.close();
  });

  it.each(HOT_READS)('%s', async (url) => {
    const ask = async () => {
      const res = await t.app.inject({ url, headers: bearer(token) });
      expect(res.statusCode, res.body).toBe(200);
    };
    await ask(); // the token and item-health caches warm up: what follows is what every request costs
    const statements = await statementsDuring(ask);
    expect(statements.length).toBeGreaterThan(0);
    expect(statements).toMatchSnapshot();
  });
});
