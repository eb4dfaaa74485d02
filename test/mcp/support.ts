/**
 * The MCP tests' set-up: the real app listening on 127.0.0.1 (PGlite or PostgreSQL), the Plaid emulator
 * over HTTP, people linked through Link the way a browser does (link token from us → the emulator's
 * Link session → our exchange) and synced by the real sync service, and the official MCP client.
 */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import { buildEmulatorApp } from '../../src/emulator/index.js';
import type { AppDeps } from '../../src/app.js';
import { createLogger } from '../../src/lib/logger.js';
import { createPlaidClient } from '../../src/plaid/client.js';
import { bearer, newAccessToken, newUser } from '../factories/users.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import type { DatabaseKind } from '../helpers/database.js';
import { emulatorControl } from '../helpers/emulator-control.js';

export const PUBLIC_URL = 'https://finance.example.com';

type JobQueue = AppDeps['jobs'];
type SyncRequest = Parameters<JobQueue['enqueueSync']>[0];

/** Records sync requests (sync_now) and answers with fresh ids, as the real queue does. */
export function recordingQueue(): JobQueue & { calls: SyncRequest[] } {
  const calls: SyncRequest[] = [];
  return {
    calls,
    async enqueueSync(request) {
      calls.push(request);
      return { itemId: request.itemId, jobId: randomUUID(), absorbed: false, runIds: [randomUUID()] };
    },
    async enqueueWebhook() {},
  };
}

export interface Person {
  id: string;
  /** Signs in with FACTORY_PASSWORD (the OAuth sign-in page). */
  email: string;
  token: string;
  readToken: string;
  itemIds: string[];
}

export interface McpHarness {
  t: TestApp;
  url: string;
  jobs: ReturnType<typeof recordingQueue>;
  emulator: FastifyInstance;
  /** Every line the app logged (at debug level). */
  logLines: string[];
  newPerson(options?: { link?: string[] }): Promise<Person>;
  rest<T>(token: string, path: string): Promise<T>;
  close(): Promise<void>;
}

export async function startMcpHarness(
  kind: DatabaseKind,
  env: Record<string, string> = {},
  /** The port to listen on (an OAuth test sets PUBLIC_URL to it); default any free one. */
  options: { port?: number } = {},
): Promise<McpHarness> {
  const emulator = await buildEmulatorApp({
    clientId: 'mcp-test-client',
    secret: 'mcp-test-secret-1a2b3c4d',
    rateLimits: false,
  });
  await emulator.listen({ host: '127.0.0.1', port: 0 });
  const emulatorUrl = `http://127.0.0.1:${(emulator.server.address() as AddressInfo).port}`;
  await emulatorControl(emulatorUrl)('POST', '/__emulator/webhooks/drop', { enabled: true });
  const plaid = createPlaidClient({
    basePath: emulatorUrl,
    clientId: 'mcp-test-client',
    secret: 'mcp-test-secret-1a2b3c4d',
    timeoutMs: 10_000,
  });
  const jobs = recordingQueue();
  const logLines: string[] = [];
  const logger = createLogger(
    'debug',
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString('utf8'));
        done();
      },
    }),
  );
  const t = await buildTestApp(kind, { PUBLIC_URL, ...env }, logger, { plaid, jobs });
  await t.app.listen({ host: '127.0.0.1', port: options.port ?? 0 });
  const url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;

  const inject = async (token: string, method: 'GET' | 'POST', path: string, payload?: object) => {
    const res = await t.app.inject({
      method,
      url: path,
      headers: bearer(token),
      ...(payload ? { payload } : {}),
    });
    return res;
  };

  async function linkInstitution(person: { id: string; token: string }, institutionId: string) {
    const linkToken = await inject(person.token, 'POST', '/v1/plaid/link-token', {});
    expect(linkToken.statusCode, linkToken.body).toBe(200);
    const session = await fetch(`${emulatorUrl}/link/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        link_token: linkToken.json<{ link_token: string }>().link_token,
        institution_id: institutionId,
        username: 'user_good',
        password: 'pass_good',
      }),
    });
    const { public_token } = (await session.json()) as { public_token: string };
    const exchanged = await inject(person.token, 'POST', '/v1/plaid/item/public-token/exchange', {
      public_token,
    });
    expect(exchanged.statusCode, exchanged.body).toBe(201);
    const itemId = exchanged.json<{ item: { id: string } }>().item.id;
    const synced = await t.app.services.sync.syncItem(person.id, itemId, { trigger: 'link' });
    expect(synced.status, JSON.stringify(synced)).toBe('succeeded');
    return itemId;
  }

  return {
    t,
    url,
    jobs,
    emulator,
    logLines,
    async newPerson(options = {}) {
      const { user, email } = await newUser(t.app);
      const person: Person = {
        id: user.id,
        email,
        token: (await newAccessToken(t.app, user.id, { scope: 'write' })).token,
        readToken: (await newAccessToken(t.app, user.id, { scope: 'read' })).token,
        itemIds: [],
      };
      for (const institution of options.link ?? [])
        person.itemIds.push(await linkInstitution(person, institution));
      return person;
    },
    async rest<T>(token: string, path: string) {
      const res = await fetch(`${url}${path}`, { headers: bearer(token) });
      const text = await res.text();
      expect(res.status, text).toBe(200);
      return JSON.parse(text) as T;
    },
    async close() {
      await t.close();
      await emulator.close();
    },
  };
}

/** The official MCP client over the socket, with a bearer header; `modern` negotiates 2026-07-28. */
export async function connectClient(
  url: string,
  token: string,
  era: 'legacy' | 'modern' = 'legacy',
): Promise<Client> {
  const client = new Client(
    { name: 'finance-api-tests', version: '1.0.0' },
    era === 'modern' ? { versionNegotiation: { mode: 'auto' } } : {},
  );
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

/** A tool call's structured answer, after checking that its text mirror says the same. */
export function structuredOf<T>(result: unknown): T {
  const r = result as { isError?: boolean; content: { type: string; text: string }[]; structuredContent: T };
  expect(r.isError ?? false, JSON.stringify(r.content)).toBe(false);
  expect(JSON.parse(r.content[0]!.text)).toEqual(r.structuredContent);
  return r.structuredContent;
}

/** A tool error's text (and that it is one). */
export function toolErrorOf(result: unknown): string {
  const r = result as { isError?: boolean; content: { type: string; text: string }[] };
  expect(r.isError, JSON.stringify(r)).toBe(true);
  return r.content.map((c) => c.text).join('\n');
}
