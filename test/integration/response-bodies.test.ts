import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectRows } from '../../src/db/client.js';
import { netWorthPointJson } from '../../src/domain/analytics/net-worth.js';
import { addDays } from '../../src/lib/dates.js';
import { fromUnits } from '../../src/lib/money.js';
import { generateDataset, insertDataset } from '../factories/finance-dataset.js';
import { bearer, newAccessToken, newUser } from '../factories/users.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { databaseKinds } from '../helpers/database.js';

/**
 * The read paths that PostgreSQL renders (transactions, and the net-worth points the materializer renders) must
 * write exactly what the TypeScript formatters and the published response schemas say.
 */
describe.each(databaseKinds())('response bodies and rendered net-worth points on %s', (kind) => {
  let t: TestApp;
  let token: string;
  let userId: string;
  let today: string;

  beforeAll(async () => {
    t = await buildTestApp(kind);
    const { user } = await newUser(t.app);
    userId = user.id;
    const dataset = generateDataset(5);
    today = dataset.today;
    await insertDataset(t.database.handle.db, user.id, dataset);
    await t.app.services.materializers.refreshUserAnalytics(user.id);
    token = (await newAccessToken(t.app, user.id, { scope: 'read' })).token;
  });
  afterAll(async () => {
    await t?.close();
  });

  const db = () => t.database.handle.db;

  it('serves bodies that conform to the published OpenAPI schemas', async () => {
    const doc = t.app.swagger() as Record<string, unknown>;
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    ajv.addSchema(doc, 'openapi');
    const check = (route: string, url: string) => {
      const pointer = `openapi#/paths/${route.replaceAll('/', '~1')}/get/responses/200/content/application~1json/schema`;
      const validate = ajv.compile({ $ref: pointer });
      return async () => {
        const res = await t.app.inject({ url, headers: bearer(token) });
        expect(res.statusCode, res.body).toBe(200);
        expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
        const body: unknown = res.json();
        expect(validate(body), `${url}: ${ajv.errorsText(validate.errors)}`).toBe(true);
        return body;
      };
    };
    const start = addDays(today, -200);
    for (const url of [
      '/v1/transactions?limit=500',
      '/v1/transactions?limit=3&direction=out',
      '/v1/transactions?q=zzz-nothing-matches',
    ])
      await check('/v1/transactions', url)();
    for (const interval of ['day', 'week', 'month'])
      await check(
        '/v1/net-worth',
        `/v1/net-worth?start_date=${start}&end_date=${today}&interval=${interval}`,
      )();
  });

  it('gives a daily history equal to the materialized days, in order, across whole and partial months', async () => {
    const days = await selectRows<{ currency: string; date: string; point_json: string }>(
      db(),
      sql`select currency, to_char(date, 'YYYY-MM-DD') as date, point_json from net_worth_daily
          where user_id = ${userId} order by currency, date`,
    );
    expect(days.length).toBeGreaterThan(100);
    // Ranges that start and end inside months, on month edges, inside one month, and on a single day.
    const ranges: [string, string][] = [
      [addDays(today, -200), today],
      [addDays(today, -95), addDays(today, -40)],
      [days[0]!.date, today],
      [addDays(today, -3), addDays(today, -1)],
      [today, today],
    ];
    for (const [start, end] of ranges) {
      const res = await t.app.inject({
        url: `/v1/net-worth?start_date=${start}&end_date=${end}&interval=day`,
        headers: bearer(token),
      });
      const points = res.json<{ history: { points: unknown[] } }>().history.points;
      const expected = days
        .filter((d) => d.date >= start && d.date <= end)
        .map((d) => JSON.parse(d.point_json));
      expect(points, `${start}..${end}`).toEqual(expected);
    }
  });

  it('backfills points in migration 0008 exactly as the materializer renders them', async () => {
    const migration = readFileSync(
      path.join(import.meta.dirname, '../../drizzle/0008_net_worth_points.sql'),
      'utf8',
    );
    const statements = migration.split('--> statement-breakpoint').map((s) => s.trim());
    const backfill = statements.find((s) => /^(--.*\n)*UPDATE "net_worth_daily"/.test(s))!;
    const monthly = statements.find((s) => /^INSERT INTO "net_worth_points_monthly"/.test(s))!;
    expect(backfill).toBeTruthy();
    expect(monthly).toBeTruthy();
    const snapshot = async () => ({
      daily: await selectRows<{ point_json: string }>(
        db(),
        sql`select point_json from net_worth_daily where user_id = ${userId} order by currency, date`,
      ),
      monthly: await selectRows<{ points: string }>(
        db(),
        sql`select points from net_worth_points_monthly where user_id = ${userId} order by currency, month`,
      ),
    });
    // Besides the materialized days, odd amounts (any scale, negative, zero) in a currency of their own.
    const amount = fc.oneof(
      fc.bigInt({ min: -(10n ** 19n) + 1n, max: 10n ** 19n - 1n }),
      fc.bigInt({ min: -100_000n, max: 100_000n }),
    );
    const odd = fc
      .sample(fc.tuple(amount, amount, amount, fc.boolean()), 300)
      .map(([a, l, n, estimated], i) => ({
        currency: 'ZZZ',
        date: addDays('2020-01-01', i),
        assets: fromUnits(a),
        liabilities: fromUnits(l),
        netWorth: fromUnits(n),
        estimated,
      }));
    for (const day of odd) {
      await db().execute(
        sql`insert into net_worth_daily (user_id, currency, date, assets, liabilities, net_worth, estimated, point_json)
            values (${userId}, ${day.currency}, ${day.date}, ${day.assets}, ${day.liabilities}, ${day.netWorth},
                    ${day.estimated}, ${netWorthPointJson(day)})`,
      );
    }
    await db().execute(sql`delete from net_worth_points_monthly where user_id = ${userId}`);
    await db().execute(sql.raw(monthly));
    const rendered = await snapshot();
    expect(rendered.daily.length).toBeGreaterThan(odd.length);
    await db().execute(sql`update net_worth_daily set point_json = '' where user_id = ${userId}`);
    await db().execute(sql`delete from net_worth_points_monthly where user_id = ${userId}`);
    await db().execute(sql.raw(backfill));
    await db().execute(sql.raw(monthly));
    expect(await snapshot()).toEqual(rendered);
  });
});
