/**
 * My data out at scale (`npm run bench -- --only export`): the read bench's PostgreSQL data (500 users ×
 * 1,000 transactions, one heavy user with 100,000 over five years, 5,000 investment transactions,
 * holdings, balances, analytics; bench/api-read.ts `seed`), the API in its own process as `npm start`
 * runs it (bench/harness.ts `startService`), then the heavy user downloads GET /v1/export?format=json and
 * ?format=csv (the zip), one after the other. Per download: bytes, time to the first byte and to the
 * last, the CPU time of the API process and of the database's PostgreSQL backends, its resident set before, and its peak during the download (VmHWM,
 * reset before each download through /proc/<pid>/clear_refs, and VmRSS sampled every 20 ms as a
 * cross-check). The zip is written to a temporary file and listed with `unzip -l` (its entries and
 * sizes); the bytes never stay in this process's memory. Prints figures, asserts nothing about speed.
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import pg from 'pg';
import { buildConfig, parseEnv } from '../src/config/schema.js';
import { openDatabase } from '../src/db/client.js';
import { composeServices } from '../src/domain/services.js';
import { seed } from './api-read.js';
import { createBenchDatabase, startService } from './harness.js';

const MiB = 1024 * 1024;

/** A field of /proc/<pid>/status in MiB (VmRSS, VmHWM); undefined when unreadable. */
function statusMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const kib = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kib ? Number(kib) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** User + system CPU time of a process, ms (Linux /proc, USER_HZ = 100); 0 once it is gone. */
function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

/** CPU time of this database's PostgreSQL backends by pid (a local server), ms. */
async function backendsCpu(url: string): Promise<Map<number, number>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>(
      'select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
    );
    return new Map(rows.map((row) => [row.pid, cpuMs(row.pid)]));
  } finally {
    await client.end();
  }
}

/** CPU spent by the backends between two samples (a backend that appeared counts from zero), s. */
function backendsSpent(before: Map<number, number>, after: Map<number, number>): number {
  let ms = 0;
  for (const [pid, now] of after) ms += Math.max(0, now - (before.get(pid) ?? 0));
  return ms / 1000;
}

/** Resets the process's peak resident set (VmHWM) to its current one; false where Linux refuses. */
function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

const loadAverage = () =>
  os
    .loadavg()
    .map((n) => n.toFixed(1))
    .join(' ');

export async function runExportBench(options: { postgresUrl?: string }): Promise<void> {
  console.log(
    '\nExport (GET /v1/export) on PostgreSQL: one person with 100,000 transactions over 5 years, JSON and zip of CSV',
  );
  if (!options.postgresUrl) {
    console.log('  skipped: no PostgreSQL server answers');
    return;
  }
  const database = await createBenchDatabase(options.postgresUrl, 'export');
  const env = database.env;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fa-bench-export-'));
  try {
    const { heavyEmail } = await seed(env.DATABASE_URL);
    const handle = await openDatabase({ kind: 'postgres', url: env.DATABASE_URL });
    let token: string;
    try {
      const services = composeServices(
        handle.db,
        buildConfig(parseEnv(env).raw, {
          jwtSecretKey: env.JWT_SECRET_KEY,
          encryptionKeyBase64: env.ENCRYPTION_KEY_BASE64,
        }),
      );
      const user = await services.users.getByEmail(heavyEmail);
      token = (await services.auth.createToken(user.id, { name: 'bench', scope: 'read' })).token;
    } finally {
      await handle.close();
    }

    const service = await startService({ ...env, API_PROCESSES: '1' });
    try {
      const pid = service.child.pid!;
      // One small request first: the route, the auth and the connection pool are warm.
      await fetch(`${service.url}/v1/me`, { headers: { authorization: `Bearer ${token}` } });
      console.log(`  load average before: ${loadAverage()}`);
      for (const format of ['json', 'csv'] as const) {
        const file = path.join(dir, `export.${format === 'csv' ? 'zip' : 'json'}`);
        const rssBefore = statusMiB(pid, 'VmRSS')!;
        const peakReset = resetPeak(pid);
        let sampledPeak = rssBefore;
        const sampler = setInterval(() => {
          sampledPeak = Math.max(sampledPeak, statusMiB(pid, 'VmRSS') ?? 0);
        }, 20);
        const cpu0 = cpuMs(pid);
        const backends0 = await backendsCpu(env.DATABASE_URL);
        const t0 = performance.now();
        const res = await fetch(`${service.url}/v1/export?format=${format}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        if (res.status !== 200 || !res.body) throw new Error(`export ${format}: ${res.status}`);
        let firstByteMs: number | undefined;
        let bytes = 0;
        const counted = Readable.fromWeb(res.body as WebReadableStream<Uint8Array>).map((chunk: Buffer) => {
          firstByteMs ??= performance.now() - t0;
          bytes += chunk.length;
          return chunk;
        });
        await pipeline(counted, createWriteStream(file));
        const seconds = (performance.now() - t0) / 1000;
        clearInterval(sampler);
        const cpu = (cpuMs(pid) - cpu0) / 1000;
        const postgresCpu = backendsSpent(backends0, await backendsCpu(env.DATABASE_URL));
        const hwm = statusMiB(pid, 'VmHWM');
        const peak = peakReset && hwm !== undefined ? Math.max(hwm, sampledPeak) : sampledPeak;
        console.log(
          `  format=${format.padEnd(4)} ${(bytes / MiB).toFixed(1)} MiB (${res.headers.get('content-type')}) in ` +
            `${seconds.toFixed(1)} s (first byte ${Math.round(firstByteMs ?? 0)} ms), ` +
            `${(bytes / MiB / seconds).toFixed(1)} MiB/s; API CPU ${cpu.toFixed(1)} s, PostgreSQL CPU ${postgresCpu.toFixed(1)} s; ` +
            `API RSS ${rssBefore.toFixed(0)} MiB before, peak ${peak.toFixed(0)} MiB ` +
            `(+${(peak - rssBefore).toFixed(0)} MiB; ${peakReset ? 'VmHWM reset before' : 'sampled every 20 ms'}); ` +
            `load average ${loadAverage()}`,
        );
        if (format === 'json') {
          // Parsed once here (outside the service) to show the document is whole.
          const document = JSON.parse(readFileSync(file, 'utf8')) as { transactions: unknown[] };
          console.log(`    JSON: ${document.transactions.length.toLocaleString()} transactions`);
        } else {
          const listing = execFileSync('unzip', ['-l', file], { encoding: 'utf8' });
          const entries = listing
            .split('\n')
            .map((line) => /^\s*(\d+)\s+\S+\s+\S+\s+(\S+\.(?:csv|txt))$/.exec(line))
            .filter((m): m is RegExpExecArray => m !== null)
            .map((m) => `${m[2]} ${(Number(m[1]) / MiB).toFixed(1)} MiB`);
          console.log(
            `    zip: ${entries.length} entries; ${entries.filter((e) => !/ 0\.0 MiB$/.test(e)).join(', ')}`,
          );
          execFileSync('unzip', ['-tq', file], { stdio: 'ignore' });
          console.log('    unzip -t: no errors');
        }
        rmSync(file, { force: true });
      }
    } finally {
      await service.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await database.drop();
  }
}
