import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { LISTENER_APPLICATION_NAME } from '../../src/db/notifications.js';
import { createApiTokensRepository } from '../../src/db/repositories/api-tokens.js';
import { createUsersRepository } from '../../src/db/repositories/users.js';
import { runAdminCommand } from '../../src/domain/admin/commands.js';
import { mintAccessToken } from '../../src/domain/auth/access-tokens.js';
import { createAuthService } from '../../src/domain/auth/service.js';
import { createTokenCache } from '../../src/domain/auth/token-cache.js';
import { createLogger } from '../../src/lib/logger.js';
import { bearer, newAccessToken, newUser } from '../factories/users.js';
import { buildTestApp, buildTwoInstances, type TestApp } from '../helpers/app.js';
import { TEST_JWT_SECRET } from '../helpers/config.js';
import { databaseKinds, unannounced } from '../helpers/database.js';
import { until } from '../helpers/wait.js';

async function me(app: App, token: string): Promise<number> {
  return (await app.inject({ url: '/v1/me', headers: bearer(token) })).statusCode;
}

describe.each(databaseKinds())('personal access token cache on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp(kind, { AUTH_TOKEN_CACHE_SECONDS: '3600' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('serves a token it has authenticated from memory, even after its row changes unannounced', async () => {
    expect(t.app.services.tokenCache.serving).toBe(true);
    const { user } = await newUser(t.app);
    const { token, row } = await newAccessToken(t.app, user.id);
    expect(await me(t.app, token)).toBe(200);
    await unannounced(
      t.database.handle.db,
      sql`update api_tokens set token_hash = 'gone-' || id where id = ${row.id}`,
    );
    expect(await me(t.app, token)).toBe(200);
  });

  it('should not serve a revoked token on the very next request (API, and CLI through the service)', async () => {
    const { user } = await newUser(t.app);
    const byApi = await newAccessToken(t.app, user.id);
    const byCli = await newAccessToken(t.app, user.id);
    expect(await me(t.app, byApi.token)).toBe(200);
    expect(await me(t.app, byCli.token)).toBe(200);

    const revoked = await t.app.inject({
      method: 'DELETE',
      url: `/v1/auth/tokens/${byApi.row.id}`,
      headers: bearer(byCli.token),
    });
    expect(revoked.statusCode).toBe(204);
    expect(await me(t.app, byApi.token)).toBe(401);

    // What the control socket runs for `finance-api tokens revoke` while the embedded service holds the data.
    await runAdminCommand(t.app.services, 'tokens.revoke', { id: byCli.row.id });
    expect(await me(t.app, byCli.token)).toBe(401);
  });

  it('forgets a token changed by any statement on the database (the triggers announce it)', async () => {
    const { user } = await newUser(t.app);
    const { token, row } = await newAccessToken(t.app, user.id);
    expect(await me(t.app, token)).toBe(200);
    await t.database.handle.db.execute(sql`update api_tokens set revoked_at = now() where id = ${row.id}`);
    await until('the revocation to be heard', async () => (await me(t.app, token)) === 401, 5_000, 20);

    const other = await newAccessToken(t.app, user.id);
    expect(await me(t.app, other.token)).toBe(200);
    await t.database.handle.db.execute(sql`delete from users where id = ${user.id}`);
    await until('the deletion to be heard', async () => (await me(t.app, other.token)) === 401, 5_000, 20);
  });

  it('does not cache with AUTH_TOKEN_CACHE_SECONDS=0', async () => {
    const uncached = await buildTestApp(kind, { AUTH_TOKEN_CACHE_SECONDS: '0' }, undefined, {
      database: t.database,
    });
    try {
      expect(uncached.app.services.tokenCache.serving).toBe(false);
      const { user } = await newUser(uncached.app);
      const { token, row } = await newAccessToken(uncached.app, user.id);
      expect(await me(uncached.app, token)).toBe(200);
      await unannounced(
        t.database.handle.db,
        sql`update api_tokens set token_hash = 'gone-' || id where id = ${row.id}`,
      );
      expect(await me(uncached.app, token)).toBe(401);
    } finally {
      await uncached.close();
    }
  });

  describe('the auth service over a counted repository', () => {
    function countedAuth(clock: { now: Date }) {
      const db = t.database.handle.db;
      const apiTokens = createApiTokensRepository(db);
      const counts = { findByHash: 0, touch: 0 };
      const tokenCache = createTokenCache({ ttlSeconds: 3600, now: () => clock.now.getTime() });
      tokenCache.resume(); // as the revocation listener does once it listens
      const auth = createAuthService({
        users: createUsersRepository(db),
        apiTokens: {
          ...apiTokens,
          findByHash: (hash) => {
            counts.findByHash += 1;
            return apiTokens.findByHash(hash);
          },
          touch: (id, at) => {
            counts.touch += 1;
            return apiTokens.touch(id, at);
          },
        },
        jwt: { secret: TEST_JWT_SECRET, issuer: 'http://test', ttlSeconds: 900 },
        tokenCache,
        now: () => clock.now,
      });
      return { auth, apiTokens, counts };
    }

    it('reads a known token once, and still writes last_used_at at most once a minute', async () => {
      const clock = { now: new Date('2030-01-01T00:00:00Z') };
      const { auth, counts } = countedAuth(clock);
      const { user } = await newUser(t.app);
      const { token, row } = await auth.createToken(user.id, { name: 'counted', scope: 'read' });
      const lastUsedIs = (at: Date) =>
        until(`last_used_at = ${at.toISOString()}`, async () => {
          const found = await t.database.handle.db.query.apiTokens.findFirst({
            where: (tokens, { eq }) => eq(tokens.id, row.id),
          });
          return found?.lastUsedAt?.getTime() === at.getTime();
        });

      const first = await auth.authenticate(token);
      expect(first).toMatchObject({ userId: user.id, tokenId: row.id, scopes: ['read'] });
      await lastUsedIs(clock.now);
      clock.now = new Date(clock.now.getTime() + 30_000);
      expect(await auth.authenticate(token)).toEqual(first);
      expect(counts).toEqual({ findByHash: 1, touch: 1 });

      clock.now = new Date(clock.now.getTime() + 31_000); // 61 s after the first use
      await auth.authenticate(token);
      expect(counts).toEqual({ findByHash: 1, touch: 2 });
      await lastUsedIs(clock.now);
    });

    it('refuses a cached token once it expires, without asking the database', async () => {
      const clock = { now: new Date('2030-01-01T00:00:00Z') };
      const { auth, apiTokens, counts } = countedAuth(clock);
      const { user } = await newUser(t.app);
      const minted = mintAccessToken();
      await apiTokens.insert({
        userId: user.id,
        name: 'short-lived',
        prefix: minted.prefix,
        tokenHash: minted.hash,
        scope: 'read',
        expiresAt: new Date(clock.now.getTime() + 10 * 60_000),
      });
      await auth.authenticate(minted.token);
      clock.now = new Date(clock.now.getTime() + 11 * 60_000); // expired, still well within the TTL
      await expect(auth.authenticate(minted.token)).rejects.toMatchObject({ code: 'INVALID_TOKEN' });
      expect(counts.findByHash).toBe(1);
    });

    it('never caches an unknown or revoked token', async () => {
      const clock = { now: new Date() };
      const { auth, counts } = countedAuth(clock);
      const { user } = await newUser(t.app);
      const { token, row } = await auth.createToken(user.id, { name: 'revoked', scope: 'read' });
      await auth.revokeToken(user.id, row.id);
      const unknown = mintAccessToken().token;
      for (let i = 0; i < 2; i++) {
        await expect(auth.authenticate(token)).rejects.toMatchObject({ code: 'INVALID_TOKEN' });
        await expect(auth.authenticate(unknown)).rejects.toMatchObject({ code: 'INVALID_TOKEN' });
      }
      expect(counts.findByHash).toBe(4);
    });
  });
});

/** Scale-out: every API process caches tokens, and hears the revocations committed by the others. */
describe.runIf(databaseKinds().includes('postgres'))('token revocation across API processes', () => {
  const env = { AUTH_TOKEN_CACHE_SECONDS: '3600' }; // only a notification can end a cached token early
  const logLines: string[] = [];
  let a: TestApp;
  let b: TestApp;
  let close: () => Promise<void>;
  let admin: pg.Client;

  beforeAll(async () => {
    // Instance B: its own pool and its own listener on the same database.
    const logger = createLogger('info', { write: (line: string) => void logLines.push(line) });
    ({ a, b, close } = await buildTwoInstances(env, logger));
    admin = new pg.Client({ connectionString: a.database.url! });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await close?.();
  });

  /** A token both instances have authenticated, so both hold it in memory. */
  async function tokenKnownToBoth() {
    const { user } = await newUser(a.app);
    const { token, row } = await newAccessToken(a.app, user.id);
    expect(await me(a.app, token)).toBe(200);
    expect(await me(b.app, token)).toBe(200);
    expect(b.app.services.tokenCache.size).toBeGreaterThan(0);
    return { user, token, row };
  }

  const rejectedBy = (app: App, token: string, what: string) =>
    until(what, async () => (await me(app, token)) === 401, 5_000, 20);

  it('an instance rejects a token revoked through another instance’s API', async () => {
    const { token, row } = await tokenKnownToBoth();
    const revoked = await a.app.inject({
      method: 'DELETE',
      url: `/v1/auth/tokens/${row.id}`,
      headers: bearer(token),
    });
    expect(revoked.statusCode).toBe(204);
    await rejectedBy(b.app, token, 'instance B to reject the token revoked through A');
  });

  it('both instances reject a token revoked by raw SQL, as the CLI does on a server', async () => {
    const { token, row } = await tokenKnownToBoth();
    await admin.query('update api_tokens set revoked_at = now() where id = $1', [row.id]);
    await rejectedBy(a.app, token, 'instance A to reject the token revoked in SQL');
    await rejectedBy(b.app, token, 'instance B to reject the token revoked in SQL');
  });

  it('both instances reject the tokens of a deleted user', async () => {
    const { user, token } = await tokenKnownToBoth();
    await admin.query('delete from users where id = $1', [user.id]);
    await rejectedBy(a.app, token, 'instance A to reject the deleted user’s token');
    await rejectedBy(b.app, token, 'instance B to reject the deleted user’s token');
  });

  it('stops serving from memory while its listener is down, keeps answering, and resumes once it is back', async () => {
    const { token, row } = await tokenKnownToBoth();
    const { rows } = await admin.query<{ ok: boolean }>(
      `select pg_terminate_backend(pid) as ok from pg_stat_activity
        where datname = current_database() and application_name = $1`,
      [LISTENER_APPLICATION_NAME],
    );
    expect(rows.length).toBe(2); // A's and B's
    await until('B to stop serving from memory', async () => !b.app.services.tokenCache.serving, 5_000, 20);
    expect(b.app.services.tokenCache.size).toBe(0);
    expect(await me(b.app, token)).toBe(200); // from the database

    await until('B to listen again', async () => b.app.services.tokenCache.serving, 10_000, 50);
    await until('A to listen again', async () => a.app.services.tokenCache.serving, 10_000, 50);
    expect(await me(b.app, token)).toBe(200);
    await admin.query('update api_tokens set revoked_at = now() where id = $1', [row.id]);
    await rejectedBy(b.app, token, 'instance B to hear revocations again');

    const logged = logLines.join('');
    expect(logged).toMatch(/token revocation listener down/);
    expect(logged).toMatch(/token revocation listener back/);
    expect(logged).not.toContain(token);
  });
});
