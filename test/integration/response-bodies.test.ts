import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectRows } from '../../src/db/client.js';
import { accounts, plaidItems } from '../../src/db/schema/index.js';
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

  it('serves accounts and items with odd data that conform to the published OpenAPI schemas', async () => {
    const doc = t.app.swagger() as Record<string, unknown>;
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    ajv.addSchema(doc, 'openapi');
    const validatorOf = (route: string) =>
      ajv.compile({
        $ref: `openapi#/paths/${route.replaceAll('/', '~1')}/get/responses/200/content/application~1json/schema`,
      });
    const check = async (route: string, url: string) => {
      const validate = validatorOf(route);
      const res = await t.app.inject({ url, headers: bearer(token) });
      expect(res.statusCode, res.body).toBe(200);
      const body: unknown = res.json();
      expect(validate(body), `${url}: ${ajv.errorsText(validate.errors)}\n${res.body}`).toBe(true);
      return body;
    };
    // Items with no institution, every status, and last errors of every shape the column has held.
    const lastErrors: unknown[] = [
      null,
      { errorCode: 'ITEM_LOGIN_REQUIRED', errorType: 'ITEM_ERROR', errorMessage: 'the login changed' },
      { error_code: 'INSTITUTION_DOWN', error_type: 'INSTITUTION_ERROR', error_message: null },
      { kind: 'internal', retryable: true },
      { kind: 'internal' },
      { errorCode: 42 },
      { errorCode: '' },
      'a string',
      ['an', 'array'],
      { errorCode: 'PRODUCT_NOT_READY', errorType: 'ITEM_ERROR', errorMessage: 'x'.repeat(5000) },
    ];
    const statuses = ['good', 'login_required', 'pending_expiration', 'revoked', 'error'] as const;
    const itemIds: string[] = [];
    for (const [i, lastError] of lastErrors.entries()) {
      const [item] = await db()
        .insert(plaidItems)
        .values({
          userId,
          plaidItemId: `item_odd_${i}_${userId}`,
          institutionId: i % 2 === 0 ? null : 'ins_109508',
          accessTokenCiphertext: 'not-a-real-token',
          accessTokenKeyId: 'test',
          status: statuses[i % statuses.length]!,
          products: i % 3 === 0 ? [] : ['transactions', 'investments'],
          lastError,
          lastSyncedAt: i % 2 === 0 ? null : new Date(),
          consentExpiresAt: i % 4 === 0 ? new Date('2030-01-01T00:00:00Z') : null,
          newAccountsAvailableAt: i % 3 === 1 ? new Date() : null,
        })
        .returning();
      itemIds.push(item!.id);
    }
    // Accounts with no balances, unofficial or no currency, extreme amounts, unknown types.
    const odd: Partial<typeof accounts.$inferInsert>[] = [
      { currentBalance: null, availableBalance: null, creditLimit: null },
      { isoCurrencyCode: null, unofficialCurrencyCode: 'BTC', currentBalance: '0.00012345' },
      { isoCurrencyCode: null, unofficialCurrencyCode: null, currentBalance: '-0.0000' },
      { currentBalance: '9999999999999999.9999', availableBalance: '-9999999999999999.9999' },
      { type: 'brokerage-of-the-future', subtype: null, mask: null, officialName: null },
      { name: 'Épargne 📈 東京', creditLimit: '1500', balancesAsOf: null },
    ];
    const accountIds: string[] = [];
    for (const [i, values] of odd.entries()) {
      const [row] = await db()
        .insert(accounts)
        .values({
          userId,
          itemId: itemIds[i % itemIds.length]!,
          plaidAccountId: `acc_odd_${i}_${userId}`,
          name: `Odd ${i}`,
          type: 'depository',
          isoCurrencyCode: 'USD',
          ...values,
        })
        .returning();
      accountIds.push(row!.id);
    }
    await check('/v1/accounts', '/v1/accounts');
    for (const id of accountIds) await check('/v1/accounts/{id}', `/v1/accounts/${id}`);
    await check('/v1/items', '/v1/items');
    for (const id of itemIds) await check('/v1/items/{id}', `/v1/items/${id}`);
    // An empty {id} is the list route (ignoreTrailingSlash): its body is the list's, not one account's or
    // item's. That, not a bad body, is what a fuzzer filling {id} with '' sees (issue 11, defect 7).
    await check('/v1/accounts', '/v1/accounts/');
    await check('/v1/items', '/v1/items/');
    for (const id of [accountIds[0]!.toUpperCase(), `${accountIds[0]!}/`])
      expect(
        ((await check('/v1/accounts/{id}', `/v1/accounts/${id}`)) as { data: { id: string } }).data.id,
      ).toBe(accountIds[0]);
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
