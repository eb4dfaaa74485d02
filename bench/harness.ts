import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';

export const root = path.resolve(import.meta.dirname, '..');
const tsx = path.join(root, 'node_modules/.bin/tsx');

export interface LoadResult {
  name: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
}

/** autocannon against one URL; prints and returns the median req/s and p50/p99 latency. */
export async function load(
  name: string,
  url: string,
  headers: Record<string, string>,
  options: {
    connections?: number;
    durationSeconds?: number;
    servicePid?: number;
    /** A POST with this JSON body (an MCP tools/call), instead of a GET. */
    postJson?: unknown;
  } = {},
): Promise<LoadResult> {
  const before = options.servicePid ? cpuSample(options.servicePid) : undefined;
  const result = await autocannon({
    url,
    ...(options.postJson === undefined
      ? { headers }
      : {
          method: 'POST' as const,
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify(options.postJson),
        }),
    connections: options.connections ?? 10,
    duration: options.durationSeconds ?? 10,
  });
  const summary: LoadResult = {
    name,
    requestsPerSecond: result.requests.p50,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
  };
  console.log(
    `  ${name.padEnd(42)} ${String(Math.round(summary.requestsPerSecond)).padStart(7)} req/s (median)` +
      `   p50 ${summary.p50Ms.toFixed(1)} ms   p99 ${summary.p99Ms.toFixed(1)} ms` +
      (summary.errors || summary.non2xx ? `   errors ${summary.errors}, non-2xx ${summary.non2xx}` : ''),
  );
  if (before && options.servicePid) {
    const after = cpuSample(options.servicePid);
    const requests = result.requests.total || 1;
    // A process that ends between the samples takes its ticks with it: never below zero.
    const perRequest = (ms: number) => Math.max(0, (ms * 1000) / requests).toFixed(0);
    console.log(
      `  ${''.padEnd(42)} CPU per request: service ${perRequest(after.serviceMs - before.serviceMs)} µs, ` +
        `postgres ${perRequest(after.postgresMs - before.postgresMs)} µs (all cores: ${os.cpus().length})`,
    );
  }
  return summary;
}

/**
 * CPU time (ms) of the service process (with its child processes) and of all PostgreSQL server processes,
 * from /proc (Linux): where
 * a request's cost goes when both share this machine's cores with the load generator.
 */
function cpuSample(servicePid: number): { serviceMs: number; postgresMs: number } {
  const ticks = (pid: number) => {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return Number(fields[11]) + Number(fields[12]);
    } catch {
      return 0;
    }
  };
  const msPerTick = 1000 / 100; // USER_HZ
  let postgres = 0;
  // The service and its children (the API processes of API_PROCESSES > 1).
  let service = ticks(servicePid);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres') postgres += ticks(Number(entry));
      const parent = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ')[1];
      if (Number(parent) === servicePid) service += ticks(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return { serviceMs: service * msPerTick, postgresMs: postgres * msPerTick };
}

export async function freshDataDir(label: string): Promise<string> {
  return path.join(await mkdtemp(path.join(os.tmpdir(), `fa-bench-${label}-`)), 'data');
}

export interface BenchServer {
  url: string;
  child: ChildProcess;
  /** ms from spawn until /readyz answered 200. */
  readyAfterMs: number;
  stop(): Promise<void>;
}

/**
 * Starts the service as `npm start` does (`node bin/start.js`: the sources transpiled once per change), or
 * from the TypeScript sources through tsx (`entry: 'source'`), in its own process, and waits for /readyz.
 */
export async function startService(
  env: Record<string, string>,
  entry: 'start-command' | 'source' = 'start-command',
): Promise<BenchServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const started = performance.now();
  // BENCH_SERVICE_NODE_ARGS: extra node flags for the service (e.g. `--cpu-prof --cpu-prof-dir=DIR`).
  const nodeArgs = process.env.BENCH_SERVICE_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const script = entry === 'source' ? ['--import', 'tsx', 'src/server.ts'] : ['bin/start.js'];
  const child = spawn(process.execPath, [...nodeArgs, ...script], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'warn', PORT: String(port), ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  let exited = false;
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.on('exit', () => (exited = true));
  // Ready = /readyz answers 200, measured from the spawn, as a person running `npm start` sees it.
  for (;;) {
    if (exited) throw new Error(`service exited:\n${stderr}`);
    if (performance.now() - started > 60_000) throw new Error(`service did not start:\n${stderr}`);
    const res = await fetch(`${url}/readyz`).catch(() => undefined);
    if (res?.status === 200) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const readyAfterMs = performance.now() - started;
  // Then wait for the banner (printed once the in-process Plaid emulator is up, in emulator mode).
  while (!/running at/.test(stderr)) {
    if (exited) throw new Error(`service exited:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    url,
    child,
    readyAfterMs,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
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

/** Runs the CLI (`tsx src/cli.ts --json ...`) and parses its JSON output. */
export function cliJson<T>(args: string[], env: Record<string, string>): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(tsx, ['src/cli.ts', '--json', ...args], {
      cwd: root,
      env: { ...process.env, ...env },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as T) : reject(new Error(err))));
  });
}

/** A fresh PostgreSQL database for one benchmark, with the env a service needs to use it, and its removal. */
export async function createBenchDatabase(
  serverUrl: string,
  label: string,
): Promise<{
  env: { DATABASE_URL: string; JWT_SECRET_KEY: string; ENCRYPTION_KEY_BASE64: string };
  drop(): Promise<void>;
}> {
  const { randomBytes } = await import('node:crypto');
  const pg = (await import('pg')).default;
  const name = `fa_bench_${label}_${randomBytes(4).toString('hex')}`;
  const run = async (statement: string) => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await run(`create database "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    env: {
      DATABASE_URL: url.toString(),
      JWT_SECRET_KEY: randomBytes(32).toString('hex'),
      ENCRYPTION_KEY_BASE64: randomBytes(32).toString('base64'),
    },
    drop: () => run(`drop database if exists "${name}" with (force)`),
  };
}

/** A call to the emulator's control API (`/__emulator/...`), its JSON answer; an error status throws. */
export async function emulatorControl<T>(
  emulatorUrl: string,
  method: 'GET' | 'POST',
  route: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(`${emulatorUrl}${route}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${route} → ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}
