/**
 * The whole OAuth flow as ChatGPT or Claude runs it, over real sockets: the official MCP client 2.4.0
 * with an OAuth client provider meets our /mcp without a token (401 with the resource-metadata
 * challenge), discovers the protected resource and our authorization server, registers itself (DCR),
 * sends the person to /oauth/authorize with PKCE S256 and `resource`; headless Chromium signs in and
 * allows on our pages; the client checks `iss`, exchanges the code and lists the tools on /mcp.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  Client,
  StreamableHTTPClientTransport,
  UnauthorizedError,
  type OAuthClientProvider,
} from '@modelcontextprotocol/client';
import { chromium } from 'playwright-core';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FACTORY_PASSWORD, newUser } from '../factories/users.js';
import { databaseKinds } from '../helpers/database.js';
import { listeningApp, type ListeningApp } from '../oauth/support.js';

const CHROMIUM = '/usr/bin/chromium';
// CI installs Debian's chromium (.ci/run): there, a missing browser is an error, never a skip.
if (!existsSync(CHROMIUM) && process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing`);

type Stored = Parameters<OAuthClientProvider['saveTokens']>[0];
type StoredClient = Parameters<NonNullable<OAuthClientProvider['saveClientInformation']>>[0];

/** An MCP host's OAuth state, in memory: what ChatGPT or Claude keeps per connection. */
class MemoryOAuthProvider implements OAuthClientProvider {
  client: StoredClient | undefined;
  stored: Stored | undefined;
  verifier = '';
  authorizationUrl: URL | undefined;
  constructor(readonly redirectUrl: string) {}
  get clientMetadata() {
    return {
      client_name: 'E2E MCP Host',
      redirect_uris: [this.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  clientInformation() {
    return this.client;
  }
  saveClientInformation(info: StoredClient) {
    this.client = info;
  }
  tokens() {
    return this.stored;
  }
  saveTokens(tokens: Stored) {
    this.stored = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
  discovery: unknown;
  saveDiscoveryState(state: unknown) {
    this.discovery = state;
  }
  discoveryState() {
    return this.discovery as never;
  }
}

/** The host's redirect endpoint: records what the authorization server sends back. */
async function callbackServer() {
  const received: URLSearchParams[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://127.0.0.1');
    if (url.pathname === '/callback') received.push(url.searchParams); // not the browser's /favicon.ico
    res.writeHead(200, { 'content-type': 'text/plain' }).end('You can close this window.');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`,
    received,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

describe.skipIf(!existsSync(CHROMIUM)).each(databaseKinds())(
  'OAuth in a browser with the MCP client on %s',
  (kind) => {
    let t: ListeningApp;
    let callback: Awaited<ReturnType<typeof callbackServer>>;
    let browser: Awaited<ReturnType<typeof chromium.launch>>;
    beforeAll(async () => {
      t = await listeningApp(kind);
      callback = await callbackServer();
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      });
    }, 120_000);
    afterAll(async () => {
      await browser?.close();
      await callback?.close();
      await t?.close();
    });

    it('discovery → DCR → PKCE S256 with resource → sign-in and consent pages → iss checked → tools/list', async () => {
      const { email, user } = await newUser(t.app);
      const mcpUrl = new URL(`${t.baseUrl}/mcp`);
      const provider = new MemoryOAuthProvider(callback.url);

      // No token yet: the client is sent to authorize.
      const first = new Client({ name: 'e2e-host', version: '1.0.0' });
      await expect(
        first.connect(new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider })),
      ).rejects.toBeInstanceOf(UnauthorizedError);
      expect(provider.client?.client_id).toBeTruthy(); // registered through DCR
      const authorizationUrl = provider.authorizationUrl!;
      expect(authorizationUrl.origin + authorizationUrl.pathname).toBe(`${t.baseUrl}/oauth/authorize`);
      expect(authorizationUrl.searchParams.get('code_challenge_method')).toBe('S256');
      expect(authorizationUrl.searchParams.get('resource')).toBe(mcpUrl.toString());

      // The person, in a browser: our sign-in page, then the consent page.
      const page = await browser.newPage();
      const violations: string[] = [];
      page.on('console', (message) => {
        if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
      });
      page.on('pageerror', (error) => violations.push(error.message));
      await page.goto(authorizationUrl.toString());
      await page.waitForSelector('input[name=email]');
      expect(await page.textContent('h1')).toBe('Sign in');
      expect(await page.textContent('main')).toContain('E2E MCP Host');
      await page.fill('input[name=password]', 'not the password');
      await page.fill('input[name=email]', email);
      await page.click('button[type=submit]');
      await page.waitForSelector('.error');
      expect(await page.textContent('.error')).toContain('wrong');
      await page.fill('input[name=password]', FACTORY_PASSWORD);
      await page.click('button[type=submit]');
      await page.waitForSelector('button[value=allow]');
      const consent = (await page.textContent('main'))!;
      expect(consent).toContain('Allow E2E MCP Host?');
      expect(consent).toContain(new URL(callback.url).host);
      expect(consent).toMatch(/read:/);
      const headers = await (await page.request.get(page.url())).headers();
      expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(headers['content-security-policy']).not.toContain('unsafe-inline');
      await page.click('button[value=allow]');
      await page.waitForURL((url) => url.toString().startsWith(callback.url));
      await page.close();
      expect(violations).toEqual([]);

      const params = callback.received.at(-1)!;
      expect(params.get('iss')).toBe(t.baseUrl);
      expect(params.get('code')).toBeTruthy();

      // A forged `iss` is refused by the client (RFC 9207); the real one goes through.
      const transport = new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider });
      const forged = new URLSearchParams(params);
      forged.set('iss', 'https://attacker.example');
      await expect(transport.finishAuth(forged)).rejects.toThrow();
      await transport.finishAuth(params);
      const claims = decodeJwt(provider.stored!.access_token);
      expect(claims).toMatchObject({ aud: mcpUrl.toString(), sub: user.id, iss: t.baseUrl });
      expect(provider.stored!.refresh_token).toBeTruthy();

      const client = new Client({ name: 'e2e-host', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider }));
      try {
        const { tools } = await client.listTools();
        expect(tools.map((tool) => tool.name)).toEqual(
          expect.arrayContaining(['list_accounts', 'search_transactions', 'search', 'fetch', 'sync_now']),
        );
        const accounts = await client.callTool({ name: 'list_accounts', arguments: {} });
        expect(accounts.isError ?? false).toBe(false);
      } finally {
        await client.close();
      }
    }, 180_000);
  },
);
