import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt, importJWK, SignJWT } from 'jose';
import { loadSigningKeys } from '../../src/domain/oauth/signing-keys.js';
import { accessTokenCipherFromKeys } from '../../src/domain/items/access-token-cipher.js';
import { bearer, FACTORY_PASSWORD, newAccessToken, newUser } from '../factories/users.js';
import { TEST_ENCRYPTION_KEY } from '../helpers/config.js';
import { databaseKinds } from '../helpers/database.js';
import {
  authorize,
  Browser,
  listeningApp,
  pkce,
  registerClient,
  REDIRECT_URI,
  tokenRequest,
  tokensFor,
  type ListeningApp,
} from './support.js';

describe.each(databaseKinds())('OAuth tokens on %s', (kind) => {
  let t: ListeningApp;
  beforeAll(async () => {
    t = await listeningApp(kind);
  });
  afterAll(async () => {
    await t?.close();
  });

  const me = (token: string) => t.app.inject({ url: '/v1/me', headers: bearer(token) });
  const mcpAuth = (token: string) => t.app.services.auth.authenticateMcp(token);

  /** A code for a new user and client, with what it takes to exchange it. */
  async function codeFor(resource: string) {
    const { email } = await newUser(t.app);
    const client = await registerClient(t.baseUrl);
    const { verifier, challenge } = pkce();
    const result = await authorize(t.baseUrl, {
      clientId: client.client_id,
      resource,
      scope: 'read',
      challenge,
      method: 'S256',
      email,
    });
    return { code: result.get('code')!, verifier, clientId: client.client_id };
  }

  it('refuses an unregistered redirect_uri at /authorize without redirecting to it', async () => {
    const client = await registerClient(t.baseUrl);
    const { challenge } = pkce();
    const browser = new Browser(t.baseUrl);
    const params = new URLSearchParams({
      client_id: client.client_id,
      response_type: 'code',
      redirect_uri: 'https://attacker.example/cb',
      scope: 'read',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    const response = await browser.request(`/oauth/authorize?${params}`);
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.text()).toContain('redirect_uri');
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });

  it('refuses a resource that is not ours (invalid_target)', async () => {
    const { email } = await newUser(t.app);
    const client = await registerClient(t.baseUrl);
    const { challenge } = pkce();
    const result = await authorize(t.baseUrl, {
      clientId: client.client_id,
      resource: 'https://elsewhere.example/api',
      scope: 'read',
      challenge,
      method: 'S256',
      email,
    });
    expect(result.get('error')).toBe('invalid_target');
  });

  it('refuses a wrong redirect_uri or code_verifier at the token endpoint, and a reused code (which revokes what it gave)', async () => {
    const resource = `${t.baseUrl}/v1`;
    const { code, verifier, clientId } = await codeFor(resource);
    const base = { grant_type: 'authorization_code', code, client_id: clientId, resource };
    const wrongRedirect = await tokenRequest(t.baseUrl, {
      ...base,
      code_verifier: verifier,
      redirect_uri: 'http://127.0.0.1:9/other',
    });
    expect(wrongRedirect.status).toBe(400);
    expect(wrongRedirect.body.error).toBe('invalid_grant');

    const second = await codeFor(resource);
    const wrongVerifier = await tokenRequest(t.baseUrl, {
      grant_type: 'authorization_code',
      code: second.code,
      client_id: second.clientId,
      redirect_uri: REDIRECT_URI,
      code_verifier: pkce().verifier,
    });
    expect(wrongVerifier.body.error).toBe('invalid_grant');

    const third = await codeFor(resource);
    const exchange = {
      grant_type: 'authorization_code',
      code: third.code,
      client_id: third.clientId,
      redirect_uri: REDIRECT_URI,
      code_verifier: third.verifier,
    };
    const first = await tokenRequest(t.baseUrl, exchange);
    expect(first.status).toBe(200);
    const accessToken = String(first.body.access_token);
    expect((await me(accessToken)).statusCode).toBe(200);
    const reused = await tokenRequest(t.baseUrl, exchange);
    expect(reused.status).toBe(400);
    expect(reused.body.error).toBe('invalid_grant');
    expect((await me(accessToken)).statusCode).toBe(401);
  });

  it('binds tokens to their resource: /v1 refuses an /mcp token, MCP refuses a /v1 token and a session JWT', async () => {
    const mcp = await tokensFor(t, { resource: `${t.baseUrl}/mcp` });
    const rest = await tokensFor(t, { resource: `${t.baseUrl}/v1`, email: mcp.email });

    expect((await me(rest.tokens.access_token)).statusCode).toBe(200);
    const refused = await me(mcp.tokens.access_token);
    expect(refused.statusCode).toBe(401);
    expect(refused.json()).toMatchObject({ code: 'INVALID_TOKEN' });

    await expect(mcpAuth(mcp.tokens.access_token)).resolves.toMatchObject({
      userId: mcp.userId,
      kind: 'oauth',
      scopes: ['read', 'write'],
      clientId: mcp.clientId,
    });
    await expect(mcpAuth(rest.tokens.access_token)).rejects.toMatchObject({ code: 'INVALID_TOKEN' });
    const session = await t.app.services.auth.login(mcp.email, FACTORY_PASSWORD);
    expect((await me(session.token)).statusCode).toBe(200);
    await expect(mcpAuth(session.token)).rejects.toMatchObject({ code: 'INVALID_TOKEN' });
    const pat = await newAccessToken(t.app, mcp.userId, { scope: 'read' });
    await expect(mcpAuth(pat.token)).resolves.toMatchObject({ kind: 'access_token', scopes: ['read'] });
  });

  it('/mcp over HTTP: 401 with the resource-metadata challenge for a session JWT and a /v1 token; an /mcp token initializes', async () => {
    const mcp = await tokensFor(t, { resource: `${t.baseUrl}/mcp` });
    const rest = await tokensFor(t, { resource: `${t.baseUrl}/v1`, email: mcp.email });
    const session = await t.app.services.auth.login(mcp.email, FACTORY_PASSWORD);
    const initialize = (token: string) =>
      fetch(`${t.baseUrl}/mcp`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: {
            protocolVersion: '2025-11-25',
            capabilities: {},
            clientInfo: { name: 'oauth-test', version: '1.0.0' },
          },
        }),
      });
    for (const refused of [session.token, rest.tokens.access_token]) {
      const response = await initialize(refused);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toContain(
        `resource_metadata="${t.baseUrl}/.well-known/oauth-protected-resource/mcp"`,
      );
    }
    const accepted = await initialize(mcp.tokens.access_token);
    expect(accepted.status, await accepted.clone().text()).toBe(200);
  });

  it('refuses tampered, expired, foreign-key and alg-none tokens; a token we sign correctly passes', async () => {
    const { tokens, userId, clientId } = await tokensFor(t, { resource: `${t.baseUrl}/mcp` });
    const [h, p, s] = tokens.access_token.split('.');
    const claims = decodeJwt(tokens.access_token);
    const forged = (changes: Record<string, unknown>) =>
      `${h}.${Buffer.from(JSON.stringify({ ...claims, ...changes })).toString('base64url')}.${s}`;
    const unsigned = `${Buffer.from('{"alg":"none","typ":"at+jwt"}').toString('base64url')}.${p}.`;

    // Our own key, as the server holds it (decrypted with the test encryption key).
    const cipher = accessTokenCipherFromKeys(TEST_ENCRYPTION_KEY);
    const [privateJwk] = await loadSigningKeys(t.app.services.repositories.oauth, cipher);
    const key = await importJWK(privateJwk as Parameters<typeof importJWK>[0], 'RS256');
    const now = Math.floor(Date.now() / 1000);
    const sign = (payload: Record<string, unknown>, kid = String(privateJwk!.kid)) =>
      new SignJWT({ ...claims, ...payload })
        .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid })
        .sign(key);
    const valid = await sign({ iat: now, exp: now + 600 });
    await expect(mcpAuth(valid)).resolves.toMatchObject({ userId, clientId });

    for (const bad of [
      forged({ sub: crypto.randomUUID() }),
      forged({ aud: `${t.baseUrl}/v1` }),
      forged({ scope: 'read write admin' }),
      unsigned,
      await sign({ iat: now - 7200, exp: now - 3600 }),
      await sign({ aud: [`${t.baseUrl}/mcp`, `${t.baseUrl}/v1`] }),
      await sign({ gid: 'not-a-grant' }),
      await sign({ iss: 'https://elsewhere.example' }),
      'a.b.c',
    ]) {
      await expect(mcpAuth(bad)).rejects.toMatchObject({ code: 'INVALID_TOKEN' });
    }
  });

  it('rotates refresh tokens; a reused one revokes the whole family and its access tokens', async () => {
    const resource = `${t.baseUrl}/mcp`;
    const { tokens, clientId } = await tokensFor(t, { resource });
    const refresh = (token: string) =>
      tokenRequest(t.baseUrl, { grant_type: 'refresh_token', refresh_token: token, client_id: clientId });

    const rotated = await refresh(tokens.refresh_token!);
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
    expect(rotated.body.refresh_token).toBeTruthy();
    expect(rotated.body.refresh_token).not.toBe(tokens.refresh_token);
    const newAccess = String(rotated.body.access_token);
    expect(decodeJwt(newAccess).aud).toBe(resource);
    await expect(mcpAuth(newAccess)).resolves.toMatchObject({ kind: 'oauth' });

    // The old refresh token again: refused, and everything of the grant is revoked.
    const reuse = await refresh(tokens.refresh_token!);
    expect(reuse.status).toBe(400);
    expect(reuse.body.error).toBe('invalid_grant');
    expect((await refresh(String(rotated.body.refresh_token))).body.error).toBe('invalid_grant');
    await expect(mcpAuth(newAccess)).rejects.toMatchObject({ code: 'INVALID_TOKEN' });
    await expect(mcpAuth(tokens.access_token)).rejects.toMatchObject({ code: 'INVALID_TOKEN' });
  });

  it('refresh tokens last at least 30 days', async () => {
    const { tokens } = await tokensFor(t, { resource: `${t.baseUrl}/mcp` });
    const rows = await t.app.services.repositories.oauth.find(
      'RefreshToken',
      tokens.refresh_token!,
      new Date(),
    );
    expect(rows).toBeDefined();
    const exp = Number(rows!.payload.exp) * 1000;
    expect(exp - Date.now()).toBeGreaterThanOrEqual(30 * 86_400_000 - 60_000);
  });

  it('the revocation endpoint revokes a refresh token and its grant', async () => {
    const { tokens, clientId } = await tokensFor(t, { resource: `${t.baseUrl}/v1` });
    const response = await fetch(`${t.baseUrl}/oauth/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: tokens.refresh_token!, client_id: clientId }).toString(),
    });
    expect(response.status).toBe(200);
    const refreshed = await tokenRequest(t.baseUrl, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token!,
      client_id: clientId,
    });
    expect(refreshed.body.error).toBe('invalid_grant');
    expect((await me(tokens.access_token)).statusCode).toBe(401);
  });

  it("lists and revokes the caller's grants, and nobody else's", async () => {
    const resource = `${t.baseUrl}/mcp`;
    const mine = await tokensFor(t, { resource });
    const other = await newUser(t.app);
    const otherPat = await newAccessToken(t.app, other.user.id);
    const myPat = await newAccessToken(t.app, mine.userId);

    const list = await t.app.inject({ url: '/v1/auth/grants', headers: bearer(myPat.token) });
    expect(list.statusCode).toBe(200);
    const { data } = list.json<{
      data: { id: string; client_id: string; client_name: string; resources: unknown }[];
    }>();
    expect(data).toHaveLength(1);
    expect(data[0]).toMatchObject({
      client_id: mine.clientId,
      client_name: 'Test Client',
      resources: [{ resource, scopes: ['read', 'write'] }],
    });
    const grantId = data[0]!.id;

    const othersList = await t.app.inject({ url: '/v1/auth/grants', headers: bearer(otherPat.token) });
    expect(othersList.json()).toEqual({ data: [] });
    const othersDelete = await t.app.inject({
      method: 'DELETE',
      url: `/v1/auth/grants/${grantId}`,
      headers: bearer(otherPat.token),
    });
    expect(othersDelete.statusCode).toBe(404);
    await expect(mcpAuth(mine.tokens.access_token)).resolves.toMatchObject({ userId: mine.userId });

    const bad = await t.app.inject({
      method: 'DELETE',
      url: '/v1/auth/grants/..%2F..',
      headers: bearer(myPat.token),
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');

    const deleted = await t.app.inject({
      method: 'DELETE',
      url: `/v1/auth/grants/${grantId}`,
      headers: bearer(myPat.token),
    });
    expect(deleted.statusCode).toBe(204);
    await expect(mcpAuth(mine.tokens.access_token)).rejects.toMatchObject({ code: 'INVALID_TOKEN' });
    const refreshed = await tokenRequest(t.baseUrl, {
      grant_type: 'refresh_token',
      refresh_token: mine.tokens.refresh_token!,
      client_id: mine.clientId,
    });
    expect(refreshed.body.error).toBe('invalid_grant');
    expect((await t.app.inject({ url: '/v1/auth/grants', headers: bearer(myPat.token) })).json()).toEqual({
      data: [],
    });
  });
});
