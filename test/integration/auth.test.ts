import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { bearer, FACTORY_PASSWORD, newAccessToken, newUser } from '../factories/users.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { TEST_JWT_SECRET } from '../helpers/config.js';
import { databaseKinds } from '../helpers/database.js';

describe.each(databaseKinds())('auth and tokens on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp(kind, { ALLOW_REGISTRATION: 'true', AUTH_RATE_LIMIT_PER_MINUTE: '1000' });
  });
  afterAll(async () => {
    await t?.close();
  });

  async function login(email: string, password: string) {
    return t.app.inject({ method: 'POST', url: '/v1/auth/token', payload: { email, password } });
  }

  it('logs in with email and password and returns a JWT that GET /v1/me accepts', async () => {
    const { user, email } = await newUser(t.app);
    const res = await login(email.toUpperCase(), FACTORY_PASSWORD);
    expect(res.statusCode).toBe(200);
    const body = res.json<{ access_token: string; token_type: string; expires_in: number }>();
    expect(body.token_type).toBe('Bearer');
    expect(body.expires_in).toBeGreaterThan(0);
    expect(body.expires_in).toBeLessThanOrEqual(900);

    const me = await t.app.inject({ url: '/v1/me', headers: bearer(body.access_token) });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ id: user.id, email, auth: { kind: 'jwt', scopes: ['read', 'write'] } });
  });

  it('answers a wrong password and an unknown email identically', async () => {
    const { email } = await newUser(t.app);
    const wrong = await login(email, 'not the password at all');
    const unknown = await login(`nobody-${Date.now()}@example.com`, 'not the password at all');
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    const strip = (body: Record<string, unknown>) => ({ ...body, request_id: undefined });
    expect(strip(wrong.json())).toEqual(strip(unknown.json()));
    expect(wrong.headers['content-type']).toContain('application/problem+json');
  });

  it('rejects JWTs that are tampered with, expired, for another audience or signed with alg none', async () => {
    const { user, email } = await newUser(t.app);
    const token = (await login(email, FACTORY_PASSWORD)).json<{ access_token: string }>().access_token;
    const [h, p, s] = token.split('.');
    const tamperedPayload = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), sub: crypto.randomUUID() }),
    ).toString('base64url');
    const key = new TextEncoder().encode(TEST_JWT_SECRET);
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user.id)
      .setIssuer(t.config.publicUrl)
      .setAudience('finance-api')
      .setIssuedAt(now - 7200)
      .setExpirationTime(now - 3600)
      .sign(key);
    const wrongAudience = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user.id)
      .setIssuer(t.config.publicUrl)
      .setAudience('someone-else')
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(key);
    const unsigned = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${p}.`;
    for (const bad of [
      `${h}.${tamperedPayload}.${s}`,
      expired,
      wrongAudience,
      unsigned,
      'garbage',
      'a.b.c',
    ]) {
      const res = await t.app.inject({ url: '/v1/me', headers: bearer(bad) });
      expect(res.statusCode, bad).toBe(401);
      expect(res.json()).toMatchObject({ code: 'INVALID_TOKEN', status: 401 });
    }
  });

  it('creates, lists and revokes personal access tokens; the secret is shown once and stored only hashed', async () => {
    const { user, email } = await newUser(t.app);
    const jwt = (await login(email, FACTORY_PASSWORD)).json<{ access_token: string }>().access_token;
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/tokens',
      headers: bearer(jwt),
      payload: { name: 'chatgpt', scope: 'read', expires_in_days: 30 },
    });
    expect(created.statusCode).toBe(201);
    const token = created.json<{ id: string; token: string; prefix: string; expires_at: string }>();
    expect(token.token.startsWith(token.prefix)).toBe(true);
    expect(new Date(token.expires_at).getTime()).toBeGreaterThan(Date.now() + 29 * 86_400_000);

    const me = await t.app.inject({ url: '/v1/me', headers: bearer(token.token) });
    expect(me.json()).toMatchObject({ id: user.id, auth: { kind: 'access_token', scopes: ['read'] } });

    const listed = await t.app.inject({ url: '/v1/auth/tokens', headers: bearer(jwt) });
    expect(listed.json<{ data: { id: string }[] }>().data.map((row) => row.id)).toEqual([token.id]);
    expect(listed.body).not.toContain(token.token);

    const rows = await t.database.handle.db.query.apiTokens.findMany();
    expect(JSON.stringify(rows)).not.toContain(token.token);

    const revoked = await t.app.inject({
      method: 'DELETE',
      url: `/v1/auth/tokens/${token.id}`,
      headers: bearer(jwt),
    });
    expect(revoked.statusCode).toBe(204);
    const after = await t.app.inject({ url: '/v1/me', headers: bearer(token.token) });
    expect(after.statusCode).toBe(401);
  });

  it('refuses write operations to a read-only token', async () => {
    const { user } = await newUser(t.app);
    const { token } = await newAccessToken(t.app, user.id, { scope: 'read' });
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/tokens',
      headers: bearer(token),
      payload: { name: 'escalate', scope: 'write' },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'INSUFFICIENT_SCOPE' });
  });

  it('refuses an expired personal access token', async () => {
    const { user } = await newUser(t.app);
    const { token, row } = await newAccessToken(t.app, user.id);
    const { apiTokens } = await import('../../src/db/schema/index.js');
    const { eq } = await import('drizzle-orm');
    await t.database.handle.db
      .update(apiTokens)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(apiTokens.id, row.id));
    const res = await t.app.inject({ url: '/v1/me', headers: bearer(token) });
    expect(res.statusCode).toBe(401);
  });

  it('should not let a user see, use or revoke another user’s tokens', async () => {
    const alice = await newUser(t.app);
    const bob = await newUser(t.app);
    const aliceToken = await newAccessToken(t.app, alice.user.id, { name: 'alice-script' });
    const bobToken = await newAccessToken(t.app, bob.user.id, { name: 'bob-script' });

    const bobList = await t.app.inject({ url: '/v1/auth/tokens', headers: bearer(bobToken.token) });
    expect(bobList.json<{ data: { name: string }[] }>().data.map((r) => r.name)).toEqual(['bob-script']);

    const steal = await t.app.inject({
      method: 'DELETE',
      url: `/v1/auth/tokens/${aliceToken.row.id}`,
      headers: bearer(bobToken.token),
    });
    const missing = await t.app.inject({
      method: 'DELETE',
      url: `/v1/auth/tokens/${crypto.randomUUID()}`,
      headers: bearer(bobToken.token),
    });
    expect(steal.statusCode).toBe(404);
    expect(missing.statusCode).toBe(404);
    expect(steal.json().code).toBe(missing.json().code);

    const stillWorks = await t.app.inject({ url: '/v1/me', headers: bearer(aliceToken.token) });
    expect(stillWorks.json()).toMatchObject({ id: alice.user.id });
  });

  it('registers a user when registration is enabled, and refuses a second account with the same email', async () => {
    const email = `reg-${Date.now()}@example.com`;
    const first = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/register',
      payload: { email, password: 'a long enough passphrase' },
    });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ email });
    const again = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/register',
      payload: { email: email.toUpperCase(), password: 'another long passphrase' },
    });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'EMAIL_TAKEN', errors: [{ field: 'body.email' }] });
  });

  it('reports readiness with the database kind', async () => {
    const res = await t.app.inject({ url: '/readyz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ready', database: kind });
  });
});
