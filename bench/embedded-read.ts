/**
 * Embedded reads during a long sync (`npm run bench -- --only embedded`, issue 17): the service as
 * `npm start` runs it (embedded PGlite in a fresh DATA_DIR, jobs in process), the Plaid emulator in this
 * process (rate limits off). Person B links a small item (synced first); person A links an item sized to
 * 100,000 transactions with the emulator's bulk control, and while A's first sync runs, four loops read
 * B's transactions page, cash flow, net worth and accounts at a steady rate. Printed: B's p50/p95/p99/max
 * during the sync and with no sync running, the sync's duration and tx/s, the 1-minute load average.
 * Twice: every answer computed (READ_CACHE_SECONDS=0), then with the default answer cache.
 *
 * Prints figures, never an assertion about speed. B's answers are checked (a wrong one throws): status
 * 200 and the same data as B's answers before A's sync (B's own data; A's sync must not show through).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import type { FastifyInstance } from 'fastify';
import { Products } from 'plaid';
import {
  buildEmulatorApp,
  EMULATOR_DEFAULT_CLIENT_ID,
  EMULATOR_DEFAULT_SECRET,
  type GroundTruth,
} from '../src/emulator/index.js';
import { sql } from 'drizzle-orm';
import { openDatabase, selectRows } from '../src/db/client.js';
import { createPlaidClient } from '../src/plaid/client.js';
import { cliJson, emulatorControl, freshDataDir, root } from './harness.js';

const TRANSACTIONS = 100_000;
const READ_LOOPS = 4;
/** Each loop starts a read every READ_INTERVAL_MS (or at once when the last one took longer). */
const READ_INTERVAL_MS = 250;
const BASELINE_MS = 8_000;
const SYNC_TIMEOUT_MS = 15 * 60_000;
const TARGET_P99_MS = 250;

const READS = ['/v1/transactions?limit=50', '/v1/cashflow/summary', '/v1/net-worth', '/v1/accounts'] as const;

const benchStarted = performance.now();
const progress = (message: string) =>
  process.stderr.write(`  … [${((performance.now() - benchStarted) / 1000).toFixed(1)} s] ${message}\n`);
const thousands = (n: number) => Math.round(n).toLocaleString('en-US');
const loadAverage = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

export async function runEmbeddedReadBench(): Promise<void> {
  console.log(
    `\nembedded PGlite: person B's reads while person A's first sync of ${thousands(TRANSACTIONS)} ` +
      `transactions runs (${READ_LOOPS} loops, one read every ${READ_INTERVAL_MS} ms each; target p99 ≤ ${TARGET_P99_MS} ms)`,
  );
  // BENCH_EMBEDDED_RUNS=computed or cached: only that run (both by default).
  const only = process.env.BENCH_EMBEDDED_RUNS;
  if (only !== 'cached') await measure('0');
  if (only !== 'computed') await measure(undefined);
}

interface Service {
  url: string;
  child: ChildProcess;
  /** Resolves when the service logs that `itemId` was synced (its analytics refresh included). */
  synced(itemId: string): Promise<{ status: string; analytics?: string }>;
  stop(): Promise<void>;
}

async function measure(readCacheSeconds: string | undefined): Promise<void> {
  const label =
    readCacheSeconds === '0' ? 'READ_CACHE_SECONDS=0 (every answer computed)' : 'default answer cache';
  console.log(`  ${label}`);
  let emulator: FastifyInstance | undefined;
  let service: Service | undefined;
  try {
    emulator = await buildEmulatorApp({
      clientId: EMULATOR_DEFAULT_CLIENT_ID,
      secret: EMULATOR_DEFAULT_SECRET,
      rateLimits: false,
      seed: 42,
    });
    await emulator.listen({ host: '127.0.0.1', port: 0 });
    const emulatorUrl = `http://127.0.0.1:${(emulator.server.address() as AddressInfo).port}`;
    const env: Record<string, string> = {
      DATA_DIR: await freshDataDir('embedded'),
      PLAID_EMULATOR_URL: emulatorUrl,
      ...(readCacheSeconds === undefined ? {} : { READ_CACHE_SECONDS: readCacheSeconds }),
    };
    progress('starting the service (node bin/start.js, embedded PGlite, fresh DATA_DIR)');
    service = await startEmbeddedService(env);

    const tokenA = await personToken('a@bench.example', env);
    const tokenB = await personToken('b@bench.example', env);
    const plaid = createPlaidClient({
      basePath: emulatorUrl,
      clientId: EMULATOR_DEFAULT_CLIENT_ID,
      secret: EMULATOR_DEFAULT_SECRET,
      timeoutMs: 60_000,
    });
    const publicToken = async (institutionId: string) =>
      (
        await plaid.sandboxPublicTokenCreate({
          institution_id: institutionId,
          initial_products: [Products.Transactions, Products.Investments, Products.Liabilities],
          options: { override_username: 'user_good', override_password: 'pass_good' },
        })
      ).public_token;

    progress('person B links a small item and waits for its first sync');
    const itemB = await exchange(service.url, tokenB, await publicToken('ins_109509'));
    const syncedB = await withTimeout(service.synced(itemB), 'B’s first sync');
    if (syncedB.status !== 'succeeded') throw new Error(`B's sync ended ${syncedB.status}`);

    progress(`sizing person A's item to ${thousands(TRANSACTIONS)} transactions`);
    const publicA = await publicToken('ins_109508');
    const state = await emulatorControl<{ items: { item_id: string }[] }>(
      emulatorUrl,
      'GET',
      '/__emulator/state',
    );
    const plaidItemA = state.items.at(-1)!.item_id;
    const truthA = await emulatorControl<GroundTruth>(
      emulatorUrl,
      'GET',
      `/__emulator/items/${plaidItemA}/ground-truth`,
    );
    const sized = await emulatorControl<{ transactions: number }>(
      emulatorUrl,
      'POST',
      `/__emulator/items/${plaidItemA}/transactions/generate`,
      { count: TRANSACTIONS - truthA.transactions.length },
    );
    if (sized.transactions !== TRANSACTIONS) throw new Error(`A's item holds ${sized.transactions}`);

    // B's answers with nothing running: the reference the reads during the sync are held against.
    const reference = new Map<string, string>();
    for (const route of READS) {
      const res = await read(service.url, tokenB, route);
      if (res.status !== 200) throw new Error(`B: GET ${route} answered ${res.status}`);
      reference.set(route, res.data);
    }
    const accounts = JSON.parse(reference.get('/v1/accounts')!) as { item_id?: string }[];
    if (accounts.length === 0 || accounts.some((a) => a.item_id !== undefined && a.item_id !== itemB)) {
      throw new Error('B’s accounts are not those of B’s item');
    }

    progress(`B's reads with no sync running (${BASELINE_MS / 1000} s)`);
    const idle = await readLoops(service.url, tokenB, reference, () => sleep(BASELINE_MS));
    print('no sync running', idle);

    progress('person A links the 100,000-transaction item; B reads until A’s sync (and refresh) is done');
    let syncMs = 0;
    let syncedA: { status: string; analytics?: string } | undefined;
    const exchangedAt = Date.now();
    let itemA = '';
    const during = await readLoops(service.url, tokenB, reference, async () => {
      const t0 = performance.now();
      itemA = await exchange(service!.url, tokenA, publicA);
      syncedA = await withTimeout(service!.synced(itemA), 'A’s first sync');
      syncMs = performance.now() - t0;
    });
    print('during A’s first sync', during);
    console.log(
      `    A's first sync         ${(syncMs / 1000).toFixed(1)} s from the exchange to "item synced" ` +
        `(analytics refresh included), ${thousands(TRANSACTIONS / (syncMs / 1000))} tx/s, ` +
        `status ${syncedA?.status ?? '?'}; load average ${loadAverage()}`,
    );
    await service.stop();
    await printPhases(env.DATA_DIR!, itemA, exchangedAt, during);
  } finally {
    await service?.stop();
    await emulator?.close().catch(() => undefined);
  }
}

interface Samples {
  latencies: number[];
  /** Each read's start (epoch ms) and latency, for placing the slowest against the sync's phases. */
  reads: { at: number; ms: number; route: string }[];
  byRoute: Map<string, number[]>;
  wallMs: number;
  load: string;
}

/** READ_LOOPS loops reading B's answers (each checked against `reference`) until `until` settles. */
async function readLoops(
  url: string,
  token: string,
  reference: Map<string, string>,
  until: () => Promise<void>,
): Promise<Samples> {
  const latencies: number[] = [];
  const reads: Samples['reads'] = [];
  const byRoute = new Map<string, number[]>();
  let done = false;
  let failure: Error | undefined;
  const t0 = performance.now();
  const loops = Array.from({ length: READ_LOOPS }, async (_, loop) => {
    await sleep((READ_INTERVAL_MS / READ_LOOPS) * loop);
    for (let n = loop; !done && !failure; n++) {
      const route = READS[n % READS.length]!;
      const at = Date.now();
      const started = performance.now();
      const res = await read(url, token, route);
      const ms = performance.now() - started;
      reads.push({ at, ms, route });
      if (res.status !== 200) failure = new Error(`B: GET ${route} answered ${res.status}`);
      else if (res.data !== reference.get(route)) failure = new Error(`B: GET ${route} answered other data`);
      latencies.push(ms);
      byRoute.set(route, [...(byRoute.get(route) ?? []), ms]);
      await sleep(Math.max(0, READ_INTERVAL_MS - ms));
    }
  });
  try {
    await until();
  } finally {
    done = true;
    await Promise.all(loops);
  }
  if (failure) throw failure;
  return { latencies, reads, byRoute, wallMs: performance.now() - t0, load: loadAverage() };
}

function print(label: string, samples: Samples): void {
  const line = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
    return (
      `p50 ${at(0.5).toFixed(0)} ms, p95 ${at(0.95).toFixed(0)} ms, p99 ${at(0.99).toFixed(0)} ms, ` +
      `max ${(sorted.at(-1) ?? NaN).toFixed(0)} ms (${sorted.length} reads)`
    );
  };
  const p99 =
    [...samples.latencies].sort((a, b) => a - b)[Math.ceil(0.99 * samples.latencies.length) - 1] ?? NaN;
  console.log(
    `    B's reads, ${label.padEnd(22)} ${line(samples.latencies)} over ${(samples.wallMs / 1000).toFixed(1)} s; ` +
      `p99 ≤ ${TARGET_P99_MS} ms: ${p99 <= TARGET_P99_MS ? 'PASS' : 'MISS'}; load average ${samples.load}`,
  );
  for (const [route, values] of samples.byRoute) console.log(`      ${route.padEnd(28)} ${line(values)}`);
}

/**
 * Opened after the service stopped (one process per data directory): A's sync runs and refresh from the
 * ledger, on the clock of the exchange, and where B's slowest reads fell among them.
 */
async function printPhases(
  dataDir: string,
  itemId: string,
  exchangedAt: number,
  samples: Samples,
): Promise<void> {
  const handle = await openDatabase({ kind: 'pglite', dataDir });
  try {
    const runs = await selectRows<{ product: string; started: number; finished: number; added: number }>(
      handle.db,
      sql`select product, extract(epoch from started_at) * 1000 as started,
                 extract(epoch from finished_at) * 1000 as finished, added_count as added
            from sync_runs where item_id = ${itemId} order by started_at`,
    );
    const [state] = await selectRows<{ refreshed: number; ms: number }>(
      handle.db,
      sql`select extract(epoch from r.last_refreshed_at) * 1000 as refreshed, r.last_duration_ms as ms
            from read_model_state r join plaid_items i on i.user_id = r.user_id where i.id = ${itemId}`,
    );
    const at = (ms: number) => `${((ms - exchangedAt) / 1000).toFixed(1)} s`;
    const phases = runs.map(
      (r) =>
        `${r.product} ${at(Number(r.started))}→${at(Number(r.finished))}` +
        (r.added ? ` (${thousands(r.added)} added)` : ''),
    );
    if (state) phases.push(`refresh ${state.ms} ms, ended ${at(Number(state.refreshed))}`);
    console.log(`    A's sync, from the exchange: ${phases.join('; ')}`);
    const tx = runs.find((r) => r.product === 'transactions');
    if (tx) {
      const inside = samples.reads
        .filter((r) => r.at >= Number(tx.started) && r.at + r.ms <= Number(tx.finished))
        .map((r) => r.ms)
        .sort((a, b) => a - b);
      const q = (p: number) => (inside[Math.max(0, Math.ceil(p * inside.length) - 1)] ?? NaN).toFixed(0);
      console.log(
        `    B's reads within the transactions product (fetch and apply, refresh excluded): p50 ${q(0.5)} ms, ` +
          `p95 ${q(0.95)} ms, p99 ${q(0.99)} ms, max ${q(1)} ms (${inside.length} reads)`,
      );
    }
    if (state) {
      // Every read that overlapped A's analytics refresh (span by span on PGlite, yielding between).
      const end = Number(state.refreshed);
      const start = end - state.ms;
      const overlapping = samples.reads
        .filter((r) => r.at < end && r.at + r.ms > start)
        .map((r) => r.ms)
        .sort((a, b) => a - b);
      const q = (p: number) =>
        (overlapping[Math.max(0, Math.ceil(p * overlapping.length) - 1)] ?? NaN).toFixed(0);
      console.log(
        `    B's reads during A's analytics refresh (${(state.ms / 1000).toFixed(1)} s): p50 ${q(0.5)} ms, ` +
          `p95 ${q(0.95)} ms, p99 ${q(0.99)} ms, max ${q(1)} ms (${overlapping.length} reads)`,
      );
    }
    const slowest = [...samples.reads].sort((a, b) => b.ms - a.ms).slice(0, 5);
    console.log(
      `    B's slowest reads (start → end): ` +
        slowest.map((r) => `${at(r.at)} → ${at(r.at + r.ms)}`).join(', '),
    );
  } finally {
    await handle.close();
  }
}

/** B's answer to one GET: its status and its `data` as JSON text (without `as_of` and `freshness`). */
async function read(url: string, token: string, route: string): Promise<{ status: number; data: string }> {
  const res = await fetch(`${url}${route}`, { headers: { authorization: `Bearer ${token}` } });
  const body = (await res.json()) as Record<string, unknown>;
  const { as_of: _asOf, freshness: _freshness, ...data } = body;
  return { status: res.status, data: JSON.stringify('data' in data ? data.data : data) };
}

async function personToken(email: string, env: Record<string, string>): Promise<string> {
  await cliJson(['users', 'create', '--email', email], env);
  const { token } = await cliJson<{ token: string }>(
    ['tokens', 'create', '--email', email, '--name', 'bench', '--scope', 'write'],
    env,
  );
  return token;
}

/** POST /v1/plaid/item/public-token/exchange (which enqueues the first sync); returns our item id. */
async function exchange(url: string, token: string, publicToken: string): Promise<string> {
  const res = await fetch(`${url}/v1/plaid/item/public-token/exchange`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ public_token: publicToken }),
  });
  if (res.status !== 201) throw new Error(`exchange answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { item: { id: string } }).item.id;
}

/**
 * `node bin/start.js` (as `npm start`), PORT=0, LOG_LEVEL=info: its JSON log lines (stdout) tell when
 * an item is synced; its banner (stderr) gives the URL.
 */
async function startEmbeddedService(env: Record<string, string>): Promise<Service> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) =>
        !/^(DATABASE_URL|PORT|DATA_DIR|PLAID_.*|JOBS_IN_PROCESS|WORKER_.*|LOG_LEVEL|READ_CACHE_SECONDS)$/.test(
          key,
        ),
    ),
  );
  const child = spawn(process.execPath, ['bin/start.js'], {
    cwd: root,
    env: { ...inherited, ...env, PORT: '0', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const waiters = new Map<string, (entry: { status: string; analytics?: string }) => void>();
  const synced = new Map<string, { status: string; analytics?: string }>();
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.includes('"item synced"')) continue;
      const entry = JSON.parse(line) as { itemId: string; status: string; analytics?: string };
      synced.set(entry.itemId, entry);
      waiters.get(entry.itemId)?.(entry);
    }
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const started = performance.now();
  let url: string | undefined;
  while (!url) {
    if (child.exitCode !== null) throw new Error(`the service exited:\n${stderr}`);
    if (performance.now() - started > 120_000) throw new Error(`the service did not start:\n${stderr}`);
    url = /running at (http:\/\/\S+)/.exec(stderr)?.[1];
    await sleep(20);
  }
  return {
    url,
    child,
    synced: (itemId) =>
      new Promise((resolve, reject) => {
        const known = synced.get(itemId);
        if (known) return resolve(known);
        waiters.set(itemId, resolve);
        void exited.then(() => reject(new Error(`the service exited:\n${stderr.slice(-2000)}`)));
      }),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${what} did not finish within ${SYNC_TIMEOUT_MS / 1000} s`)),
        SYNC_TIMEOUT_MS,
      );
    }),
  ]).finally(() => clearTimeout(timer));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

if (import.meta.url === `file://${process.argv[1]}`) {
  await runEmbeddedReadBench();
}
