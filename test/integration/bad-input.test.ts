import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, newAccessToken, newUser } from '../factories/users.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';

/** Every kind of bad input gets a 4xx problem+json naming the problem: never a 500, never a stack. */
describe('bad input', () => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => {
    t = await buildTestApp('pglite', {
      ALLOW_REGISTRATION: 'true',
      AUTH_RATE_LIMIT_PER_MINUTE: '1000',
      BODY_LIMIT_BYTES: '2048',
    });
    const { user } = await newUser(t.app);
    token = (await newAccessToken(t.app, user.id)).token;
  });
  afterAll(async () => {
    await t?.close();
  });

  function expectProblem(
    res: { statusCode: number; headers: Record<string, unknown>; body: string; json: () => unknown },
    status: number,
    code: string,
    field?: string,
  ) {
    expect(res.statusCode, res.body).toBe(status);
    expect(String(res.headers['content-type'])).toContain('application/problem+json');
    const body = res.json() as { code: string; status: number; errors?: { field: string }[]; detail: string };
    expect(body.code).toBe(code);
    expect(body.status).toBe(status);
    expect(res.body).not.toMatch(/\bat .*\.(ts|js):\d+/); // no stack trace
    if (field) expect(body.errors?.map((e) => e.field)).toContain(field);
    return body;
  }

  const register = (payload: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({
      method: 'POST',
      url: '/v1/auth/register',
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
      headers: { 'content-type': 'application/json', ...headers },
    });

  it('malformed JSON → 400 MALFORMED_JSON', async () => {
    expectProblem(await register('{"email": "a@b.co", '), 400, 'MALFORMED_JSON', 'body');
  });

  it('an empty JSON body → 400', async () => {
    expectProblem(await register(''), 400, 'MALFORMED_JSON');
  });

  it('wrong types → 400 naming the field', async () => {
    expectProblem(
      await register({ email: 42, password: 'long enough password' }),
      400,
      'VALIDATION_FAILED',
      'body.email',
    );
  });

  it('unknown fields → 400 naming the field', async () => {
    expectProblem(
      await register({ email: 'x@example.com', password: 'long enough password', is_admin: true }),
      400,
      'VALIDATION_FAILED',
      'body.is_admin',
    );
  });

  it('missing fields → 400 naming the field', async () => {
    expectProblem(await register({ email: 'x@example.com' }), 400, 'VALIDATION_FAILED', 'body.password');
  });

  it('bad emails → 400 naming the field', async () => {
    for (const email of ['not-an-email', '', 'a@', `${'x'.repeat(250)}@example.com`]) {
      expectProblem(
        await register({ email, password: 'long enough password' }),
        400,
        'VALIDATION_FAILED',
        'body.email',
      );
    }
  });

  it('weak or empty passwords → 400 naming the field', async () => {
    for (const password of ['', 'short', 'aaaaaaaaaaaaaaaa', 'password1234']) {
      const body = expectProblem(
        await register({ email: 'weak@example.com', password }),
        400,
        'VALIDATION_FAILED',
        'body.password',
      );
      expect(body.detail).toMatch(/password/);
    }
  });

  it('oversize bodies → 413', async () => {
    expectProblem(
      await register({ email: 'big@example.com', password: 'x'.repeat(5000) }),
      413,
      'PAYLOAD_TOO_LARGE',
    );
  });

  it('a body that is not JSON → 415', async () => {
    expectProblem(
      await register('email=a', { 'content-type': 'application/x-www-form-urlencoded' }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
  });

  it('garbage tokens → 401', async () => {
    for (const header of [
      'Bearer',
      'Bearer ',
      'Basic abc',
      'Bearer fapat_short',
      `Bearer fapat_AAAAAAAA_${'A'.repeat(43)}`,
      'Bearer ☃',
    ]) {
      const res = await t.app.inject({ url: '/v1/me', headers: { authorization: header } });
      expect(res.statusCode, header).toBe(401);
      expect(String(res.headers['content-type'])).toContain('application/problem+json');
    }
    expectProblem(await t.app.inject({ url: '/v1/me' }), 401, 'UNAUTHENTICATED');
  });

  it('a malformed token id → 400 naming the path parameter', async () => {
    expectProblem(
      await t.app.inject({ method: 'DELETE', url: '/v1/auth/tokens/not-a-uuid', headers: bearer(token) }),
      400,
      'VALIDATION_FAILED',
      'path.id',
    );
  });

  it('bad token options → 400 naming the field', async () => {
    const create = (payload: unknown) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/auth/tokens',
        headers: bearer(token),
        payload: payload as object,
      });
    expectProblem(await create({ name: 'x', scope: 'admin' }), 400, 'VALIDATION_FAILED', 'body.scope');
    expectProblem(
      await create({ name: 'x', expires_in_days: 0 }),
      400,
      'VALIDATION_FAILED',
      'body.expires_in_days',
    );
    expectProblem(
      await create({ name: 'x', expires_in_days: 1.5 }),
      400,
      'VALIDATION_FAILED',
      'body.expires_in_days',
    );
    expectProblem(await create({ name: '' }), 400, 'VALIDATION_FAILED', 'body.name');
  });

  it('unknown routes → 404 problem+json', async () => {
    expectProblem(await t.app.inject({ url: '/v1/nope' }), 404, 'ROUTE_NOT_FOUND');
  });

  it('nothing is half-written: a rejected registration creates no user', async () => {
    await register({ email: 'half@example.com', password: 'x', extra: 1 });
    const rows = await t.database.handle.db.query.users.findMany();
    expect(rows.map((row) => row.email)).not.toContain('half@example.com');
  });
});

describe('registration switched off and rate limits', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp('pglite', { AUTH_RATE_LIMIT_PER_MINUTE: '3' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('has no register route when ALLOW_REGISTRATION is false', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/register',
      payload: { email: 'a@example.com', password: 'long enough password' },
    });
    expect(res.statusCode).toBe(404);
  });

  it('rate-limits login attempts with 429 and Retry-After', async () => {
    const attempt = () =>
      t.app.inject({
        method: 'POST',
        url: '/v1/auth/token',
        payload: { email: 'x@example.com', password: 'nope' },
      });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await attempt()).statusCode);
    expect(statuses).toEqual([401, 401, 401, 429]);
    const limited = await attempt();
    expect(limited.json()).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });
});
