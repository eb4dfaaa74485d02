/**
 * OpenAPI-driven fuzzing of the service as it runs: its own process over a real socket, on PGlite and on
 * PostgreSQL, two users each with a linked and synced institution (the in-process Plaid emulator). Every
 * operation of `/openapi.json` gets valid requests (so deep paths run) and hostile ones: NUL bytes,
 * unpaired surrogates, RTL and zero-width marks, 10 KB strings, SQL/HTML/JSON fragments, path traversal,
 * negative/huge/non-finite numbers, impossible and far-off dates and ranges, wrong types, missing and
 * unknown fields, oversize bodies, headers and URLs, the other user's ids, forged credentials and forged
 * webhook signatures. Deterministic for FUZZ_SEED; FUZZ_REQUESTS sets how many per database.
 *
 * Every answer: no 5xx, no stack trace, errors as problem+json from the catalog (a 400 validation error
 * names its fields), 2xx bodies matching their schema, no id of the other user, an answer within 10 s;
 * `/healthz` answers throughout; the other user's data survives; the service's logs carry no email,
 * token, password, amount or merchant of the users and no SQL.
 */
import { createServer } from 'node:net';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ENCRYPTION_KEY, TEST_JWT_SECRET } from '../helpers/config.js';
import { createPostgresDatabase, databaseKinds } from '../helpers/database.js';
import { generateFuzzRequests, operationsOf, type OpenApiDocument } from '../helpers/fuzz-requests.js';
import {
  describeFailures,
  logLeaks,
  preparePerson,
  requestUrls,
  runFuzz,
  snapshotOf,
  type FuzzRunResult,
  type PreparedPerson,
  withoutRequestUrls,
} from '../helpers/fuzz-service.js';
import { startServerProcess, type ServerProcess } from '../helpers/processes.js';

/**
 * Random requests after the systematic phase (about 900 requests: every parameter × each hostile value
 * of its kind); FUZZ_REQUESTS=15000 for a long run.
 */
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 300);
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_202);

/**
 * Operations the fuzzer cannot succeed on: forged webhooks, made-up public tokens, items it must not
 * delete (its own), and repairs of items in good health (409).
 */
const NO_SUCCESS_EXPECTED = new Set([
  'POST /v1/sync/plaid/webhook',
  'POST /v1/plaid/item/public-token/exchange',
  'DELETE /v1/items/{id}',
  'POST /v1/items/{id}/repaired',
  // The fuzzed people sign in with tokens, never through OAuth: they have no grant to revoke.
  'DELETE /v1/auth/grants/{id}',
  // A budget exists only after a PUT of the same category, which the run may not have made first.
  'DELETE /v1/budgets/{category}',
  // The fuzzer knows no rule ids (its people's rules are made during the run): 404 for a made-up one.
  'DELETE /v1/rules/{id}',
  'POST /v1/rules/{id}/apply',
  // Deleting the fuzzed person needs their email as `confirm`, which the fuzzer never sends: it must not
  // delete its own people mid-run.
  'DELETE /v1/me',
]);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

describe.each(databaseKinds())('OpenAPI fuzzing of the running service (%s)', (kind) => {
  let server: ServerProcess;
  let drop: (() => Promise<void>) | undefined;
  let doc: OpenApiDocument;
  let people: PreparedPerson[];
  let before: string[];
  let run: FuzzRunResult;

  beforeAll(async () => {
    const port = await freePort();
    const env: Record<string, string> = {
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      LOG_LEVEL: 'debug',
      ALLOW_REGISTRATION: 'true',
      // The login route is fuzzed too: its limit would otherwise answer 429 before the handler runs.
      AUTH_RATE_LIMIT_PER_MINUTE: '10000',
    };
    if (kind === 'pglite') {
      env.DATA_DIR = path.join(await mkdtemp(path.join(tmpdir(), 'fa-fuzz-')), 'data');
    } else {
      const created = await createPostgresDatabase();
      drop = created.drop;
      Object.assign(env, {
        DATABASE_URL: created.url,
        JWT_SECRET_KEY: TEST_JWT_SECRET,
        ENCRYPTION_KEY_BASE64: TEST_ENCRYPTION_KEY,
      });
    }
    server = await startServerProcess(env, 120_000);
    const emulatorUrl = /offline emulator at (http:\/\/127\.0\.0\.1:\d+)/.exec(server.output())?.[1];
    expect(emulatorUrl, server.output()).toBeDefined();
    doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as OpenApiDocument;
    // Both users link at once: their first syncs run side by side in the service's worker.
    people = await Promise.all([
      preparePerson(server.url, emulatorUrl!, 'ana', `ana.fuzz.${kind}@example.com`, 'ins_109508'),
      preparePerson(server.url, emulatorUrl!, 'ben', `ben.fuzz.${kind}@example.com`, 'ins_109511'),
    ]);
    before = await Promise.all(people.map((p) => snapshotOf(server.url, p)));
  }, 180_000);

  afterAll(async () => {
    // A stalled service (what this test looks for) may not finish its requests to stop: then SIGKILL.
    const stopped = server?.stop('SIGTERM');
    const timer = setTimeout(() => void server?.stop('SIGKILL'), 15_000);
    await stopped;
    clearTimeout(timer);
    await drop?.();
  });

  it('answers every operation, valid or hostile, without a 5xx, a stack, a non-problem error or a stall', async () => {
    const operations = operationsOf(doc).map((o) => o.key);
    expect(operations.length).toBeGreaterThanOrEqual(20);
    const requests = generateFuzzRequests(doc, people, { seed: SEED, count: REQUESTS });
    run = await runFuzz(server.url, doc, people, requests, { concurrency: 4, maxTimeouts: 3 });
    // FUZZ_LOG_FILE keeps the service's logs of the run, to read what the assertions below name.
    if (process.env.FUZZ_LOG_FILE) await writeFile(process.env.FUZZ_LOG_FILE, server.output());

    const problems = [
      ...(run.stoppedEarly ? [run.stoppedEarly] : []),
      ...run.healthz.failures.map((f) => `healthz: ${f}`),
    ];
    expect(
      { failures: run.failures.length, problems },
      `${describeFailures(run.failures)}\n${problems.join('\n')}\nstatuses: ${JSON.stringify(run.statuses)}`,
    ).toEqual({ failures: 0, problems: [] });
    expect(run.healthz.probes).toBeGreaterThan(0);
    // Every operation was tried, including the webhook and the destructive routes.
    expect(Object.keys(run.operations).sort()).toEqual([...operations].sort());
    // Valid requests reached the handlers: a 2xx on every operation that can give one to the fuzzer.
    expect(operations.filter((op) => !NO_SUCCESS_EXPECTED.has(op) && !run.successes[op])).toEqual([]);
  }, 240_000);

  it("keeps each user's data and credentials: the other user's ids never deleted or read", async () => {
    const after = await Promise.all(people.map((p) => snapshotOf(server.url, p)));
    expect(after).toEqual(before);
    for (const p of people) {
      for (const token of [p.token, p.readToken]) {
        const me = await fetch(`${server.url}/v1/me`, { headers: { authorization: `Bearer ${token}` } });
        expect(me.status, `${p.label}'s token still works`).toBe(200);
      }
    }
  });

  it('never lets a password that is not well-formed Unicode log in with another one', async () => {
    const email = `surrogate.${kind}@example.com`;
    const post = (path: string, body: unknown) =>
      fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const registered = await post('/v1/auth/register', { email, password: 'a long passphrase\ud800' });
    if (registered.status === 400) {
      expect(registered.headers.get('content-type')).toContain('application/problem+json');
      return;
    }
    expect(registered.status).toBe(201);
    for (const password of ['a long passphrase\udfff', 'a long passphrase\ufffd']) {
      expect((await post('/v1/auth/token', { email, password })).status, JSON.stringify(password)).toBe(401);
    }
  });

  it('logs no email, token, password, amount or merchant of the users, and no SQL', () => {
    const logs = server.output();
    expect(logs.length).toBeGreaterThan(10_000);
    // Something to look for: the users' merchants and distinctive amounts.
    for (const p of people) {
      expect(p.sentinelMerchants.length, p.label).toBeGreaterThan(0);
      expect(p.sentinelAmounts.length, p.label).toBeGreaterThan(0);
    }
    expect(logLeaks(withoutRequestUrls(logs), people)).toEqual([]);
  });

  /** The request lines log the path only (src/lib/logger.ts `loggableRequest`): a filter value never. */
  it('logs no merchant of the users in the URL of a request line (query strings)', () => {
    const urls = requestUrls(server.output());
    expect(urls.length).toBeGreaterThan(1_000);
    expect(logLeaks(urls, people)).toEqual([]);
  });
});
