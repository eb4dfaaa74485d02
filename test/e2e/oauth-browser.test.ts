/**
 * The whole OAuth flow as ChatGPT or Claude runs it, over real sockets: the official MCP client 2.4.0
 * with an OAuth client provider meets our /mcp without a token (401 with the resource-metadata
 * challenge), discovers the protected resource and our authorization server, registers itself (DCR),
 * sends the person to /oauth/authorize with PKCE S256 and `resource`; headless Chromium signs in and
 * allows on our pages; the client checks `iss`, exchanges the code, lists the tools on /mcp and calls
 * every one of them for a person linked through the emulator: each answer equals the REST answer.
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
import { FACTORY_PASSWORD } from '../factories/users.js';
import { databaseKinds } from '../helpers/database.js';
import { startMcpHarness, structuredOf, type McpHarness } from '../mcp/support.js';
import { freePort } from '../oauth/support.js';

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
    let h: McpHarness;
    let baseUrl: string;
    let callback: Awaited<ReturnType<typeof callbackServer>>;
    let browser: Awaited<ReturnType<typeof chromium.launch>>;
    beforeAll(async () => {
      // PUBLIC_URL is where the service listens: the issuer and the resource the client sees.
      const port = await freePort();
      baseUrl = `http://127.0.0.1:${port}`;
      h = await startMcpHarness(
        kind,
        {
          PUBLIC_URL: baseUrl,
          AUTH_RATE_LIMIT_PER_MINUTE: '1000',
          OAUTH_REGISTRATION_RATE_LIMIT_PER_MINUTE: '1000',
        },
        { port },
      );
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
      await h?.close();
    });

    it('discovery → DCR → PKCE S256 with resource → sign-in and consent pages → iss checked → every tool', async () => {
      // A person with a bank (transactions, cards, a loan) and a brokerage, linked and synced.
      const person = await h.newPerson({ link: ['ins_109508', 'ins_43'] });
      const email = person.email;
      const mcpUrl = new URL(`${baseUrl}/mcp`);
      const provider = new MemoryOAuthProvider(callback.url);

      // No token yet: the client is sent to authorize.
      const first = new Client({ name: 'e2e-host', version: '1.0.0' });
      await expect(
        first.connect(new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider })),
      ).rejects.toBeInstanceOf(UnauthorizedError);
      expect(provider.client?.client_id).toBeTruthy(); // registered through DCR
      const authorizationUrl = provider.authorizationUrl!;
      expect(authorizationUrl.origin + authorizationUrl.pathname).toBe(`${baseUrl}/oauth/authorize`);
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
      expect(params.get('iss')).toBe(baseUrl);
      expect(params.get('code')).toBeTruthy();

      // A forged `iss` is refused by the client (RFC 9207); the real one goes through.
      const transport = new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider });
      const forged = new URLSearchParams(params);
      forged.set('iss', 'https://attacker.example');
      await expect(transport.finishAuth(forged)).rejects.toThrow();
      await transport.finishAuth(params);
      const claims = decodeJwt(provider.stored!.access_token);
      expect(claims).toMatchObject({ aud: mcpUrl.toString(), sub: person.id, iss: baseUrl });
      expect(provider.stored!.refresh_token).toBeTruthy();

      const client = new Client({ name: 'e2e-host', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider }));
      try {
        const { tools } = await client.listTools();
        const call = async (name: string, args: Record<string, unknown> = {}) => {
          const result = await client.callTool({ name, arguments: args });
          expect(result.isError ?? false, `${name}: ${JSON.stringify(result.content)}`).toBe(false);
          return structuredOf<Record<string, unknown>>(result);
        };
        const rest = (path: string) => h.rest<Record<string, unknown>>(person.token, path);
        const called = new Set<string>();
        /** The tool's answer holds every field of the REST answer (but the time it was made) unchanged. */
        const sameAsRest = async (tool: string, args: Record<string, unknown>, path: string) => {
          called.add(tool);
          const [mine, theirs] = await Promise.all([call(tool, args), rest(path)]);
          for (const [field, value] of Object.entries(theirs))
            if (field !== 'as_of') expect(mine[field], `${tool} ${field}`).toEqual(value);
          return mine;
        };

        const accounts = await sameAsRest('list_accounts', {}, '/v1/accounts');
        const transactions = (
          await sameAsRest('search_transactions', { limit: 25 }, '/v1/transactions?limit=25')
        ).data as { id: string }[];
        await sameAsRest('get_cash_flow', {}, '/v1/cashflow/summary');
        // The same interval asked of both (left alone, the tool picks a coarser one to fit its budget).
        await sameAsRest('get_net_worth', { interval: 'week' }, '/v1/net-worth?interval=week');
        const holdings = (await sameAsRest('get_holdings', {}, '/v1/holdings')).positions as {
          security_id: string;
        }[];
        await sameAsRest('get_recurring', {}, '/v1/recurring');
        await sameAsRest('get_net_worth_change', {}, '/v1/net-worth/change');
        await sameAsRest('get_insights', {}, '/v1/insights');
        await sameAsRest('get_budgets', {}, '/v1/budgets');
        await sameAsRest('suggest_budgets', {}, '/v1/budgets/suggest');
        await sameAsRest('list_liabilities', {}, '/v1/liabilities');
        await sameAsRest(
          'search_investment_transactions',
          { limit: 25 },
          '/v1/investment-transactions?limit=25',
        );
        const accountId = (accounts.data as { id: string }[])[0]!.id;
        await sameAsRest(
          'get_account_balances',
          { account_id: accountId },
          `/v1/accounts/${accountId}/balances`,
        );
        await sameAsRest(
          'get_transaction',
          { id: transactions[0]!.id },
          `/v1/transactions/${transactions[0]!.id}`,
        );
        await sameAsRest('list_categories', {}, '/v1/categories');
        expect(holdings.length).toBeGreaterThan(0);
        await sameAsRest(
          'get_security',
          { id: holdings[0]!.security_id },
          `/v1/securities/${holdings[0]!.security_id}`,
        );

        await sameAsRest('list_rules', {}, '/v1/rules');
        // update_transaction: applied with the write scope the person consented to, refused without it.
        called.add('update_transaction');
        const edited = await client.callTool({
          name: 'update_transaction',
          arguments: { transaction_id: transactions[0]!.id, note: 'asked by the assistant' },
        });
        const writes = String(decodeJwt(provider.stored!.access_token).scope ?? '')
          .split(' ')
          .includes('write');
        expect(edited.isError ?? false).toBe(!writes);
        const note = ((await rest(`/v1/transactions/${transactions[0]!.id}`)).data as { note: string | null })
          .note;
        expect(note).toBe(writes ? 'asked by the assistant' : null);

        // The status of the person's items, as GET /v1/items shows them.
        called.add('get_sync_status');
        const status = await call('get_sync_status');
        const items = (await rest('/v1/items')).data as { id: string; status: string }[];
        expect((status.items as { id: string; status: string }[]).map((i) => [i.id, i.status])).toEqual(
          items.map((i) => [i.id, i.status]),
        );
        // ChatGPT's pair: every result found can be fetched.
        called.add('search').add('fetch');
        const query = (accounts.data as { name: string }[])[0]!.name;
        const found = (await call('search', { query })).results as { id: string }[];
        expect(found.length).toBeGreaterThan(0);
        for (const { id } of found.slice(0, 5)) expect((await call('fetch', { id })).id).toBe(id);
        // sync_now: queued with the write scope the person consented to, refused without it.
        called.add('sync_now');
        const scopes = String(decodeJwt(provider.stored!.access_token).scope ?? '').split(' ');
        const synced = await client.callTool({ name: 'sync_now', arguments: {} });
        expect(synced.isError ?? false).toBe(!scopes.includes('write'));

        expect([...called].sort()).toEqual(tools.map((tool) => tool.name).sort());
      } finally {
        await client.close();
      }
    }, 180_000);
  },
);
