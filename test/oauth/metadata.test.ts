import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseKinds } from '../helpers/database.js';
import { listeningApp, type ListeningApp } from './support.js';

describe.each(databaseKinds())('OAuth metadata documents on %s', (kind) => {
  let t: ListeningApp;
  beforeAll(async () => {
    t = await listeningApp(kind);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('serves RFC 8414 authorization server metadata with our fixed endpoints, S256 only and iss support', async () => {
    const response = await fetch(`${t.baseUrl}/.well-known/oauth-authorization-server`);
    expect(response.status).toBe(200);
    const metadata = (await response.json()) as Record<string, unknown>;
    expect(metadata).toMatchObject({
      issuer: t.baseUrl,
      authorization_endpoint: `${t.baseUrl}/oauth/authorize`,
      token_endpoint: `${t.baseUrl}/oauth/token`,
      registration_endpoint: `${t.baseUrl}/oauth/register`,
      revocation_endpoint: `${t.baseUrl}/oauth/revoke`,
      jwks_uri: `${t.baseUrl}/oauth/jwks`,
      code_challenge_methods_supported: ['S256'],
      client_id_metadata_document_supported: true,
      authorization_response_iss_parameter_supported: true,
      response_types_supported: ['code'],
    });
    expect(metadata.token_endpoint_auth_methods_supported).toContain('none');
    expect(metadata.grant_types_supported).toEqual(
      expect.arrayContaining(['authorization_code', 'refresh_token']),
    );
    expect(metadata.scopes_supported).toEqual(expect.arrayContaining(['read', 'write']));
    // The OIDC discovery document is the same document.
    const oidc = await fetch(`${t.baseUrl}/.well-known/openid-configuration`);
    expect(await oidc.json()).toEqual(metadata);
  });

  it('serves the protected resource metadata of /mcp (path and root forms) and /v1 (RFC 9728)', async () => {
    for (const [path, resource] of [
      ['/.well-known/oauth-protected-resource/mcp', `${t.baseUrl}/mcp`],
      ['/.well-known/oauth-protected-resource', `${t.baseUrl}/mcp`],
      ['/.well-known/oauth-protected-resource/v1', `${t.baseUrl}/v1`],
    ] as const) {
      const response = await fetch(`${t.baseUrl}${path}`);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({
        resource,
        authorization_servers: [t.baseUrl],
        scopes_supported: ['read', 'write'],
        bearer_methods_supported: ['header'],
      });
    }
  });

  it('answers browser-based clients across origins: metadata documents and a token endpoint preflight', async () => {
    const origin = 'https://inspector.example';
    for (const path of [
      '/.well-known/oauth-protected-resource/mcp',
      '/.well-known/oauth-authorization-server',
    ]) {
      const response = await fetch(`${t.baseUrl}${path}`, { headers: { origin } });
      expect(['*', origin], path).toContain(response.headers.get('access-control-allow-origin'));
    }
    const preflight = await fetch(`${t.baseUrl}/oauth/token`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(origin);
  });

  it('publishes only public signing keys', async () => {
    const response = await fetch(`${t.baseUrl}/oauth/jwks`);
    expect(response.status).toBe(200);
    const { keys } = (await response.json()) as { keys: Record<string, unknown>[] };
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(key).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
      for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key).not.toHaveProperty(secret);
    }
  });
});
