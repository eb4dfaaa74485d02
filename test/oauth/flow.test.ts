import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { bearer, newUser } from '../factories/users.js';
import { databaseKinds } from '../helpers/database.js';
import {
  authorize,
  listeningApp,
  pkce,
  registerClient,
  REDIRECT_URI,
  tokenRequest,
  tokensFor,
  type ListeningApp,
} from './support.js';

describe.each(databaseKinds())('OAuth authorization code flow on %s', (kind) => {
  let t: ListeningApp;
  beforeAll(async () => {
    t = await listeningApp(kind);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('issues an audience-bound JWT for /v1 (an hour) and a refresh token; /v1 accepts it as kind oauth', async () => {
    const resource = `${t.baseUrl}/v1`;
    const { tokens, userId, clientId } = await tokensFor(t, { resource });
    expect(tokens.token_type).toBe('Bearer');
    expect(tokens.expires_in).toBeGreaterThan(3500);
    expect(tokens.expires_in).toBeLessThanOrEqual(3600);
    expect(tokens.refresh_token).toBeTruthy();
    expect(decodeProtectedHeader(tokens.access_token)).toMatchObject({ alg: 'RS256', typ: 'at+jwt' });
    const claims = decodeJwt(tokens.access_token);
    expect(claims).toMatchObject({ aud: resource, sub: userId, iss: t.baseUrl, client_id: clientId });
    expect(String(claims.scope).split(' ').sort()).toEqual(['read', 'write']);

    const me = await t.app.inject({ url: '/v1/me', headers: bearer(tokens.access_token) });
    expect(me.statusCode, me.body).toBe(200);
    expect(me.json()).toMatchObject({ id: userId, auth: { kind: 'oauth', scopes: ['read', 'write'] } });
  });

  it('puts iss in the authorization response (RFC 9207) and applies the default scope (read) when none is asked', async () => {
    const { email } = await newUser(t.app);
    const client = await registerClient(t.baseUrl);
    const { verifier, challenge } = pkce();
    const result = await authorize(t.baseUrl, {
      clientId: client.client_id,
      resource: `${t.baseUrl}/mcp`,
      challenge,
      method: 'S256',
      email,
    });
    expect(result.get('iss')).toBe(t.baseUrl);
    const exchanged = await tokenRequest(t.baseUrl, {
      grant_type: 'authorization_code',
      code: result.get('code')!,
      code_verifier: verifier,
      client_id: client.client_id,
      redirect_uri: REDIRECT_URI,
    });
    expect(exchanged.status, JSON.stringify(exchanged.body)).toBe(200);
    const claims = decodeJwt(String(exchanged.body.access_token));
    expect(claims.aud).toBe(`${t.baseUrl}/mcp`);
    expect(claims.scope).toBe('read');
  });

  it('refuses an authorization request without PKCE, and with the plain method', async () => {
    const { email } = await newUser(t.app);
    const client = await registerClient(t.baseUrl);
    const withoutPkce = await authorize(t.baseUrl, { clientId: client.client_id, scope: 'read', email });
    expect(withoutPkce.get('error')).toBe('invalid_request');
    expect(withoutPkce.get('code')).toBeNull();
    const plain = await authorize(t.baseUrl, {
      clientId: client.client_id,
      scope: 'read',
      challenge: 'x'.repeat(43),
      method: 'plain',
      email,
    });
    expect(plain.get('error')).toBe('invalid_request');
    expect(plain.get('code')).toBeNull();
  });

  it('a denied consent sends access_denied back to the client', async () => {
    const { email } = await newUser(t.app);
    const client = await registerClient(t.baseUrl);
    const { challenge } = pkce();
    const result = await authorize(t.baseUrl, {
      clientId: client.client_id,
      scope: 'read',
      challenge,
      method: 'S256',
      email,
      decision: 'deny',
    });
    expect(result.get('error')).toBe('access_denied');
    expect(result.get('code')).toBeNull();
  });
});
