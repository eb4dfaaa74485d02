import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCimdFetchGuard, isForbiddenAddress } from '../../src/domain/oauth/cimd-fetch.js';
import { newUser } from '../factories/users.js';
import { databaseKinds } from '../helpers/database.js';
import {
  authorize,
  Browser,
  listeningApp,
  pkce,
  REDIRECT_URI,
  tokenRequest,
  type ListeningApp,
} from './support.js';

describe('client ID metadata document SSRF guard', () => {
  it('refuses private, loopback, link-local, CGNAT, multicast and reserved addresses, mapped ones too', () => {
    for (const address of [
      '10.1.2.3',
      '127.0.0.1',
      '169.254.169.254',
      '172.16.0.1',
      '192.168.1.1',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '::1',
      '::',
      'fe80::1',
      'fd00::1',
      '::ffff:10.0.0.1',
      '::ffff:127.0.0.1',
    ]) {
      expect(isForbiddenAddress(address), address).toBe(true);
    }
    for (const address of ['93.184.216.34', '1.1.1.1', '2606:4700:4700::1111']) {
      expect(isForbiddenAddress(address), address).toBe(false);
    }
    expect(isForbiddenAddress('127.0.0.1', true)).toBe(false);
    expect(isForbiddenAddress('10.0.0.1', true)).toBe(true);
  });

  it('allows only https URLs whose every address is public', async () => {
    const names: Record<string, string[]> = {
      'public.example': ['93.184.216.34'],
      'mixed.example': ['93.184.216.34', '10.0.0.7'],
      'internal.example': ['192.168.0.2'],
    };
    const guard = createCimdFetchGuard({
      resolve: async (host) => {
        const found = names[host];
        if (!found) throw new Error('ENOTFOUND');
        return found;
      },
    });
    expect(await guard.allowFetch('https://public.example/client.json')).toBe(true);
    for (const url of [
      'http://public.example/client.json',
      'https://mixed.example/client.json',
      'https://internal.example/client.json',
      'https://unknown.example/client.json',
      'https://127.0.0.1/client.json',
      'https://[::1]/client.json',
      'https://169.254.169.254/latest/meta-data',
      'https://localhost/client.json',
      'https://app.localhost/client.json',
    ]) {
      expect(await guard.allowFetch(url), url).toBe(false);
    }
  });
});

/** A loopback https server with a throwaway self-signed certificate, serving metadata documents. */
async function metadataServer() {
  const dir = mkdtempSync(path.join(tmpdir(), 'cimd-'));
  const [key, cert] = [path.join(dir, 'key.pem'), path.join(dir, 'cert.pem')];
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  const documents = new Map<string, string>();
  const hits = new Map<string, number>();
  const server: Server = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    hits.set(req.url!, (hits.get(req.url!) ?? 0) + 1);
    const body = documents.get(req.url!);
    if (!body) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=600' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    caFile: cert,
    origin,
    hits,
    serve(pathname: string, document: unknown) {
      documents.set(pathname, typeof document === 'string' ? document : JSON.stringify(document));
      return `${origin}${pathname}`;
    },
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe.each(databaseKinds())('client ID metadata documents on %s', (kind) => {
  let docs: Awaited<ReturnType<typeof metadataServer>>;
  let t: ListeningApp;
  let guarded: ListeningApp;
  beforeAll(async () => {
    docs = await metadataServer();
    t = await listeningApp(kind, { OAUTH_CIMD_TEST_LOOPBACK_CA_FILE: docs.caFile });
    guarded = await listeningApp(kind);
  });
  afterAll(async () => {
    await t?.close();
    await guarded?.close();
    await docs?.close();
  });

  const document = (clientId: string, extra: Record<string, unknown> = {}) => ({
    client_id: clientId,
    client_name: 'Metadata Client',
    redirect_uris: [REDIRECT_URI],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    ...extra,
  });

  it('signs in a client known only by its metadata URL, fetched once and cached', async () => {
    const clientId = `${docs.origin}/good.json`;
    docs.serve('/good.json', document(clientId));
    for (let round = 0; round < 2; round += 1) {
      const { email } = await newUser(t.app);
      const { verifier, challenge } = pkce();
      const result = await authorize(t.baseUrl, {
        clientId,
        resource: `${t.baseUrl}/mcp`,
        scope: 'read',
        challenge,
        method: 'S256',
        email,
      });
      expect(result.get('code'), result.toString()).toBeTruthy();
      const exchanged = await tokenRequest(t.baseUrl, {
        grant_type: 'authorization_code',
        code: result.get('code')!,
        code_verifier: verifier,
        client_id: clientId,
        redirect_uri: REDIRECT_URI,
      });
      expect(exchanged.status, JSON.stringify(exchanged.body)).toBe(200);
    }
    expect(docs.hits.get('/good.json')).toBe(1);
  });

  it('refuses a document over the size limit, one naming another client_id, and a redirect URI of ours to refuse', async () => {
    const big = `${docs.origin}/big.json`;
    docs.serve('/big.json', document(big, { client_name: 'x'.repeat(6 * 1024) }));
    const mismatch = docs.serve('/mismatch.json', document(`${docs.origin}/other.json`));
    const badRedirect = `${docs.origin}/bad-redirect.json`;
    docs.serve('/bad-redirect.json', document(badRedirect, { redirect_uris: ['http://example.com/cb'] }));
    for (const clientId of [big, mismatch, badRedirect]) {
      const browser = new Browser(t.baseUrl);
      const params = new URLSearchParams({
        client_id: clientId,
        response_type: 'code',
        redirect_uri: REDIRECT_URI,
        scope: 'read',
        code_challenge: pkce().challenge,
        code_challenge_method: 'S256',
      });
      const response = await browser.request(`/oauth/authorize?${params}`);
      expect(response.status, clientId).toBe(400);
      expect(response.headers.get('location')).toBeNull();
    }
  });

  it('never fetches a loopback document without the test override', async () => {
    const clientId = `${docs.origin}/guarded.json`;
    docs.serve('/guarded.json', document(clientId));
    const params = new URLSearchParams({
      client_id: clientId,
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      scope: 'read',
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
    });
    const response = await new Browser(guarded.baseUrl).request(`/oauth/authorize?${params}`);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('invalid_client');
    expect(docs.hits.get('/guarded.json')).toBeUndefined();
  });
});
