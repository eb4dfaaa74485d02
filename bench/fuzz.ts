import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import {
  generateFuzzRequests,
  operationsOf,
  type FuzzPerson,
  type FuzzRequest,
  type OpenApiDocument,
} from '../test/helpers/fuzz-requests.js';
import {
  describeFailures,
  preparePerson,
  runFuzz,
  type FuzzRunResult,
} from '../test/helpers/fuzz-service.js';
import type { EventLoopDelayReport } from './fuzz-service.js';
import { createBenchDatabase, freshDataDir, root } from './harness.js';

/**
 * `--only fuzz`: the OpenAPI fuzzer of test/e2e/openapi-fuzz.test.ts against a service with two users'
 * linked and synced data, and the service's event-loop delay (`monitorEventLoopDelay` inside its
 * process) during two phases: the fuzz run, then the widest date ranges each range route allows,
 * repeated. Figures, not assertions. FUZZ_REQUESTS (default 2,000) and FUZZ_SEED as in the test.
 */
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 2_000);
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_202);
const WIDEST_REPEATS = 10;

interface BenchService {
  url: string;
  emulatorUrl: string;
  child: ChildProcess;
  delay(phase: () => Promise<void>): Promise<EventLoopDelayReport>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** The service in its own process (bench/fuzz-service.ts), with the IPC channel to its histogram. */
async function startMeasuredService(env: Record<string, string>): Promise<BenchService> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = fork(path.join(root, 'bench/fuzz-service.ts'), [], {
    cwd: root,
    execArgv: ['--import', 'tsx'],
    env: {
      ...process.env,
      LOG_LEVEL: 'warn',
      PORT: String(port),
      PUBLIC_URL: url,
      ALLOW_REGISTRATION: 'true',
      AUTH_RATE_LIMIT_PER_MINUTE: '10000',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const started = performance.now();
  let emulatorUrl: string | undefined;
  while (!emulatorUrl) {
    if (child.exitCode !== null) throw new Error(`service exited:\n${stderr}`);
    if (performance.now() - started > 90_000) throw new Error(`service did not start:\n${stderr}`);
    emulatorUrl = /running at[\s\S]*offline emulator at (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)?.[1];
    await new Promise((r) => setTimeout(r, 50));
  }
  const ask = <T>(message: string, key: string) =>
    new Promise<T>((resolve) => {
      const onMessage = (reply: Record<string, unknown>) => {
        if (key in reply) {
          child.off('message', onMessage);
          resolve(reply[key] as T);
        }
      };
      child.on('message', onMessage);
      child.send(message);
    });
  return {
    url,
    emulatorUrl,
    child,
    delay: async (phase) => {
      await ask('reset', 'reset');
      await phase();
      return ask<EventLoopDelayReport>('report', 'report');
    },
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

const day = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

/** Fixed ranges tried first, widest first (a route with no span cap takes one of these). */
const FIXED_RANGES: [string, string][] = [
  ['0001-01-01', '9999-12-31'],
  ['1900-01-01', '2199-12-31'],
];

/**
 * For every route with start_date and end_date, and every interval it takes, its widest allowed range:
 * a fixed calendar-wide range if it answers 2xx, otherwise the longest span ending today, to the day
 * (binary search between 1 and 100 years).
 */
async function widestRanges(
  baseUrl: string,
  doc: OpenApiDocument,
  person: FuzzPerson,
): Promise<{ label: string; url: string }[]> {
  const found: { label: string; url: string }[] = [];
  const allowed = async (path: string, start: string, end: string, interval: string | undefined) => {
    const url = `${path}?start_date=${start}&end_date=${end}${interval ? `&interval=${interval}` : ''}`;
    const res = await fetch(`${baseUrl}${url}`, {
      headers: { authorization: `Bearer ${person.token}` },
      signal: AbortSignal.timeout(60_000),
    }).catch(() => undefined);
    await res?.arrayBuffer();
    return res !== undefined && res.status < 300 ? url : undefined;
  };
  for (const operation of operationsOf(doc)) {
    const params = operation.op.parameters ?? [];
    if (operation.method !== 'GET' || !params.some((p) => p.name === 'start_date')) continue;
    const interval = params.find((p) => p.name === 'interval');
    const intervals = (interval?.schema?.enum as string[] | undefined) ?? [undefined];
    for (const value of intervals) {
      const label = `${operation.path}${value ? ` interval=${value}` : ''}`;
      let url: string | undefined;
      let range = '';
      for (const [start, end] of FIXED_RANGES) {
        url = await allowed(operation.path, start, end, value);
        range = `${start} → ${end}`;
        if (url) break;
      }
      if (!url) {
        // The longest span (days) ending today that is still allowed.
        let low = 1;
        let high = 365 * 100;
        let best: string | undefined;
        if ((best = await allowed(operation.path, day(-high), day(0), value))) low = high;
        while (low < high) {
          const middle = Math.ceil((low + high) / 2);
          const answer = await allowed(operation.path, day(-middle), day(0), value);
          if (answer) {
            low = middle;
            best = answer;
          } else {
            high = middle - 1;
          }
        }
        best ??= await allowed(operation.path, day(-low), day(0), value);
        url = best;
        range = `${day(-low)} → ${day(0)} (${low} days)`;
      }
      if (url) found.push({ label: `${label}: ${range}`, url });
      else console.log(`    ${label}: no range answered 2xx`);
    }
  }
  return found;
}

function printDelay(label: string, report: EventLoopDelayReport, extra = '') {
  console.log(
    `  ${label.padEnd(34)} event-loop delay p50 ${report.p50Ms.toFixed(1)} ms   p99 ${report.p99Ms.toFixed(1)} ms` +
      `   max ${report.maxMs.toFixed(1)} ms${extra}`,
  );
}

function printRun(run: FuzzRunResult, seconds: number) {
  const statuses = Object.entries(run.statuses)
    .map(([status, n]) => `${status}×${n}`)
    .join(' ');
  console.log(
    `  ${run.sent} requests in ${seconds.toFixed(1)} s (${Math.round(run.sent / seconds)} req/s), ` +
      `${Object.keys(run.operations).length} operations; statuses ${statuses}`,
  );
  console.log(
    `  /healthz: ${run.healthz.probes} probes, ${run.healthz.failures.length} failed` +
      (run.stoppedEarly ? `; ${run.stoppedEarly}` : ''),
  );
  if (run.failures.length) {
    console.log(
      describeFailures(run.failures, 0)
        .split('\n')
        .filter((l) => !/^the first/.test(l))
        .map((l) => `  ${l}`)
        .join('\n'),
    );
  }
}

async function benchOne(label: string, env: Record<string, string>) {
  console.log(`\nfuzz (${label}): ${REQUESTS} requests, seed ${SEED}`);
  const service = await startMeasuredService(env);
  try {
    process.stdout.write('  linking and syncing two users... ');
    const setupStarted = performance.now();
    const people = await Promise.all([
      preparePerson(service.url, service.emulatorUrl, 'ana', 'ana.bench@example.com', 'ins_109508'),
      preparePerson(service.url, service.emulatorUrl, 'ben', 'ben.bench@example.com', 'ins_109511'),
    ]);
    console.log(
      `${((performance.now() - setupStarted) / 1000).toFixed(1)} s ` +
        `(${people.map((p) => `${p.transactions.length} transactions`).join(', ')})`,
    );
    const doc = (await (await fetch(`${service.url}/openapi.json`)).json()) as OpenApiDocument;
    const requests = generateFuzzRequests(doc, people, { seed: SEED, count: REQUESTS });

    let run: FuzzRunResult | undefined;
    const started = performance.now();
    const fuzzDelay = await service.delay(async () => {
      run = await runFuzz(service.url, doc, people, requests, { concurrency: 4, maxTimeouts: 5 });
    });
    printRun(run!, (performance.now() - started) / 1000);
    printDelay('during the fuzz run', fuzzDelay);

    const widest = await widestRanges(service.url, doc, people[0]!);
    console.log('  widest allowed ranges:');
    for (const w of widest) console.log(`    ${w.label}`);
    const repeated: FuzzRequest[] = [];
    for (let i = 0; i < WIDEST_REPEATS; i++) {
      for (const [k, w] of widest.entries()) {
        repeated.push({
          n: i * widest.length + k,
          operation: `GET ${w.url.split('?')[0]}`,
          method: 'GET',
          url: w.url,
          headers: { authorization: `Bearer ${people[i % 2]!.token}` },
          mode: 'widest-range',
          actor: people[i % 2],
          sentIds: [],
        });
      }
    }
    let widestRun: FuzzRunResult | undefined;
    const widestStarted = performance.now();
    const widestDelay = await service.delay(async () => {
      widestRun = await runFuzz(service.url, doc, people, repeated, { concurrency: 4, maxTimeouts: 5 });
    });
    const slowest = Object.entries(widestRun!.timings)
      .map(([op, t]) => `${op} ${Math.round(t.maxMs)} ms`)
      .join(', ');
    printDelay(
      `widest ranges ×${WIDEST_REPEATS} (${repeated.length} req)`,
      widestDelay,
      `   in ${((performance.now() - widestStarted) / 1000).toFixed(1)} s; slowest answer: ${slowest}` +
        (widestRun!.failures.length ? `; ${widestRun!.failures.length} failed` : ''),
    );
  } finally {
    await service.stop();
  }
}

export async function runFuzzBench(options: { postgresUrl?: string }): Promise<void> {
  await benchOne('embedded PGlite', { DATA_DIR: await freshDataDir('fuzz') });
  if (options.postgresUrl) {
    const database = await createBenchDatabase(options.postgresUrl, 'fuzz');
    try {
      await benchOne('PostgreSQL', database.env);
    } finally {
      await database.drop();
    }
  }
}
