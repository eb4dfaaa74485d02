import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseKinds } from '../helpers/database.js';
import { listeningApp, type ListeningApp } from './support.js';

async function register(baseUrl: string, metadata: Record<string, unknown>) {
  const response = await fetch(`${baseUrl}/oauth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: 'A client', token_endpoint_auth_method: 'none', ...metadata }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe.each(databaseKinds())('OAuth dynamic client registration on %s', (kind) => {
  let t: ListeningApp;
  beforeAll(async () => {
    t = await listeningApp(kind, { OAUTH_REGISTRATION_RATE_LIMIT_PER_MINUTE: '1000' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("registers Claude's and ChatGPT's callbacks, other https URLs and loopback http", async () => {
    for (const uri of [
      'https://claude.ai/api/mcp/auth_callback',
      'https://chatgpt.com/connector_platform_oauth_redirect',
      'http://127.0.0.1:33418/callback',
      'http://localhost:8080/cb',
      'http://[::1]:9000/cb',
    ]) {
      const { status, body } = await register(t.baseUrl, {
        redirect_uris: [uri],
        grant_types: ['authorization_code', 'refresh_token'],
      });
      expect(status, `${uri}: ${JSON.stringify(body)}`).toBe(201);
      expect(body).toMatchObject({ redirect_uris: [uri], token_endpoint_auth_method: 'none' });
      expect(typeof body.client_id).toBe('string');
    }
  });

  it('refuses redirect URIs that are neither https nor loopback http', async () => {
    for (const uri of [
      'http://example.com/callback',
      'http://192.168.1.10/cb',
      'javascript:alert(1)',
      'https://example.com/cb#fragment',
      'ftp://example.com/cb',
      'not a url',
    ]) {
      const { status, body } = await register(t.baseUrl, { redirect_uris: [uri] });
      expect(status, uri).toBe(400);
      expect(['invalid_redirect_uri', 'invalid_client_metadata']).toContain(body.error);
    }
    const none = await register(t.baseUrl, { redirect_uris: [] });
    expect(none.status).toBe(400);
  });

  it('accepts default_resource rest or mcp, nothing else', async () => {
    const { status } = await register(t.baseUrl, {
      redirect_uris: ['https://example.com/cb'],
      default_resource: 'https://elsewhere.example/api',
    });
    expect(status).toBe(400);
    const ok = await register(t.baseUrl, {
      redirect_uris: ['https://example.com/cb'],
      default_resource: 'rest',
    });
    expect(ok.status).toBe(201);
  });
});

describe('OAuth dynamic client registration rate limit', () => {
  let t: ListeningApp;
  beforeAll(async () => {
    t = await listeningApp('pglite', { OAUTH_REGISTRATION_RATE_LIMIT_PER_MINUTE: '2' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers 429 problem+json with Retry-After past the per-address limit', async () => {
    const metadata = { redirect_uris: ['https://claude.ai/api/mcp/auth_callback'] };
    expect((await register(t.baseUrl, metadata)).status).toBe(201);
    expect((await register(t.baseUrl, metadata)).status).toBe(201);
    const response = await fetch(`${t.baseUrl}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(metadata),
    });
    expect(response.status).toBe(429);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await response.json()) as { code: string }).code).toBe('RATE_LIMITED');
  });
});
