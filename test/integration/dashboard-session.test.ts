/**
 * The dashboard's cookie sign-in (POST/GET/DELETE /v1/auth/web-session) and what the cookie may do: the
 * REST API reads with it; a state change needs the session's CSRF token in X-CSRF-Token and a same-site
 * origin; /mcp and the OAuth token endpoint never take it; sign-out revokes the row.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webSessions } from '../../src/db/schema/index.js';
import { FACTORY_PASSWORD, newUser } from '../factories/users.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { databaseKinds } from '../helpers/database.js';

const PUBLIC_URL = 'https://finance.example.com';
const COOKIE = '__Host-finance_session';

interface SetCookie {
  name: string;
  value: string;
  attributes: Map<string, string>;
}

function setCookiesOf(header: string | string[] | undefined): SetCookie[] {
  const lines = header === undefined ? [] : Array.isArray(header) ? header : [header];
  return lines.map((line) => {
    const [pair, ...attributes] = line.split(';').map((part) => part.trim());
    const at = pair!.indexOf('=');
    return {
      name: pair!.slice(0, at),
      value: pair!.slice(at + 1),
      attributes: new Map(
        attributes.map((attribute) => {
          const [key, ...value] = attribute.split('=');
          return [key!.toLowerCase(), value.join('=')] as const;
        }),
      ),
    };
  });
}

function expectProblem(
  res: { statusCode: number; headers: Record<string, unknown>; json(): unknown },
  status: number,
  code: string,
) {
  expect(res.statusCode).toBe(status);
  expect(String(res.headers['content-type'])).toContain('application/problem+json');
  expect(res.json()).toMatchObject({ status, code });
}

describe.each(databaseKinds())('dashboard sign-in and CSRF on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp(kind, { PUBLIC_URL, AUTH_RATE_LIMIT_PER_MINUTE: '1000' });
  });
  afterAll(async () => {
    await t?.close();
  });

  async function signIn(email: string, password = FACTORY_PASSWORD) {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/web-session',
      headers: { origin: PUBLIC_URL },
      payload: { email, password },
    });
    expect(res.statusCode, res.body).toBe(201);
    const cookie = setCookiesOf(res.headers['set-cookie']).find((c) => c.name === COOKIE)!;
    return { res, cookie, csrf: res.json<{ csrf_token: string }>().csrf_token };
  }

  const cookieHeader = (value: string) => ({ cookie: `${COOKIE}=${value}` });

  it('signs in with email and password: an HttpOnly, Secure, SameSite=Lax, Path=/ cookie and a CSRF token', async () => {
    const { user, email } = await newUser(t.app);
    const { res, cookie, csrf } = await signIn(email.toUpperCase());
    expect(res.json()).toMatchObject({ user: { id: user.id, email } });
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(cookie.attributes.has('httponly')).toBe(true);
    expect(cookie.attributes.has('secure')).toBe(true);
    expect(cookie.attributes.get('samesite')).toBe('Lax');
    expect(cookie.attributes.get('path')).toBe('/');
    expect(cookie.attributes.has('domain')).toBe(false);
    expect(res.headers['cache-control']).toBe('no-store');

    // Only hashes are stored: neither the cookie nor the CSRF token appears in the row.
    const [row] = await t.database.handle.db
      .select()
      .from(webSessions)
      .where(eq(webSessions.userId, user.id));
    expect(row).toBeDefined();
    expect(JSON.stringify(row)).not.toContain(cookie.value);
    expect(JSON.stringify(row)).not.toContain(csrf);

    // The cookie reads the REST API as the person, with read and write scope.
    const me = await t.app.inject({ url: '/v1/me', headers: cookieHeader(cookie.value) });
    expect(me.statusCode, me.body).toBe(200);
    expect(me.json()).toMatchObject({
      id: user.id,
      auth: { kind: 'web_session', scopes: ['read', 'write'] },
    });

    // A reload learns the same CSRF token from the cookie.
    const again = await t.app.inject({ url: '/v1/auth/web-session', headers: cookieHeader(cookie.value) });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ csrf_token: csrf, user: { id: user.id, email } });
  });

  it('refuses a wrong password or an unknown email with 401 problem+json and sets no cookie', async () => {
    const { email } = await newUser(t.app);
    for (const attempt of [
      { email, password: 'not the password at all' },
      { email: `nobody-${Date.now()}@example.com`, password: FACTORY_PASSWORD },
    ]) {
      const res = await t.app.inject({ method: 'POST', url: '/v1/auth/web-session', payload: attempt });
      expectProblem(res, 401, 'INVALID_CREDENTIALS');
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    const missing = await t.app.inject({ method: 'POST', url: '/v1/auth/web-session', payload: { email } });
    expectProblem(missing, 400, 'VALIDATION_FAILED');
    expect(missing.json<{ errors: { field: string }[] }>().errors.map((e) => e.field)).toContain(
      'body.password',
    );
  });

  it('refuses a sign-in posted from another site (login CSRF)', async () => {
    const { email } = await newUser(t.app);
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/web-session',
      headers: { origin: 'https://evil.example' },
      payload: { email, password: FACTORY_PASSWORD },
    });
    expectProblem(res, 403, 'CSRF_REJECTED');
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('refuses a state change made with the cookie without the CSRF token, or from another site, with 403 problem+json', async () => {
    const { user, email } = await newUser(t.app);
    const { cookie, csrf } = await signIn(email);
    const tokensOf = async () =>
      (await t.app.inject({ url: '/v1/auth/tokens', headers: cookieHeader(cookie.value) })).json<{
        data: unknown[];
      }>().data.length;

    // A cross-site form post: the browser sends the cookie (if SameSite allowed it), no CSRF header, another Origin.
    const formPost = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/tokens',
      headers: {
        ...cookieHeader(cookie.value),
        origin: 'https://evil.example',
        'sec-fetch-site': 'cross-site',
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: 'name=stolen&scope=write',
    });
    expectProblem(formPost, 403, 'CSRF_REJECTED');

    // Same origin, but no token; a wrong token; the right token from another origin.
    const body = { name: 'dashboard', scope: 'read' };
    const noToken = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/tokens',
      headers: { ...cookieHeader(cookie.value), origin: PUBLIC_URL },
      payload: body,
    });
    expectProblem(noToken, 403, 'CSRF_REJECTED');
    const wrongToken = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/tokens',
      headers: {
        ...cookieHeader(cookie.value),
        'x-csrf-token': `${csrf.slice(0, -1)}${csrf.endsWith('A') ? 'B' : 'A'}`,
      },
      payload: body,
    });
    expectProblem(wrongToken, 403, 'CSRF_REJECTED');
    const crossOrigin = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/tokens',
      headers: { ...cookieHeader(cookie.value), 'x-csrf-token': csrf, origin: 'https://evil.example' },
      payload: body,
    });
    expectProblem(crossOrigin, 403, 'CSRF_REJECTED');
    const deleteWithout = await t.app.inject({
      method: 'DELETE',
      url: '/v1/auth/web-session',
      headers: cookieHeader(cookie.value),
    });
    expectProblem(deleteWithout, 403, 'CSRF_REJECTED');
    expect(await tokensOf()).toBe(0);

    // Another person's CSRF token does not fit this session.
    const other = await signIn((await newUser(t.app)).email);
    const othersToken = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/tokens',
      headers: { ...cookieHeader(cookie.value), 'x-csrf-token': other.csrf },
      payload: body,
    });
    expectProblem(othersToken, 403, 'CSRF_REJECTED');

    // With its token, from its page: done, as the person.
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/tokens',
      headers: {
        ...cookieHeader(cookie.value),
        'x-csrf-token': csrf,
        origin: PUBLIC_URL,
        'sec-fetch-site': 'same-origin',
      },
      payload: body,
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(await tokensOf()).toBe(1);
    const listed = await t.app.services.auth.listTokens(user.id);
    expect(listed.map((row) => row.name)).toEqual(['dashboard']);
  });

  it('never accepts the cookie on /mcp or at the OAuth token endpoint', async () => {
    const { email } = await newUser(t.app);
    const { cookie, csrf } = await signIn(email);
    const mcp = await t.app.inject({
      method: 'POST',
      url: '/mcp',
      headers: {
        ...cookieHeader(cookie.value),
        'x-csrf-token': csrf,
        origin: PUBLIC_URL,
        host: 'finance.example.com',
        accept: 'application/json, text/event-stream',
      },
      payload: { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} },
    });
    expect(mcp.statusCode, mcp.body).toBe(401);
    const token = await t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: {
        ...cookieHeader(cookie.value),
        'x-csrf-token': csrf,
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: 'grant_type=client_credentials',
    });
    expect(token.statusCode).toBeGreaterThanOrEqual(400);
    expect(token.body).not.toContain('access_token');
  });

  it('serves the dashboard at /app under a strict CSP, with the session and its CSRF token when signed in; / sends browsers there', async () => {
    const anonymous = await t.app.inject({ url: '/app' });
    expect(anonymous.statusCode, anonymous.body).toBe(200);
    expect(anonymous.headers['content-type']).toContain('text/html');
    expect(anonymous.headers['cache-control']).toBe('no-store');
    const csp = String(anonymous.headers['content-security-policy']);
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data:",
      "frame-ancestors 'none'",
    ])
      expect(csp.split('; ')).toContain(directive);
    expect(csp).not.toContain('unsafe-inline');
    const configOf = (html: string) =>
      JSON.parse(
        /<script type="application\/json" id="dashboard-config">(.*?)<\/script>/s.exec(html)![1]!,
      ) as {
        session: { user: { email: string }; csrf_token: string } | null;
        link: { kind: string };
      };
    expect(configOf(anonymous.body)).toMatchObject({ session: null, link: { kind: 'emulator' } });
    expect(anonymous.body).not.toMatch(/<script>|<style>| style=/);

    const { email } = await newUser(t.app);
    const { cookie, csrf } = await signIn(email);
    const signedIn = await t.app.inject({ url: '/app/transactions', headers: cookieHeader(cookie.value) });
    expect(signedIn.statusCode).toBe(200);
    expect(configOf(signedIn.body).session).toMatchObject({ user: { email }, csrf_token: csrf });

    // The bundle: hashed names, cached for good, gzipped when asked.
    const assets = signedIn.body.match(/\/app\/assets\/[^"]+/g)!;
    expect(assets.map((a) => a.split('.').pop()).sort()).toEqual(['css', 'js']);
    for (const asset of assets) {
      const res = await t.app.inject({ url: asset, headers: { 'accept-encoding': 'gzip, br' } });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-encoding']).toBe('gzip');
      expect(res.headers['cache-control']).toContain('immutable');
      const plain = await t.app.inject({ url: asset });
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.body.length).toBeGreaterThan(1000);
    }
    expectProblem(await t.app.inject({ url: '/app/assets/dashboard-NOPE.js' }), 404, 'ROUTE_NOT_FOUND');

    const browser = await t.app.inject({ url: '/', headers: { accept: 'text/html,application/xhtml+xml' } });
    expect(browser.statusCode).toBe(302);
    expect(browser.headers.location).toBe('/app');
    expectProblem(
      await t.app.inject({ url: '/', headers: { accept: 'application/json' } }),
      404,
      'ROUTE_NOT_FOUND',
    );
  });

  it('signs out: the row is revoked, the cookie cleared, and the old cookie is refused afterwards', async () => {
    const { user, email } = await newUser(t.app);
    const { cookie, csrf } = await signIn(email);
    const out = await t.app.inject({
      method: 'DELETE',
      url: '/v1/auth/web-session',
      headers: { ...cookieHeader(cookie.value), 'x-csrf-token': csrf, origin: PUBLIC_URL },
    });
    expect(out.statusCode, out.body).toBe(204);
    const cleared = setCookiesOf(out.headers['set-cookie']).find((c) => c.name === COOKIE)!;
    expect(cleared.value).toBe('');
    const [row] = await t.database.handle.db
      .select()
      .from(webSessions)
      .where(eq(webSessions.userId, user.id));
    expect(row!.revokedAt).toBeInstanceOf(Date);
    for (const url of ['/v1/me', '/v1/auth/web-session']) {
      const after = await t.app.inject({ url, headers: cookieHeader(cookie.value) });
      expectProblem(after, 401, 'INVALID_TOKEN');
    }
    const garbage = await t.app.inject({ url: '/v1/me', headers: cookieHeader('fawss_not-a-session') });
    expectProblem(garbage, 401, 'INVALID_TOKEN');
    const none = await t.app.inject({ url: '/v1/auth/web-session' });
    expectProblem(none, 401, 'UNAUTHENTICATED');
  });
});

describe('dashboard sign-in over plain http, rate-limited', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp('pglite', {
      PUBLIC_URL: 'http://127.0.0.1:8000',
      AUTH_RATE_LIMIT_PER_MINUTE: '3',
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('sets the cookie without Secure under an http PUBLIC_URL, and answers the fourth attempt in a minute with 429', async () => {
    const { email } = await newUser(t.app);
    const ok = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/web-session',
      payload: { email, password: FACTORY_PASSWORD },
    });
    expect(ok.statusCode, ok.body).toBe(201);
    const cookie = setCookiesOf(ok.headers['set-cookie']).find((c) => c.name === 'finance_session')!;
    expect(cookie.attributes.has('secure')).toBe(false);
    expect(cookie.attributes.has('httponly')).toBe(true);
    expect(cookie.attributes.get('samesite')).toBe('Lax');
    const statuses: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/auth/web-session',
        payload: { email, password: 'wrong password' },
      });
      statuses.push(res.statusCode);
      if (res.statusCode === 429) expectProblem(res, 429, 'RATE_LIMITED');
    }
    expect(statuses).toEqual([401, 401, 429]);
  });
});
