/**
 * The OpenAPI fuzzer against a running service: two users with linked and synced data (through the
 * service's own API and the Plaid emulator's Link session), the requests sent over a real socket, each
 * answer checked, `/healthz` watched meanwhile, and the service's logs searched for the users' data.
 * No vitest here: `npm run bench -- --only fuzz` runs the same code.
 */
import { get } from 'node:http';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { FuzzPerson, FuzzRequest, OpenApiDocument } from './fuzz-requests.js';

export const REQUEST_TIMEOUT_MS = 10_000;
const PASSWORD = 'fuzz passphrase that is long enough';

interface Answer {
  status: number;
  contentType: string;
  text: string;
  ms: number;
}

async function call(
  baseUrl: string,
  method: string,
  url: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Answer> {
  const started = performance.now();
  const res = await fetch(`${baseUrl}${url}`, {
    method,
    headers,
    ...(body !== undefined ? { body } : {}),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await res.text();
  return {
    status: res.status,
    contentType: res.headers.get('content-type') ?? '',
    text,
    ms: performance.now() - started,
  };
}

async function json<T>(
  baseUrl: string,
  method: string,
  url: string,
  auth?: string,
  body?: unknown,
  expected = [200, 201, 202],
): Promise<T> {
  const answer = await call(
    baseUrl,
    method,
    url,
    {
      ...(auth ? { authorization: `Bearer ${auth}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body === undefined ? undefined : JSON.stringify(body),
  );
  if (!expected.includes(answer.status)) {
    throw new Error(`${method} ${url} → ${answer.status} ${answer.text.slice(0, 500)}`);
  }
  return JSON.parse(answer.text) as T;
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, ms = 120_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

interface Page<T> {
  data: T[];
  next_cursor: string | null;
}
interface TransactionView {
  id: string;
  amount: string;
  date: string;
  merchant_name: string | null;
  name: string;
  category?: { primary?: string | null } | null;
  category_primary?: string | null;
}

/** What the fuzzer knows of a user, and the user's data the logs must never carry. */
export interface PreparedPerson extends FuzzPerson {
  /** Merchant names and amounts of this user's data (the fuzzer sends some merchants, never these amounts). */
  sentinelMerchants: string[];
  sentinelAmounts: string[];
}

/**
 * Registers a user (ALLOW_REGISTRATION=true), logs in, creates its tokens, links one institution through
 * the emulator's Link session and waits until every sync run of the link has finished.
 */
export async function preparePerson(
  baseUrl: string,
  emulatorUrl: string,
  label: string,
  email: string,
  institutionId: string,
): Promise<PreparedPerson> {
  await json(baseUrl, 'POST', '/v1/auth/register', undefined, { email, password: PASSWORD }, [201]);
  const session = await json<{ access_token: string }>(baseUrl, 'POST', '/v1/auth/token', undefined, {
    email,
    password: PASSWORD,
  });
  const jwt = session.access_token;
  const newToken = (name: string, scope: 'read' | 'write') =>
    json<{ id: string; token: string }>(baseUrl, 'POST', '/v1/auth/tokens', jwt, { name, scope }, [201]);
  const main = await newToken('fuzz main', 'write');
  const read = await newToken('fuzz read', 'read');
  const spares = await Promise.all([1, 2, 3].map((i) => newToken(`fuzz spare ${i}`, 'read')));

  const link = await json<{ link_token: string }>(baseUrl, 'POST', '/v1/plaid/link-token', main.token, {});
  const linked = await json<{ public_token: string }>(emulatorUrl, 'POST', '/link/session', undefined, {
    link_token: link.link_token,
    institution_id: institutionId,
    username: 'user_good',
    password: 'pass_good',
  });
  const exchanged = await json<{ item: { id: string }; sync: { run_ids: string[] } }>(
    baseUrl,
    'POST',
    '/v1/plaid/item/public-token/exchange',
    main.token,
    { public_token: linked.public_token },
    [201],
  );
  const runIds = exchanged.sync.run_ids;
  const runs = await until(`${label}'s first sync`, async () => {
    const page = await json<Page<{ id: string; status: string; finished_at: string | null }>>(
      baseUrl,
      'GET',
      '/v1/sync/runs?limit=500',
      main.token,
    );
    const mine = page.data.filter((r) => runIds.includes(r.id));
    return mine.length === runIds.length && mine.every((r) => r.finished_at !== null) && page;
  });
  const failed = runs.data.filter((r) => runIds.includes(r.id) && r.status !== 'succeeded');
  if (failed.length) throw new Error(`${label}'s first sync failed: ${JSON.stringify(failed)}`);

  const accounts = await json<{ data: { id: string }[] }>(baseUrl, 'GET', '/v1/accounts', main.token);
  const items = await json<{ data: { id: string }[] }>(baseUrl, 'GET', '/v1/items', main.token);
  const holdings = await json<{ positions: { security_id: string }[] }>(
    baseUrl,
    'GET',
    '/v1/holdings',
    main.token,
  );
  const transactions: TransactionView[] = [];
  let cursor: string | null = null;
  let firstCursor: string | undefined;
  do {
    const page: Page<TransactionView> = await json(
      baseUrl,
      'GET',
      `/v1/transactions?limit=${firstCursor ? 500 : 5}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      main.token,
    );
    transactions.push(...page.data);
    cursor = page.next_cursor;
    firstCursor ??= cursor ?? undefined;
  } while (cursor);
  const runsPage = await json<Page<{ id: string }>>(baseUrl, 'GET', '/v1/sync/runs?limit=2', main.token);
  if (transactions.length === 0 || accounts.data.length === 0) {
    throw new Error(`${label} has no synced data to fuzz with`);
  }

  // Merchants: every other one is sent as a filter value (`merchant=`); none may reach a log line, sent
  // or not (a request log line that echoes a filter value carries the merchant all the same).
  const merchants = [
    ...new Set(transactions.map((t) => t.merchant_name).filter((m): m is string => !!m)),
  ].sort();
  const probes = merchants.filter((_, i) => i % 2 === 0);
  const sentinelMerchants = merchants.filter((m) => m.length >= 4);
  // Amounts distinctive enough not to occur by chance (≥ 100 with cents); the fuzzer sends round ones.
  const sentinelAmounts = [
    ...new Set(
      transactions
        .map((t) => t.amount.replace(/^-/, ''))
        .filter((a) => /^\d{3,}\.\d\d$/.test(a) && !/\.00$/.test(a)),
    ),
  ].slice(0, 40);
  const categories = [
    ...new Set(
      transactions
        .map((t) => t.category_primary ?? t.category?.primary ?? null)
        .filter((c): c is string => typeof c === 'string'),
    ),
  ];
  return {
    label,
    email,
    password: PASSWORD,
    token: main.token,
    tokenId: main.id,
    readToken: read.token,
    readTokenId: read.id,
    spareTokenIds: spares.map((s) => s.id),
    jwt,
    accounts: accounts.data.map((a) => a.id),
    items: items.data.map((i) => i.id),
    transactions: transactions.map((t) => t.id),
    securities: [...new Set(holdings.positions.map((p) => p.security_id))],
    runs: runs.data.map((r) => r.id),
    cursors: {
      ...(firstCursor ? { transactions: firstCursor } : {}),
      ...(runsPage.next_cursor ? { runs: runsPage.next_cursor } : {}),
    },
    merchants: probes,
    categories,
    dates: [...new Set(transactions.map((t) => t.date))].sort(),
    sentinelMerchants,
    sentinelAmounts,
  };
}

/** A user's data as the API shows it, to compare before and after the run. */
export async function snapshotOf(baseUrl: string, person: FuzzPerson): Promise<string> {
  const accounts = await json<{ data: { id: string }[] }>(baseUrl, 'GET', '/v1/accounts', person.token);
  const items = await json<{ data: { id: string }[] }>(baseUrl, 'GET', '/v1/items', person.token);
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<{ id: string }> = await json(
      baseUrl,
      'GET',
      `/v1/transactions?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      person.token,
    );
    ids.push(...page.data.map((t) => t.id));
    cursor = page.next_cursor;
  } while (cursor);
  return JSON.stringify({
    accounts: accounts.data.map((a) => a.id).sort(),
    items: items.data.map((i) => i.id).sort(),
    transactions: ids.sort(),
  });
}

export interface Failure {
  request: FuzzRequest;
  status: number | 'timeout' | 'error';
  body: string;
  reasons: string[];
}

const STACK =
  /\bat [^\n]*\((?:file:\/\/|node:|\/)[^\n]*:\d+:\d+\)|\bat (?:async )?[\w.<>]+ \([^)]*\.(?:ts|js|mjs|cjs):\d+|node:internal|node_modules\//;

/** Every rule an answer must keep, as the reasons it broke them (none: it passed). */
export function problemsOf(
  request: FuzzRequest,
  answer: Answer,
  validate: ResponseValidator,
  otherIds: (actor: FuzzPerson) => Set<string>,
): string[] {
  const reasons: string[] = [];
  if (answer.status >= 500) reasons.push(`${answer.status} server error`);
  if (STACK.test(answer.text)) reasons.push('stack trace in the body');
  if (request.expectStatus && !request.expectStatus.includes(answer.status)) {
    reasons.push(`expected ${request.expectStatus.join('|')} (${request.expectation})`);
  }
  if (answer.status >= 400) {
    if (!answer.contentType.startsWith('application/problem+json')) {
      reasons.push(`error body is ${answer.contentType || 'untyped'}, not application/problem+json`);
    }
    let problem: Record<string, unknown> | undefined;
    try {
      problem = JSON.parse(answer.text) as Record<string, unknown>;
    } catch {
      reasons.push('error body is not JSON');
    }
    if (problem) {
      for (const field of ['type', 'title', 'code', 'request_id']) {
        if (typeof problem[field] !== 'string' || problem[field] === '')
          reasons.push(`problem without ${field}`);
      }
      if (problem.status !== answer.status) reasons.push(`problem status ${String(problem.status)}`);
      if (answer.status === 400 && problem.code === 'VALIDATION_FAILED') {
        const list = problem.errors as { field?: unknown }[] | undefined;
        if (
          !Array.isArray(list) ||
          list.length === 0 ||
          !list.every((e) => typeof e.field === 'string' && /^(body|query|path|header)\b/.test(e.field))
        ) {
          reasons.push('400 validation error without an errors array naming the field');
        }
      }
    }
  } else if (answer.status >= 200 && answer.status < 300 && answer.text && !request.ambiguousRoute) {
    const mismatch = validate(request.operation, answer.status, answer.contentType, answer.text);
    if (mismatch) reasons.push(`${answer.status} body does not match its schema: ${mismatch}`);
  }
  if (request.actor) {
    const others = otherIds(request.actor);
    const leaked = [...answer.text.matchAll(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g)]
      .map((m) => m[0])
      .filter((id) => others.has(id) && !request.sentIds.includes(id));
    if (leaked.length) reasons.push(`answer holds another user's ids: ${[...new Set(leaked)].join(', ')}`);
  }
  if (answer.ms > REQUEST_TIMEOUT_MS) reasons.push(`took ${Math.round(answer.ms)} ms`);
  return reasons;
}

export type ResponseValidator = (
  operation: string,
  status: number,
  contentType: string,
  text: string,
) => string | undefined;

/** Checks 2xx JSON bodies against the response schemas of the OpenAPI document. */
export function responseValidator(doc: OpenApiDocument): ResponseValidator {
  const ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats: false });
  ajv.addSchema(doc as object, 'openapi');
  const compiled = new Map<string, ReturnType<typeof ajv.compile> | null>();
  const escape = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
  return (operation, status, contentType, text) => {
    if (!contentType.includes('json')) return undefined;
    const [method, path] = operation.split(' ') as [string, string];
    const key = `${operation} ${status}`;
    if (!compiled.has(key)) {
      const responses = doc.paths[path]?.[method.toLowerCase()]?.responses ?? {};
      const schema = responses[String(status)]?.content?.['application/json']?.schema;
      compiled.set(
        key,
        schema
          ? ajv.compile({
              $ref: `openapi#/paths/${escape(path)}/${method.toLowerCase()}/responses/${status}/content/application~1json/schema`,
            })
          : null,
      );
    }
    const validate = compiled.get(key);
    if (!validate) return status === 204 ? undefined : `no schema for ${status}`;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return 'not JSON';
    }
    if (validate(value)) return undefined;
    const error = validate.errors?.[0];
    return `${error?.instancePath || '/'} ${error?.message ?? 'invalid'}`;
  };
}

export interface FuzzRunResult {
  sent: number;
  failures: Failure[];
  statuses: Record<string, number>;
  operations: Record<string, number>;
  /** Per operation: total and slowest answer time (ms). */
  timings: Record<string, { totalMs: number; maxMs: number }>;
  /** Per operation: how many answers were 2xx (valid requests reached the handler). */
  successes: Record<string, number>;
  healthz: { probes: number; failures: string[] };
  stoppedEarly?: string;
}

/**
 * Sends the requests (`concurrency` at a time) while `/healthz` is probed every 200 ms; stops early
 * after `maxTimeouts` requests that did not answer within 10 s (a stalled service would take forever).
 */
export async function runFuzz(
  baseUrl: string,
  doc: OpenApiDocument,
  people: readonly FuzzPerson[],
  requests: readonly FuzzRequest[],
  options: { concurrency?: number; maxTimeouts?: number } = {},
): Promise<FuzzRunResult> {
  const validate = responseValidator(doc);
  const idsOf = (p: FuzzPerson) =>
    new Set([...p.accounts, ...p.items, ...p.transactions, ...p.runs, p.tokenId]);
  const otherSets = new Map(people.map((p) => [p, idsOf(people.find((q) => q !== p) ?? p)]));
  for (const p of people) otherSets.get(p)!.forEach((id) => idsOf(p).has(id) && otherSets.get(p)!.delete(id));
  const result: FuzzRunResult = {
    sent: 0,
    failures: [],
    statuses: {},
    operations: {},
    timings: {},
    successes: {},
    healthz: { probes: 0, failures: [] },
  };
  let timeouts = 0;
  let running = true;

  const watcher = (async () => {
    while (running) {
      const outcome = await probeHealth(baseUrl);
      result.healthz.probes++;
      if (outcome) result.healthz.failures.push(outcome);
      await new Promise((r) => setTimeout(r, 200));
    }
  })();

  let next = 0;
  const worker = async () => {
    while (next < requests.length && (!options.maxTimeouts || timeouts < options.maxTimeouts)) {
      const request = requests[next++]!;
      result.sent++;
      result.operations[request.operation] = (result.operations[request.operation] ?? 0) + 1;
      try {
        // A connection the server closed after answering another request (a 431 ends its socket) may
        // still be in the client's pool: a request that fails to connect is sent once more.
        const answer = await call(baseUrl, request.method, request.url, request.headers, request.body).catch(
          (error: unknown) => {
            if ((error as Error).name === 'TimeoutError') throw error;
            return call(baseUrl, request.method, request.url, request.headers, request.body);
          },
        );
        result.statuses[answer.status] = (result.statuses[answer.status] ?? 0) + 1;
        const timing = (result.timings[request.operation] ??= { totalMs: 0, maxMs: 0 });
        timing.totalMs += answer.ms;
        timing.maxMs = Math.max(timing.maxMs, answer.ms);
        if (answer.status < 300)
          result.successes[request.operation] = (result.successes[request.operation] ?? 0) + 1;
        const reasons = problemsOf(request, answer, validate, (actor) => otherSets.get(actor) ?? new Set());
        if (reasons.length)
          result.failures.push({ request, status: answer.status, body: answer.text, reasons });
      } catch (error) {
        const timedOut = (error as Error).name === 'TimeoutError';
        if (!timedOut && request.mode === 'oversize') {
          // The server answered 413/431 and closed the connection while the client was still writing.
          result.statuses.closed = (result.statuses.closed ?? 0) + 1;
          continue;
        }
        if (timedOut) timeouts++;
        result.statuses[timedOut ? 'timeout' : 'error'] =
          (result.statuses[timedOut ? 'timeout' : 'error'] ?? 0) + 1;
        result.failures.push({
          request,
          status: timedOut ? 'timeout' : 'error',
          body: String((error as Error).cause ?? error),
          reasons: [
            timedOut ? `no answer within ${REQUEST_TIMEOUT_MS} ms` : `connection failed: ${String(error)}`,
          ],
        });
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker));
  running = false;
  await watcher;
  if (options.maxTimeouts && timeouts >= options.maxTimeouts) {
    result.stoppedEarly = `stopped after ${timeouts} requests without an answer in ${REQUEST_TIMEOUT_MS} ms (${result.sent} of ${requests.length} sent)`;
  }
  return result;
}

/** `/healthz` on a connection of its own (not the fuzzer's pool); a failure described, or undefined. */
function probeHealth(baseUrl: string): Promise<string | undefined> {
  const started = performance.now();
  return new Promise((resolve) => {
    const request = get(`${baseUrl}/healthz`, { agent: false, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      res.resume();
      res.on('end', () =>
        resolve(res.statusCode === 200 ? undefined : `/healthz answered ${res.statusCode}`),
      );
    });
    request.on('timeout', () => {
      request.destroy();
      resolve(`/healthz did not answer within ${REQUEST_TIMEOUT_MS} ms`);
    });
    request.on('error', (error) =>
      resolve(`/healthz failed after ${Math.round(performance.now() - started)} ms: ${error.message}`),
    );
  });
}

function printable(text: string, max: number): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(cut).slice(1, -1);
}

/** The failing requests, one line each, grouped by operation and reason: what to fix. */
export function describeFailures(failures: readonly Failure[], max = 80): string {
  const lines = failures.slice(0, max).map((f) => {
    const body = f.request.body === undefined ? '' : ` body=${printable(f.request.body, 120)}`;
    return (
      `#${f.request.n} ${f.request.method} ${printable(f.request.url, 200)}${body} [${f.request.mode}] → ` +
      `${f.status}: ${f.reasons.join('; ')}\n      ${printable(f.body, 200)}`
    );
  });
  const summary = new Map<string, number>();
  for (const f of failures) {
    const key = `${f.request.operation}: ${f.reasons.map((r) => r.replace(/: .*/, '')).join('; ')}`;
    summary.set(key, (summary.get(key) ?? 0) + 1);
  }
  return [
    `${failures.length} failing requests, by operation and reason:`,
    ...[...summary.entries()].sort().map(([key, n]) => `  ${String(n).padStart(4)} × ${key}`),
    `the first ${Math.min(max, failures.length)}:`,
    ...lines.map((l) => `  ${l}`),
  ].join('\n');
}

const REQUEST_URL = /("req":\{"method":"[A-Z]+","url":")((?:[^"\\]|\\.)*)"/g;

/** The logs with the URL of each request line blanked (`requestUrls` holds them, checked apart). */
export function withoutRequestUrls(logs: string): string {
  return logs.replace(REQUEST_URL, '$1[url]"');
}

/** The URL (path and query string) of every request line of the logs, one a line. */
export function requestUrls(logs: string): string {
  return [...logs.matchAll(REQUEST_URL)].map((m) => m[2]).join('\n');
}

/** What a log must never carry: the users' emails, tokens, passwords, amounts and merchants, SQL. */
export function logLeaks(logs: string, people: readonly PreparedPerson[]): string[] {
  const found: string[] = [];
  const lines = logs.split('\n');
  const check = (what: string, test: (line: string) => boolean) => {
    const line = lines.find(test);
    if (line !== undefined) found.push(`${what}: ${printable(line, 400)}`);
  };
  for (const p of people) {
    check(`email of ${p.label}`, (l) => l.toLowerCase().includes(p.email.toLowerCase()));
    check(`password of ${p.label}`, (l) => l.includes(p.password));
    for (const [name, token] of [
      ['personal access token', p.token],
      ['read token', p.readToken],
      ['JWT', p.jwt],
    ] as const) {
      check(`${name} of ${p.label}`, (l) => l.includes(token));
    }
    for (const merchant of p.sentinelMerchants)
      check(`merchant of ${p.label} (${merchant})`, (l) => l.includes(merchant));
    for (const amount of p.sentinelAmounts) {
      const pattern = new RegExp(`(?<![\\d.])-?${amount.replace('.', '\\.')}(?!\\d)`);
      check(`amount of ${p.label} (${amount})`, (l) => pattern.test(l));
    }
  }
  check('a token prefix (fapat_)', (l) => /fapat_[A-Za-z0-9]/.test(l));
  // SQL as the service would print it (drizzle's "Failed query: …\nparams: …", quoted identifiers); the
  // fuzzer's own SQL fragments (echoed as unknown field names) have no quoted identifiers.
  check('an SQL statement (insert into)', (l) => /insert into\s+"/i.test(l));
  check('an SQL statement (select )', (l) => /\bselect\s[^\n]{0,300}\bfrom\s+"/i.test(l));
  check('an SQL statement (update/delete)', (l) => /\b(update\s+"[a-z_]+"\s+set|delete from\s+")/i.test(l));
  check('a failed query', (l) => /failed query/i.test(l));
  check('SQL parameters (params:)', (l) => /params:/i.test(l));
  return found;
}
