/**
 * The measured side of the sync benchmark (bench/sync.ts), in its own process so that its peak RSS is the
 * worker's alone: reads one JSON job on stdin, runs the first `syncItem` (trigger `link`) of an item the
 * parent linked, and writes one JSON report on stdout. Progress goes to stderr.
 *
 * Instrumentation is bench-only and stays outside the service: the Plaid adapter is wrapped (time per
 * endpoint), `pg.Client#query` is wrapped (time per statement kind, by phase), the materializers are
 * wrapped (analytics refresh), and memory is sampled every 20 ms.
 */
import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { openDatabase, selectRows, type Database } from '../src/db/client.js';
import { createAnalyticsMaterializers } from '../src/domain/analytics/materializers.js';
import { createAccessTokenCipher, keyIdOf } from '../src/domain/items/access-token-cipher.js';
import { createSyncService } from '../src/domain/sync/service.js';
import { createPlaidClient, type PlaidClient } from '../src/plaid/client.js';

export interface SyncWorkerJob {
  databaseUrl: string;
  emulatorUrl: string;
  clientId: string;
  secret: string;
  /** The access-token key the parent encrypted the item's token with. */
  keyBase64: string;
  userId: string;
  itemId: string;
}

export interface PhaseStat {
  calls: number;
  ms: number;
}

export interface SyncWorkerReport {
  /** Wall time of `syncItem`, analytics refresh included. */
  syncItemMs: number;
  status: string;
  products: { product: string; status: string; added: number; modified: number; removed: number }[];
  analyticsRefreshed: boolean;
  /** `process.resourceUsage().maxRSS`, KiB. */
  maxRssKiB: number;
  /** Peaks of the 20 ms samples, bytes. */
  peak: { rss: number; heapUsed: number; heapTotal: number; external: number; arrayBuffers: number };
  /** RSS once the modules are loaded and the clients built, before the sync (tsx included), bytes. */
  rssBeforeSync: number;
  /** Peaks of the 20 ms samples within each phase, bytes. */
  peakByPhase: Record<string, { rss: number; heapUsed: number }>;
  /**
   * CPU time of this worker's PostgreSQL backends (its connections, named by PGAPPNAME) from /proc, ms;
   * null when unreadable (not Linux, or a remote server).
   */
  postgresBackendCpuMs: number | null;
  /** CPU time of this process during `syncItem`, ms. */
  cpu: { userMs: number; systemMs: number };
  /** Plaid calls keyed `phase · endpoint`: round trip through the official client (emulator time included). */
  plaid: Record<string, PhaseStat>;
  /**
   * Database round trips, keyed `phase · statement`. The phase is the product whose Plaid call came last
   * (or analytics), so a product's opening `insert sync_runs` lands in the phase before it.
   */
  db: Record<string, PhaseStat>;
  /** Wall time per phase (product or analytics). */
  phases: Record<string, number>;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const job = JSON.parse(await readStdin()) as SyncWorkerJob;
const progress = (message: string) => process.stderr.write(`    [worker] ${message}\n`);

// --- instrumentation -------------------------------------------------------------------------------
let phase = 'setup';
const phaseStarted = new Map<string, number>();
const phases: Record<string, number> = {};
function enterPhase(next: string): void {
  if (next === phase) return;
  const t = performance.now();
  const started = phaseStarted.get(phase);
  if (started !== undefined) phases[phase] = (phases[phase] ?? 0) + (t - started);
  phase = next;
  phaseStarted.set(next, t);
}
phaseStarted.set(phase, performance.now());

function add(stats: Record<string, PhaseStat>, key: string, ms: number): void {
  const s = (stats[key] ??= { calls: 0, ms: 0 });
  s.calls++;
  s.ms += ms;
}

const dbStats: Record<string, PhaseStat> = {};
/** `insert transactions`, `select accounts`, … from the statement text. */
function statementKind(text: string): string {
  const t = text.trimStart().slice(0, 400).toLowerCase();
  const verb = /^(\w+)/.exec(t)?.[1] ?? '?';
  const table =
    verb === 'insert'
      ? /^insert\s+into\s+"?(\w+)/.exec(t)?.[1]
      : verb === 'update'
        ? /^update\s+"?(\w+)/.exec(t)?.[1]
        : verb === 'delete'
          ? /^delete\s+from\s+"?(\w+)/.exec(t)?.[1]
          : /\bfrom\s+"?(\w+)/.exec(t)?.[1];
  return table ? `${verb} ${table}` : verb;
}
type QueryFn = (...args: unknown[]) => unknown;
const originalQuery = pg.Client.prototype.query as unknown as QueryFn;
(pg.Client.prototype as unknown as { query: QueryFn }).query = function (this: unknown, ...args: unknown[]) {
  const first = args[0];
  const text = typeof first === 'string' ? first : ((first as { text?: string } | undefined)?.text ?? '');
  const key = `${phase} · ${statementKind(text)}`;
  const started = performance.now();
  const last = args[args.length - 1];
  if (typeof last === 'function') {
    args[args.length - 1] = (...cbArgs: unknown[]) => {
      add(dbStats, key, performance.now() - started);
      return (last as QueryFn)(...cbArgs);
    };
    return originalQuery.apply(this, args);
  }
  const result = originalQuery.apply(this, args);
  if (result && typeof (result as Promise<unknown>).then === 'function') {
    return (result as Promise<unknown>).finally(() => add(dbStats, key, performance.now() - started));
  }
  return result;
};

const PHASE_OF: Record<string, string> = {
  accountsGet: 'accounts',
  transactionsSync: 'transactions',
  investmentsHoldingsGet: 'holdings',
  investmentsTransactionsGet: 'investment_transactions',
  liabilitiesGet: 'liabilities',
};
const plaidStats: Record<string, PhaseStat> = {};
let pages = 0;
function instrument(client: PlaidClient): PlaidClient {
  return new Proxy(client, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        const name = String(prop);
        enterPhase(PHASE_OF[name] ?? phase);
        const started = performance.now();
        try {
          return await (value as QueryFn).apply(target, args);
        } finally {
          add(plaidStats, `${phase} · ${name}`, performance.now() - started);
          if (name === 'transactionsSync' && ++pages % 40 === 0) progress(`${pages} pages fetched`);
        }
      };
    },
  });
}

const peak = { rss: 0, heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0 };
const peakByPhase: Record<string, { rss: number; heapUsed: number }> = {};
function sample(): void {
  const m = process.memoryUsage();
  const p = (peakByPhase[phase] ??= { rss: 0, heapUsed: 0 });
  p.rss = Math.max(p.rss, m.rss);
  p.heapUsed = Math.max(p.heapUsed, m.heapUsed);
  peak.rss = Math.max(peak.rss, m.rss);
  peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed);
  peak.heapTotal = Math.max(peak.heapTotal, m.heapTotal);
  peak.external = Math.max(peak.external, m.external);
  peak.arrayBuffers = Math.max(peak.arrayBuffers, m.arrayBuffers);
}

/** CPU (ms) of the server processes behind this process's connections, read before they close. */
async function backendCpuMs(db: Database): Promise<number | null> {
  const rows = await selectRows<{ pid: number }>(
    db,
    sql`select pid from pg_stat_activity where application_name = ${process.env.PGAPPNAME ?? ''}`,
  );
  let ticks = 0;
  for (const { pid } of rows) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      return null;
    }
  }
  return rows.length > 0 ? ticks * 10 : null; // USER_HZ = 100
}

// --- the sync --------------------------------------------------------------------------------------
const handle = await openDatabase({ kind: 'postgres', url: job.databaseUrl });
try {
  const db = handle.db;
  const cipher = createAccessTokenCipher(
    [{ id: keyIdOf(job.keyBase64), keyBase64: job.keyBase64 }],
    keyIdOf(job.keyBase64),
  );
  const plaid = instrument(
    createPlaidClient({
      basePath: job.emulatorUrl,
      clientId: job.clientId,
      secret: job.secret,
      timeoutMs: 120_000,
    }),
  );
  const materializers = createAnalyticsMaterializers({ db });
  const sync = createSyncService({
    db,
    plaid,
    cipher,
    materializers: {
      async refreshUserAnalytics(userId: string) {
        enterPhase('analytics');
        progress('refreshing analytics');
        return materializers.refreshUserAnalytics(userId);
      },
    },
  });

  progress('first sync started');
  const rssBeforeSync = process.memoryUsage().rss;
  sample();
  const sampler = setInterval(sample, 20);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  enterPhase('setup');
  const result = await sync.syncItem(job.userId, job.itemId, { trigger: 'link' });
  const syncItemMs = performance.now() - started;
  enterPhase('done');
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(sampler);
  sample();
  progress(`first sync finished in ${(syncItemMs / 1000).toFixed(1)} s`);

  const report: SyncWorkerReport = {
    syncItemMs,
    status: result.status,
    products: result.products.map((p) => ({
      product: p.product,
      status: p.status,
      added: p.added,
      modified: p.modified,
      removed: p.removed,
      ...(p.error ? { error: p.error } : {}),
    })),
    analyticsRefreshed: result.analyticsRefreshed,
    maxRssKiB: process.resourceUsage().maxRSS,
    peak,
    peakByPhase,
    rssBeforeSync,
    postgresBackendCpuMs: null,
    cpu: { userMs: cpu.user / 1000, systemMs: cpu.system / 1000 },
    plaid: plaidStats,
    db: dbStats,
    phases,
  };
  report.postgresBackendCpuMs = await backendCpuMs(db);
  process.stdout.write(`${JSON.stringify(report)}\n`);
} finally {
  await handle.close();
}
