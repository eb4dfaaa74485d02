import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
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
  options: { connections?: number; durationSeconds?: number } = {},
): Promise<LoadResult> {
  const result = await autocannon({
    url,
    headers,
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
  return summary;
}

export async function freshDataDir(label: string): Promise<string> {
  return path.join(await mkdtemp(path.join(tmpdir(), `fa-bench-${label}-`)), 'data');
}

export interface BenchServer {
  url: string;
  child: ChildProcess;
  /** ms from spawn until /readyz answered 200. */
  readyAfterMs: number;
  stop(): Promise<void>;
}

/** Starts the service as `npm start` does (tsx src/server.ts), in its own process, and waits for /readyz. */
export async function startService(env: Record<string, string>): Promise<BenchServer> {
  const started = performance.now();
  const child = spawn(tsx, ['src/server.ts'], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'warn', PORT: '0', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`service did not start:\n${stderr}`)), 60_000);
    child.stderr!.on('data', () => {
      const match = /running at (http:\/\/\S+)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.on('exit', (code) => reject(new Error(`service exited with ${code}:\n${stderr}`)));
  });
  for (;;) {
    const res = await fetch(`${url}/readyz`).catch(() => undefined);
    if (res?.status === 200) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const readyAfterMs = performance.now() - started;
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
