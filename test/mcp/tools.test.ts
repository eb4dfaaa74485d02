/**
 * The MCP endpoint end to end over a real socket with the official MCP client 2.4.0 and a personal
 * access token: the tool list, every tool against people linked through the emulator, figures equal to
 * the REST answers field by field, scopes, foreign ids, authentication and DNS-rebinding protection.
 */
import type { Client } from '@modelcontextprotocol/client';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FACTORY_PASSWORD } from '../factories/users.js';
import { databaseKinds } from '../helpers/database.js';
import {
  connectClient,
  PUBLIC_URL,
  startMcpHarness,
  structuredOf,
  toolErrorOf,
  type McpHarness,
  type Person,
} from './support.js';

type Json = Record<string, unknown>;
type Rows = Json[];

const TOOL_NAMES = [
  'list_accounts',
  'search_transactions',
  'get_cash_flow',
  'get_net_worth',
  'get_holdings',
  'get_recurring',
  'get_net_worth_change',
  'get_insights',
  'get_budgets',
  'suggest_budgets',
  'list_liabilities',
  'search_investment_transactions',
  'get_account_balances',
  'get_transaction',
  'list_categories',
  'get_security',
  'update_transaction',
  'list_rules',
  'get_sync_status',
  'sync_now',
  'search',
  'fetch',
];

describe.each(databaseKinds())('MCP tools on %s', (kind) => {
  let h: McpHarness;
  let alice: Person;
  let bob: Person;
  let carol: Person;
  let client: Client;
  let modern: Client;

  beforeAll(async () => {
    h = await startMcpHarness(kind);
    // Alice: a US bank with investments and a Canadian one (two currencies); Bob and Carol: one each.
    alice = await h.newPerson({ link: ['ins_109508', 'ins_43'] });
    bob = await h.newPerson({ link: ['ins_109509'] });
    carol = await h.newPerson({ link: ['ins_109508'] });
    client = await connectClient(h.url, alice.token);
    modern = await connectClient(h.url, alice.token, 'modern');
  }, 240_000);
  afterAll(async () => {
    await client?.close();
    await modern?.close();
    await h?.close();
  });

  const call = async (name: string, args: Json = {}, via: Client = client) =>
    via.callTool({ name, arguments: args });
  const answer = async <T = Json>(name: string, args: Json = {}, via: Client = client) =>
    structuredOf<T>(await call(name, args, via));

  it('lists exactly our tools, in one order for both protocol eras, each with title, schemas and annotations', async () => {
    const legacyList = await client.listTools();
    const modernList = await modern.listTools();
    expect(modern.getDiscoverResult(), 'the modern client negotiated 2026-07-28').toBeDefined();
    expect(client.getDiscoverResult(), 'the default client used initialize').toBeUndefined();
    expect(legacyList.tools.map((t) => t.name)).toEqual(TOOL_NAMES);
    expect(modernList.tools).toEqual(legacyList.tools);
    expect((await client.listTools()).tools).toEqual(legacyList.tools);
    for (const tool of legacyList.tools) {
      expect(tool.title, tool.name).toBeTruthy();
      expect(tool.description, tool.name).toMatch(/negative = money out/);
      expect(tool.inputSchema.type, tool.name).toBe('object');
      expect(tool.outputSchema?.type, tool.name).toBe('object');
      const properties = Object.keys(tool.outputSchema?.properties ?? {});
      expect(properties, tool.name).toEqual(expect.arrayContaining(['as_of', 'freshness']));
      const a = tool.annotations!;
      if (tool.name === 'sync_now')
        expect(a).toMatchObject({ readOnlyHint: false, idempotentHint: true, openWorldHint: true });
      else if (tool.name === 'update_transaction')
        expect(a).toMatchObject({ readOnlyHint: false, destructiveHint: false, openWorldHint: false });
      else expect(a).toMatchObject({ readOnlyHint: true, openWorldHint: false });
    }
    const search = legacyList.tools.find((t) => t.name === 'search_transactions')!;
    expect(Object.keys(search.inputSchema.properties ?? {})).toEqual([
      'account_id',
      'start_date',
      'end_date',
      'category',
      'merchant',
      'q',
      'min_amount',
      'max_amount',
      'pending',
      'direction',
      'limit',
      'cursor',
    ]);
    expect(search.inputSchema.properties?.limit).toMatchObject({ default: 25, maximum: 100 });
  });

  it('answers list_accounts with the accounts of GET /v1/accounts', async () => {
    const tool = await answer<{ data: Rows; freshness: Json; next_cursor: null; truncated: null }>(
      'list_accounts',
    );
    const rest = await h.rest<{ data: Rows; freshness: Json }>(alice.token, '/v1/accounts');
    expect(tool.data.length).toBeGreaterThan(2);
    expect(tool.data).toEqual(rest.data);
    expect(tool.freshness).toEqual(rest.freshness);
    expect(tool).toMatchObject({ next_cursor: null, truncated: null });
    expect(new Set(tool.data.map((a) => (a.balances as Json).currency))).toEqual(new Set(['USD', 'CAD']));
  });

  it('pages search_transactions like GET /v1/transactions: same rows, same cursors, either way', async () => {
    const first = await answer<{ data: Rows; next_cursor: string; truncated: null }>('search_transactions');
    const rest = await h.rest<{ data: Rows; next_cursor: string }>(alice.token, '/v1/transactions?limit=25');
    expect(first.data).toHaveLength(25);
    expect(first.data).toEqual(rest.data);
    expect(first.next_cursor).toBe(rest.next_cursor);
    expect(first.truncated).toBeNull();
    const second = await answer<{ data: Rows }>('search_transactions', { cursor: first.next_cursor });
    const restSecond = await h.rest<{ data: Rows }>(
      alice.token,
      `/v1/transactions?limit=25&cursor=${encodeURIComponent(rest.next_cursor)}`,
    );
    expect(second.data).toEqual(restSecond.data);

    const someone = first.data.find((t) => t.merchant_name)!;
    const filters = {
      direction: 'out',
      start_date: '2000-01-01',
      merchant: someone.merchant_name as string,
      pending: false,
      limit: 10,
    };
    const filtered = await answer<{ data: Rows }>('search_transactions', filters);
    const restFiltered = await h.rest<{ data: Rows }>(
      alice.token,
      `/v1/transactions?direction=out&start_date=2000-01-01&merchant=${encodeURIComponent(
        filters.merchant,
      )}&pending=false&limit=10`,
    );
    expect(filtered.data).toEqual(restFiltered.data);
    for (const t of filtered.data) expect(String(t.amount).startsWith('-')).toBe(true);
    const accountId = first.data[0]!.account_id as string;
    const oneAccount = await answer<{ data: Rows }>('search_transactions', { account_id: accountId });
    expect(oneAccount.data.every((t) => t.account_id === accountId)).toBe(true);
  });

  it('answers get_cash_flow with the figures of GET /v1/cashflow/summary', async () => {
    const tool = await answer<Json>('get_cash_flow');
    const rest = await h.rest<Json>(alice.token, '/v1/cashflow/summary');
    for (const field of ['start_date', 'end_date', 'interval', 'include_pending', 'currencies'])
      expect(tool[field], field).toEqual(rest[field]);
    expect(tool.truncated).toBeNull();
    const weekly = await answer<Json>('get_cash_flow', {
      interval: 'week',
      detailed: true,
      include_pending: true,
    });
    const restWeekly = await h.rest<Json>(
      alice.token,
      '/v1/cashflow/summary?interval=week&detailed=true&include_pending=true',
    );
    expect(weekly.currencies).toEqual(restWeekly.currencies);
  });

  it('answers get_net_worth with the figures of GET /v1/net-worth, choosing the interval when not asked', async () => {
    // 90 daily points in two currencies do not fit: the most recent part comes back, and says so.
    const daily = await answer<{ currencies: Rows; history: Json; truncated: string }>('get_net_worth', {
      interval: 'day',
    });
    const start = daily.history.start_date as string;
    expect(daily.history.interval).toBe('day');
    expect(daily.truncated).toContain(`Only ${start} onwards fit`);
    const rest = await h.rest<Json>(alice.token, `/v1/net-worth?interval=day&start_date=${start}`);
    expect(daily.currencies).toEqual(rest.currencies);
    expect(daily.history).toEqual(rest.history);
    expect(daily.currencies.map((c) => c.currency)).toEqual(['CAD', 'USD']);

    const chosen = await answer<{ history: { interval: string; points: Rows } }>('get_net_worth');
    // Two currencies share 100 points: 90 days are weekly.
    expect(chosen.history.interval).toBe('week');
    const same = await h.rest<{ history: Json }>(alice.token, '/v1/net-worth?interval=week');
    expect(chosen.history).toEqual(same.history);

    // REST without interval: the default 90 days stay daily; five years become weekly.
    expect((await h.rest<{ history: Json }>(alice.token, '/v1/net-worth')).history.interval).toBe('day');
    const years = await h.rest<{ history: Json }>(alice.token, '/v1/net-worth?start_date=2021-01-01');
    expect(years.history.interval).toBe('week');
  });

  it('answers get_holdings and get_recurring with the REST answers', async () => {
    const holdings = await answer<Json>('get_holdings');
    const restHoldings = await h.rest<Json>(alice.token, '/v1/holdings');
    expect((holdings.positions as Rows).length).toBeGreaterThan(0);
    expect(holdings.positions).toEqual(restHoldings.positions);
    expect(holdings.totals).toEqual(restHoldings.totals);
    const recurring = await answer<Json>('get_recurring');
    const restRecurring = await h.rest<Json>(alice.token, '/v1/recurring');
    expect(recurring.data).toEqual(restRecurring.data);
    const carolClient = await connectClient(h.url, carol.token);
    const carols = structuredOf<Json>(await carolClient.callTool({ name: 'get_recurring', arguments: {} }));
    await carolClient.close();
    expect((carols.data as Rows).length).toBeGreaterThan(0);
    expect(carols.data).toEqual((await h.rest<Json>(carol.token, '/v1/recurring')).data);
  });

  it('answers get_sync_status with the items and runs of the REST API, and the link URL of an item that needs its owner', async () => {
    const status = await answer<{ items: Rows; last_runs: Rows; freshness: Json }>('get_sync_status');
    const items = await h.rest<{ data: Rows }>(alice.token, '/v1/items');
    const runs = await h.rest<{ data: Rows }>(alice.token, '/v1/sync/runs?limit=10');
    expect(status.items.map(({ link_url: _, ...item }) => item)).toEqual(items.data);
    expect(status.items.every((i) => i.link_url === null)).toBe(true);
    expect(status.last_runs).toEqual(runs.data);
    expect((status.freshness.items as Rows).length).toBe(2);

    // Bob's bank asks him to log in again: the tool gives the page where he does it.
    await h.t.database.handle.db.execute(
      sql`update plaid_items set status = 'login_required' where user_id = ${bob.id}`,
    );
    h.t.app.services.itemHealth.forgetAll();
    const bobClient = await connectClient(h.url, bob.token);
    const bobStatus = await structuredOf<{ items: Rows; freshness: Json }>(
      await bobClient.callTool({ name: 'get_sync_status', arguments: {} }),
    );
    expect(bobStatus.items[0]!.link_url).toBe(`${PUBLIC_URL}/link?item_id=${bob.itemIds[0]}`);
    expect(bobStatus.freshness.stale).toBe(true);
    const blocked = structuredOf<{ data: Rows }>(
      await bobClient.callTool({ name: 'sync_now', arguments: {} }),
    );
    expect(blocked.data[0]).toMatchObject({ item_id: bob.itemIds[0], outcome: 'blocked' });
    await bobClient.close();
  });

  it('syncs now with a write token, and refuses it with a read token', async () => {
    const before = h.jobs.calls.length;
    const done = await answer<{ data: Rows }>('sync_now', { item_id: alice.itemIds[0] });
    expect(done.data).toEqual([
      expect.objectContaining({ item_id: alice.itemIds[0], outcome: 'queued', item_status: 'good' }),
    ]);
    expect(h.jobs.calls.slice(before)).toEqual([
      expect.objectContaining({ userId: alice.id, itemId: alice.itemIds[0], trigger: 'manual' }),
    ]);
    const reader = await connectClient(h.url, alice.readToken);
    const refused = toolErrorOf(await reader.callTool({ name: 'sync_now', arguments: {} }));
    expect(refused).toMatch(/INSUFFICIENT_SCOPE.*'write' scope/);
    expect(h.jobs.calls.length).toBe(before + 1);
    // Reading is fine with it.
    structuredOf(await reader.callTool({ name: 'list_accounts', arguments: {} }));
    await reader.close();
  });

  it('searches and fetches my accounts, transactions, holdings and recurring series, with the REST fields', async () => {
    const carolClient = await connectClient(h.url, carol.token);
    const answer = async <T>(name: string, args: Json) =>
      structuredOf<T>(await carolClient.callTool({ name, arguments: args }));
    const accounts = await h.rest<{ data: Rows }>(carol.token, '/v1/accounts');
    const holdings = await h.rest<{ positions: Rows }>(carol.token, '/v1/holdings');
    const recurring = await h.rest<{ data: Rows }>(carol.token, '/v1/recurring');
    const series = recurring.data[0]!;
    const queries = [
      accounts.data[0]!.name as string,
      series.merchant as string,
      (holdings.positions[0]!.ticker ?? holdings.positions[0]!.name) as string,
    ];
    const seen = new Map<string, Json>();
    for (const query of queries) {
      const found = await answer<{ results: { id: string; title: string; url: string }[] }>('search', {
        query,
      });
      expect(found.results.length, query).toBeGreaterThan(0);
      for (const r of found.results) {
        expect(r.url.startsWith(`${PUBLIC_URL}/v1/`)).toBe(true);
        const record = await answer<{ id: string; text: string; title: string; metadata: Json }>('fetch', {
          id: r.id,
        });
        expect(record).toMatchObject({ id: r.id, title: r.title, url: r.url });
        seen.set(r.id, JSON.parse(record.text) as Json);
      }
    }
    const byKind = (kind: string) => [...seen].filter(([id]) => id.startsWith(`${kind}:`)).map(([, v]) => v);
    expect(byKind('account')).toContainEqual(accounts.data[0]);
    expect(byKind('recurring')).toContainEqual(series);
    expect(byKind('holding')).toContainEqual(holdings.positions[0]);
    const transactions = byKind('transaction');
    expect(transactions.length).toBeGreaterThan(0);
    // A sentence that matches nothing whole still finds the merchant it names.
    const merchant = (transactions[0]!.merchant_name ?? transactions[0]!.name) as string;
    const sentence = await answer<{ results: { id: string; title: string }[] }>('search', {
      query: `how much at ${merchant.split(' ')[0]} recently`,
    });
    expect(sentence.results.some((r) => r.id.startsWith('transaction:'))).toBe(true);
    await carolClient.close();
    const restTransactions = await h.rest<{ data: Rows }>(
      carol.token,
      `/v1/transactions?start_date=${transactions[0]!.date}&end_date=${transactions[0]!.date}&limit=500`,
    );
    expect(restTransactions.data).toContainEqual(transactions[0]);
  });

  it("answers another user's ids as not found, whatever their kind", async () => {
    const bobClient = await connectClient(h.url, bob.token);
    const bobAccounts = structuredOf<{ data: Rows }>(
      await bobClient.callTool({ name: 'list_accounts', arguments: {} }),
    );
    const bobTransactions = structuredOf<{ data: Rows }>(
      await bobClient.callTool({ name: 'search_transactions', arguments: { limit: 5 } }),
    );
    const bobSeries = structuredOf<{ data: Rows }>(
      await bobClient.callTool({ name: 'get_recurring', arguments: {} }),
    );
    const bobFound = structuredOf<{ results: { id: string }[] }>(
      await bobClient.callTool({
        name: 'search',
        arguments: { query: bobSeries.data[0]!.merchant as string },
      }),
    );
    const bobSeriesId = bobFound.results.find((r) => r.id.startsWith('recurring:'))!.id;
    // Bob can fetch his own.
    structuredOf(await bobClient.callTool({ name: 'fetch', arguments: { id: bobSeriesId } }));
    await bobClient.close();

    const t = bobTransactions.data[0]!;
    const aliceHolding = (await h.rest<{ positions: Rows }>(alice.token, '/v1/holdings')).positions[0]!;
    for (const id of [
      `account:${bobAccounts.data[0]!.id as string}`,
      `transaction:${t.date as string}:${t.id as string}`,
      bobSeriesId,
      // Alice's own security, in one of Bob's accounts.
      `holding:${bobAccounts.data[0]!.id as string}:${aliceHolding.security_id as string}`,
      'account:not-a-uuid',
      'something-else',
    ]) {
      expect(toolErrorOf(await call('fetch', { id })), id).toMatch(/^NOT_FOUND: No /);
    }
  });

  it('answers bad arguments with an actionable tool error, never a stack', async () => {
    const backwards = toolErrorOf(
      await call('search_transactions', { start_date: '2025-02-01', end_date: '2025-01-01' }),
    );
    expect(backwards).toMatch(/end_date/);
    const tooMany = toolErrorOf(await call('search_transactions', { limit: 101 }));
    expect(tooMany).toMatch(/limit/);
    const foreignCursor = toolErrorOf(await call('search_transactions', { cursor: 'abc.def' }));
    expect(foreignCursor).toMatch(/cursor: tampered or foreign cursor/);
    const otherCursor = toolErrorOf(await call('get_holdings', { cursor: 'bm90LWEtY3Vyc29y' }));
    expect(otherCursor).toMatch(/cursor: not a next_cursor of get_holdings/);
    const badDate = toolErrorOf(await call('get_net_worth', { start_date: '2024-02-30' }));
    expect(badDate).toMatch(/start_date/);
    const unknownField = toolErrorOf(await call('list_accounts', { user_id: bob.id }));
    expect(unknownField).toMatch(/user_id/);
    for (const text of [backwards, tooMany, foreignCursor, otherCursor, badDate, unknownField])
      expect(text).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
  });

  it('answers protocol-level mistakes the JSON-RPC way, never with a 500', async () => {
    const headers = {
      authorization: `Bearer ${alice.token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    };
    const garbage = await fetch(`${h.url}/mcp`, {
      method: 'POST',
      headers,
      body: '{"jsonrpc": "2.0", "id": 1,',
    });
    expect(garbage.status).toBe(400);
    expect(((await garbage.json()) as { error: { code: number } }).error.code).toBe(-32700);
    // The 2025 standalone stream and session deletion: this endpoint keeps no sessions.
    expect((await fetch(`${h.url}/mcp`, { headers })).status).toBe(405);
    expect((await fetch(`${h.url}/mcp`, { method: 'DELETE', headers })).status).toBe(405);
    const unknown = await client.callTool({ name: 'transfer_money', arguments: {} }).then(
      (result) => toolErrorOf(result),
      (error: Error) => error.message,
    );
    expect(unknown).toMatch(/transfer_money/);
  });

  it('logs no token, email, merchant or query text of the MCP traffic', async () => {
    const merchant = 'Merchant-Secret-Needle';
    toolErrorOf(await call('search_transactions', { merchant, min_amount: '12345.67', q: 'x'.repeat(201) }));
    structuredOf(await call('search_transactions', { merchant, min_amount: '12345.67' }));
    await fetch(`${h.url}/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json' },
      body: `{"jsonrpc": "2.0", "method": "${merchant}`,
    });
    const email = (await h.t.app.services.repositories.users.findById(alice.id))!.email;
    const logs = h.logLines.join('');
    expect(logs).toContain('"userId"');
    for (const secret of [alice.token, alice.readToken, bob.token, email, merchant, '12345.67'])
      expect(logs.includes(secret), secret).toBe(false);
  });

  describe('authentication and DNS-rebinding protection', () => {
    const initialize = {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    };
    const post = (headers: Record<string, string>, body: unknown = initialize) =>
      fetch(`${h.url}/mcp`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...headers,
        },
        body: JSON.stringify(body),
      });
    const challenge = `resource_metadata="${PUBLIC_URL}/.well-known/oauth-protected-resource/mcp", scope="read write"`;

    it('answers a missing or bad token with 401 and the challenge naming the resource metadata', async () => {
      const missing = await post({});
      expect(missing.status).toBe(401);
      expect(missing.headers.get('www-authenticate')).toBe(`Bearer ${challenge}`);
      expect((await missing.json()) as Json).toMatchObject({ code: 'UNAUTHENTICATED' });
      for (const authorization of [
        'Bearer fapat_nope',
        'Bearer x.y.z',
        'Basic abc',
        `Bearer ${alice.token}x`,
      ]) {
        const bad = await post({ authorization });
        expect(bad.status, authorization).toBe(401);
        expect(bad.headers.get('www-authenticate')).toBe(`Bearer error="invalid_token", ${challenge}`);
      }
      // A session JWT belongs to the REST API, not to /mcp.
      const jwt = await sessionJwtOf(h, alice.id);
      const withJwt = await post({ authorization: `Bearer ${jwt}` });
      expect(withJwt.status).toBe(401);
      expect((await h.rest<Json>(jwt, '/v1/me')).id).toBe(alice.id);
      // GET too (the 2025 stream): 401 first.
      expect((await fetch(`${h.url}/mcp`)).status).toBe(401);
    });

    it('refuses a foreign Host or Origin with 403 before looking at the token, and serves loopback and PUBLIC_URL', async () => {
      const authorization = `Bearer ${alice.token}`;
      const evilHost = await fetchWithHost('evil.example.com', { authorization });
      expect(evilHost.status).toBe(403);
      expect(((await evilHost.json()) as Json).code).toBe('FORBIDDEN_ORIGIN');
      expect((await fetchWithHost('evil.example.com', {})).status).toBe(403);
      const evilOrigin = await post({ authorization, origin: 'https://evil.example.com' });
      expect(evilOrigin.status).toBe(403);
      expect((await post({ authorization, origin: 'null' })).status).toBe(403);
      expect((await post({ authorization, origin: PUBLIC_URL })).status).toBe(200);
      expect((await fetchWithHost('finance.example.com', { authorization })).status).toBe(200);
      expect((await fetchWithHost(`localhost:${new URL(h.url).port}`, { authorization })).status).toBe(200);
      expect((await post({ authorization })).status).toBe(200);
    });

    /** A request with a Host header of our choosing (fetch does not allow setting it). */
    async function fetchWithHost(host: string, headers: Record<string, string>): Promise<Response> {
      const { request } = await import('node:http');
      const target = new URL(h.url);
      return new Promise((resolve, reject) => {
        const req = request(
          {
            host: target.hostname,
            port: target.port,
            path: '/mcp',
            method: 'POST',
            headers: {
              host,
              'content-type': 'application/json',
              accept: 'application/json, text/event-stream',
              ...headers,
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () =>
              resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 500 })),
            );
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify(initialize));
      });
    }
  });
});

/** A session JWT for a user, through POST /v1/auth/token with the factory password. */
async function sessionJwtOf(h: McpHarness, userId: string): Promise<string> {
  const users = h.t.app.services.repositories.users;
  const user = await users.findById(userId);
  const res = await h.t.app.inject({
    method: 'POST',
    url: '/v1/auth/token',
    payload: { email: user!.email, password: FACTORY_PASSWORD },
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ access_token: string }>().access_token;
}
