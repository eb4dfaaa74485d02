import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { hash, verify } from '@node-rs/argon2';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectRows } from '../../src/db/client.js';
import { CASHFLOW_MAX_PERIODS, NET_WORTH_MAX_PERIODS } from '../../src/domain/analytics/service.js';
import { addDays, addMonths, EARLIEST_DATE, LATEST_DATE, startOfMonth } from '../../src/lib/dates.js';
import { generateDataset, insertDataset } from '../factories/finance-dataset.js';
import { bearer, newAccessToken, newUser } from '../factories/users.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { databaseKinds } from '../helpers/database.js';

type Reply = { statusCode: number; headers: Record<string, unknown>; body: string; json: () => unknown };

/** A 400 problem+json naming `field`: never a 500, never a stack trace. */
function expectInvalid(res: Reply, field: string) {
  expect(res.statusCode, res.body).toBe(400);
  expect(String(res.headers['content-type'])).toContain('application/problem+json');
  const body = res.json() as { code: string; errors?: { field: string; message: string }[] };
  expect(body.code).toBe('VALIDATION_FAILED');
  expect(body.errors?.map((e) => e.field)).toContain(field);
  expect(res.body).not.toMatch(/\bat .*\.(ts|js):\d+/);
  return body;
}

/**
 * Hostile input (issue 11): every range is bounded, every date real, every string clean Unicode without
 * NUL, all refused with a 400 naming the parameter, at the schema layer, before any database work.
 */
describe.each(databaseKinds())('hostile input on %s', (kind) => {
  let t: TestApp;
  let token: string;
  let today: string;

  beforeAll(async () => {
    t = await buildTestApp(kind, { ALLOW_REGISTRATION: 'true', AUTH_RATE_LIMIT_PER_MINUTE: '10000' });
    const { user } = await newUser(t.app);
    const dataset = generateDataset(11, { days: 120 });
    today = dataset.today;
    await insertDataset(t.database.handle.db, user.id, dataset);
    await t.app.services.materializers.refreshUserAnalytics(user.id);
    token = (await newAccessToken(t.app, user.id)).token;
  });
  afterAll(async () => {
    await t?.close();
  });

  const get = (url: string) => t.app.inject({ url, headers: bearer(token) });

  describe('date ranges are bounded', () => {
    it('refuses 0001-01-01..9999-12-31 on every range route at once, naming the parameter', async () => {
      for (const route of ['/v1/cashflow/summary', '/v1/net-worth', '/v1/transactions']) {
        for (const interval of route === '/v1/transactions' ? [''] : ['&interval=week', '&interval=month']) {
          const res = await get(`${route}?start_date=0001-01-01&end_date=9999-12-31${interval}`);
          const body = expectInvalid(res, 'query.start_date');
          expect(body.errors!.map((e) => e.field)).toContain('query.end_date');
        }
      }
    });

    it('accepts the first and last allowed dates, and refuses the days just outside', async () => {
      const res = await get(`/v1/transactions?start_date=${EARLIEST_DATE}&end_date=${LATEST_DATE}&limit=1`);
      expect(res.statusCode, res.body).toBe(200);
      expectInvalid(
        await get(`/v1/transactions?start_date=${addDays(EARLIEST_DATE, -1)}`),
        'query.start_date',
      );
      expectInvalid(await get(`/v1/transactions?end_date=2200-01-01`), 'query.end_date');
    });

    it('caps cash flow at CASHFLOW_MAX_PERIODS periods per interval: the longest range answers every period', async () => {
      const end = today;
      const monthStart = addMonths(startOfMonth(end), -(CASHFLOW_MAX_PERIODS.month - 1));
      const ok = await get(`/v1/cashflow/summary?start_date=${monthStart}&end_date=${end}&interval=month`);
      expect(ok.statusCode, ok.body).toBe(200);
      const currencies = ok.json<{ currencies: { periods: unknown[] }[] }>().currencies;
      expect(currencies.length).toBeGreaterThan(0);
      for (const c of currencies) expect(c.periods).toHaveLength(CASHFLOW_MAX_PERIODS.month);
      const tooLong = `/v1/cashflow/summary?start_date=${addMonths(monthStart, -1)}&end_date=${end}&interval=month`;
      expectInvalid(await get(tooLong), 'query.start_date');

      const weekStart = addDays(end, -7 * CASHFLOW_MAX_PERIODS.week);
      expectInvalid(
        await get(`/v1/cashflow/summary?start_date=${weekStart}&end_date=${end}&interval=week`),
        'query.start_date',
      );
      const weeks = await get(
        `/v1/cashflow/summary?start_date=${addDays(weekStart, 14)}&end_date=${end}&interval=week`,
      );
      expect(weeks.statusCode, weeks.body).toBe(200);
    });

    it('caps net worth per interval, also when only start_date is given (end_date defaults to today)', async () => {
      const dayStart = addDays(today, -(NET_WORTH_MAX_PERIODS.day - 1));
      expect((await get(`/v1/net-worth?start_date=${dayStart}&end_date=${today}`)).statusCode).toBe(200);
      expectInvalid(
        await get(`/v1/net-worth?start_date=${addDays(dayStart, -1)}&end_date=${today}`),
        'query.start_date',
      );
      expectInvalid(await get(`/v1/net-worth?start_date=${addDays(dayStart, -1)}`), 'query.start_date');
      expectInvalid(await get(`/v1/cashflow/summary?start_date=${EARLIEST_DATE}`), 'query.start_date');
      // The same start is within the weekly cap.
      const weeks = await get(`/v1/net-worth?start_date=${addDays(dayStart, -1)}&interval=week`);
      expect(weeks.statusCode, weeks.body).toBe(200);
    });

    it('still names end_date when it is before start_date', async () => {
      expectInvalid(await get('/v1/net-worth?start_date=2025-02-01&end_date=2025-01-31'), 'query.end_date');
    });
  });

  describe('dates are real calendar dates', () => {
    const impossible = ['2024-13-01', '2024-01-32', '0000-00-00', '2024-00-10', '2023-02-29', '2024-04-31'];

    it('refuses impossible dates in start_date and end_date of every route that takes them', async () => {
      for (const route of ['/v1/transactions', '/v1/net-worth', '/v1/cashflow/summary']) {
        for (const param of ['start_date', 'end_date']) {
          for (const date of [...impossible, '2024-1-01', '20240101', '2024-01-01T00:00:00Z', '']) {
            expectInvalid(await get(`${route}?${param}=${encodeURIComponent(date)}`), `query.${param}`);
          }
        }
      }
    });

    it('accepts 29 February of a leap year', async () => {
      const res = await get('/v1/transactions?start_date=2024-02-29&end_date=2024-02-29');
      expect(res.statusCode, res.body).toBe(200);
    });

    it('publishes the rule: format date and the bounds in the description', async () => {
      const doc = t.app.swagger() as {
        paths: Record<string, { get: { parameters: { name: string; schema: Record<string, unknown> }[] } }>;
      };
      for (const route of ['/v1/transactions', '/v1/net-worth', '/v1/cashflow/summary']) {
        for (const name of ['start_date', 'end_date']) {
          const parameter = doc.paths[route]!.get.parameters.find((p) => p.name === name)!;
          const described = JSON.stringify(parameter);
          expect(parameter.schema.format, `${route} ${name}`).toBe('date');
          expect(described).toContain(EARLIEST_DATE);
          expect(described).toContain(LATEST_DATE);
        }
      }
    });
  });

  describe('strings are clean Unicode without NUL, in every part of every request', () => {
    const hostile = ['a\u0000b', '\u0000', 'x\ud800', '\udfffy', 'ok\ud800\ud800'];

    it('refuses them in query parameters (transactions q, category, merchant)', async () => {
      for (const param of ['q', 'category', 'merchant']) {
        for (const value of ['a\u0000b', '\u0000']) {
          expectInvalid(
            await get(`/v1/transactions?${param}=${encodeURIComponent(value)}`),
            `query.${param}`,
          );
        }
      }
      // A lone surrogate cannot be percent-encoded as UTF-8; %ED%A0%80 (its CESU bytes) is not UTF-8 either.
      const res = await get('/v1/transactions?q=%ED%A0%80');
      expect(res.statusCode, res.body).toBeLessThan(500);
    });

    it('refuses them in JSON bodies: login email and password, token name', async () => {
      for (const value of hostile) {
        expectInvalid(
          await t.app.inject({
            method: 'POST',
            url: '/v1/auth/token',
            payload: { email: `${value}@example.com`, password: 'whatever password' },
          }),
          'body.email',
        );
        expectInvalid(
          await t.app.inject({
            method: 'POST',
            url: '/v1/auth/tokens',
            headers: bearer(token),
            payload: { name: value },
          }),
          'body.name',
        );
      }
    });

    it('refuses them in path parameters and in object keys', async () => {
      expectInvalid(await get('/v1/accounts/%00'), 'path.id');
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/auth/tokens',
        headers: { ...bearer(token), 'content-type': 'application/json' },
        payload: '{"name":"fine","\\u0000":1}',
      });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json<{ errors: { field: string }[] }>().errors[0]!.field).toBe('body.\ufffd');
    });

    it('lets ordinary non-ASCII text through (accents, CJK, emoji as surrogate pairs)', async () => {
      for (const q of ['café', '東京', '💳 card', 'a\ufffdb']) {
        const res = await get(`/v1/transactions?q=${encodeURIComponent(q)}`);
        expect(res.statusCode, res.body).toBe(200);
      }
      const created = await t.app.inject({
        method: 'POST',
        url: '/v1/auth/tokens',
        headers: bearer(token),
        payload: { name: 'téléphone 📱' },
      });
      expect(created.statusCode, created.body).toBe(201);
      expect(created.json<{ name: string }>().name).toBe('téléphone 📱');
    });
  });

  describe('passwords', () => {
    const login = (email: string, password: string) =>
      t.app.inject({ method: 'POST', url: '/v1/auth/token', payload: { email, password } });
    const register = (email: string, password: string) =>
      t.app.inject({ method: 'POST', url: '/v1/auth/register', payload: { email, password } });

    it('refuses passwords that are not well-formed Unicode, at registration and at login (400)', async () => {
      const email = `surrogate-${randomUUID()}@example.com`;
      for (const password of ['a long enough password\ud800', '\udfffa long enough password']) {
        expectInvalid(await register(email, password), 'body.password');
        expectInvalid(await login(email, password), 'body.password');
      }
      await expect(t.app.services.users.create({ email, password: 'long password\ud800' })).rejects.toThrow(
        /well-formed/,
      );
    });

    it('never lets a lone surrogate stand for U+FFFD (they were the same UTF-8 bytes)', async () => {
      const { email } = await newUser(t.app, { password: 'a long enough password\ufffd' });
      expect((await login(email, 'a long enough password\ufffd')).statusCode).toBe(200);
      for (const forged of ['a long enough password\ud800', 'a long enough password\udfff']) {
        expectInvalid(await login(email, forged), 'body.password');
      }
    });

    it('normalises to NFC before hashing and verifying: both ways of typing an accent log in', async () => {
      const nfd = 'cafe\u0301 cre\u0300me bru\u0302le\u0301e';
      const nfc = nfd.normalize('NFC');
      expect(nfc).not.toBe(nfd);
      const email = `nfc-${randomUUID()}@example.com`;
      expect((await register(email, nfd)).statusCode).toBe(201);
      expect((await login(email, nfc)).statusCode).toBe(200);
      expect((await login(email, nfd)).statusCode).toBe(200);
      expect((await login(email, `${nfc}!`)).statusCode).toBe(401);
      const [row] = await selectRows<{ password_hash: string }>(
        t.database.handle.db,
        sql`select password_hash from users where email = ${email}`,
      );
      expect(await verify(row!.password_hash, nfc)).toBe(true);
      expect(await verify(row!.password_hash, nfd)).toBe(false);
    });

    it('still logs in a user whose hash was made before normalisation, as they typed it', async () => {
      const nfd = 'legacy pa\u0301ssword 123';
      const { user, email } = await newUser(t.app);
      const legacyHash = await hash(nfd, { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 });
      await t.database.handle.db.execute(
        sql`update users set password_hash = ${legacyHash} where id = ${user.id}`,
      );
      expect((await login(email, nfd)).statusCode).toBe(200);
      expect((await login(email, 'legacy pa\u0301ssword 124')).statusCode).toBe(401);
    });
  });

  describe('dead credentials', () => {
    it('answers 401 invalid_token, not 404, to a valid JWT of a user that no longer exists, on every route', async () => {
      const { user, email, password } = await newUser(t.app);
      const session = await t.app.inject({
        method: 'POST',
        url: '/v1/auth/token',
        payload: { email, password },
      });
      const jwt = session.json<{ access_token: string }>().access_token;
      expect((await t.app.inject({ url: '/v1/me', headers: bearer(jwt) })).statusCode).toBe(200);
      await t.database.handle.db.execute(sql`delete from users where id = ${user.id}`);
      for (const url of ['/v1/me', '/v1/accounts', '/v1/items', '/v1/transactions', '/v1/auth/tokens']) {
        const res = await t.app.inject({ url, headers: bearer(jwt) });
        expect(res.statusCode, `${url}: ${res.body}`).toBe(401);
        expect(res.json()).toMatchObject({ code: 'INVALID_TOKEN', status: 401 });
        expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
      }
    });
  });

  describe('framework errors are problem+json from the one handler', () => {
    function expectProblemOf(res: Reply, status: number, code: string) {
      expect(res.statusCode, res.body).toBe(status);
      expect(String(res.headers['content-type'])).toContain('application/problem+json');
      const body = res.json() as { code: string; status: number; request_id: string; instance: string };
      expect(body).toMatchObject({ code, status });
      expect(body.request_id).toBeTruthy();
      expect(res.body).not.toMatch(/FST_ERR|\bat .*\.(ts|js):\d+/);
      return body;
    }

    it('answers a URL that does not decode with 400 and a too long path parameter with 414', async () => {
      expectProblemOf(await get('/v1/items/%E0%A4%A'), 400, 'BAD_URL');
      expectProblemOf(await get(`/v1/items/${'a'.repeat(500)}`), 414, 'URI_TOO_LONG');
    });

    it('answers headers over the limit (431) and bytes that are not HTTP (400) from the parser, on a socket', async () => {
      const address = await t.app.listen({ host: '127.0.0.1', port: 0 });
      const { hostname, port } = new URL(address);
      const raw = (request: string) =>
        new Promise<string>((resolve, reject) => {
          const socket = connect({ host: hostname, port: Number(port) }, () => socket.end(request));
          let received = '';
          socket.setEncoding('utf8');
          socket.on('data', (chunk: string) => (received += chunk));
          socket.on('close', () => resolve(received));
          socket.on('error', reject);
        });
      const parse = (response: string): Reply => {
        const [head, ...rest] = response.split('\r\n\r\n');
        const [statusLine, ...headerLines] = head!.split('\r\n');
        const headers = Object.fromEntries(
          headerLines.map((line) => [
            line.slice(0, line.indexOf(':')).toLowerCase(),
            line.slice(line.indexOf(':') + 1).trim(),
          ]),
        );
        const body = rest.join('\r\n\r\n');
        return { statusCode: Number(statusLine!.split(' ')[1]), headers, body, json: () => JSON.parse(body) };
      };
      const big = `GET /v1/me HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`;
      const tooLarge = parse(await raw(big));
      const body = expectProblemOf(tooLarge, 431, 'HEADERS_TOO_LARGE');
      expect(tooLarge.headers['x-request-id']).toBe(body.request_id);
      expectProblemOf(parse(await raw('NOT HTTP AT ALL\r\n\r\n')), 400, 'MALFORMED_REQUEST');
    });

    it('answers a request that arrives while the app closes with 503 problem+json', async () => {
      const closing = await buildTestApp(kind);
      await closing.close();
      // The closed app's router, served on a server of our own: Fastify's router still says "closing".
      const server = createServer(closing.app.routing);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const { port } = server.address() as AddressInfo;
        const res = await fetch(`http://127.0.0.1:${port}/healthz`);
        const body = await res.text();
        expectProblemOf(
          {
            statusCode: res.status,
            headers: Object.fromEntries(res.headers),
            body,
            json: () => JSON.parse(body),
          },
          503,
          'NOT_READY',
        );
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    }, 90_000); // it builds (migrates) and closes an app of its own: slow on a busy machine

    it('sends WWW-Authenticate: Bearer with every 401, with error="invalid_token" for a refused token', async () => {
      const none = await t.app.inject({ url: '/v1/me' });
      expectProblemOf(none, 401, 'UNAUTHENTICATED');
      expect(none.headers['www-authenticate']).toBe('Bearer');
      const refused = await t.app.inject({ url: '/v1/me', headers: bearer('not-a-token') });
      expectProblemOf(refused, 401, 'INVALID_TOKEN');
      expect(refused.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
      const badLogin = await t.app.inject({
        method: 'POST',
        url: '/v1/auth/token',
        payload: { email: 'nobody@example.com', password: 'not the password' },
      });
      expectProblemOf(badLogin, 401, 'INVALID_CREDENTIALS');
      expect(badLogin.headers['www-authenticate']).toBe('Bearer');
    });
  });
});
