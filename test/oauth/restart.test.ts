import { afterAll, describe, expect, it } from 'vitest';
import { bearer } from '../factories/users.js';
import { buildTestApp } from '../helpers/app.js';
import { databaseKinds, openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { freePort, listeningApp, tokenRequest, tokensFor } from './support.js';

describe.each(databaseKinds())('OAuth state in the database on %s', (kind) => {
  let database: TestDatabase | undefined;
  afterAll(async () => {
    await database?.drop();
  });

  it('survives a restart and is shared by two apps on one database (keys, clients, grants, refresh tokens)', async () => {
    database = await openTestDatabase(kind);
    const port = await freePort();
    const first = await listeningApp(kind, {}, { database, port });
    const { tokens, clientId } = await tokensFor(first, { resource: `${first.baseUrl}/v1` });
    const jwks = await (await fetch(`${first.baseUrl}/oauth/jwks`)).json();

    // A second app on the same database at the same time (another API process): same keys, same grants.
    const second = await buildTestApp(kind, { PUBLIC_URL: first.baseUrl }, undefined, { database });
    expect((await second.app.inject({ url: '/oauth/jwks' })).json()).toEqual(jwks);
    expect(
      (await second.app.inject({ url: '/v1/me', headers: bearer(tokens.access_token) })).statusCode,
    ).toBe(200);
    await second.close();
    await first.close();

    // Restarted on the same address: the access token, the client and its refresh token still work.
    const restarted = await listeningApp(kind, {}, { database, port });
    try {
      expect(await (await fetch(`${restarted.baseUrl}/oauth/jwks`)).json()).toEqual(jwks);
      const me = await restarted.app.inject({ url: '/v1/me', headers: bearer(tokens.access_token) });
      expect(me.statusCode).toBe(200);
      const refreshed = await tokenRequest(restarted.baseUrl, {
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token!,
        client_id: clientId,
      });
      expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
      const again = await restarted.app.inject({
        url: '/v1/me',
        headers: bearer(String(refreshed.body.access_token)),
      });
      expect(again.statusCode).toBe(200);
    } finally {
      await restarted.close();
    }
  }, 120_000);

  it('keeps the private signing key encrypted at rest', async () => {
    const own = await openTestDatabase(kind);
    try {
      const t = await buildTestApp(kind, {}, undefined, { database: own });
      await t.close();
      const rows = await own.handle.db.query.oauthSigningKeys.findMany();
      expect(rows).toHaveLength(1);
      const stored = JSON.stringify(rows[0]);
      expect(rows[0]!.publicJwk).not.toHaveProperty('d');
      expect(stored).not.toMatch(/"d":/);
      expect(rows[0]!.privateJwkCiphertext).toMatch(/^[A-Za-z0-9+/=]+$/);
    } finally {
      await own.drop();
    }
  }, 60_000);
});
