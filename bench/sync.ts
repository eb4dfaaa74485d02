import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { and, eq, sql } from 'drizzle-orm';
import { Products } from 'plaid';
import { openDatabase, selectRows } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import { syncRuns, users } from '../src/db/schema/index.js';
import { createAccessTokenCipher, keyIdOf } from '../src/domain/items/access-token-cipher.js';
import { createItemLinking } from '../src/domain/items/item-linking.js';
import { buildEmulatorApp, type GroundTruth } from '../src/emulator/index.js';
import { createPlaidClient } from '../src/plaid/client.js';
import { createBenchDatabase, root } from './harness.js';
import type { SyncWorkerJob, SyncWorkerReport } from './sync-worker.js';

const CLIENT_ID = 'bench-client';
const SECRET = 'bench-secret';
const TRANSACTIONS = 100_000;
const TARGET_TX_PER_SECOND = 10_000;
const TARGET_RSS_MB = 400;

const MiB = 1024 * 1024;
const progress = (message: string) => process.stderr.write(`  … ${message}\n`);
const thousands = (n: number) => Math.round(n).toLocaleString('en-US');

/**
 * Sync figure for `npm run bench`: the first sync (`syncItem`, trigger `link`) of one item holding
 * 100,000 transactions, from the emulator (in this process, over loopback) into a fresh PostgreSQL
 * database, run in a child process (bench/sync-worker.ts) whose peak RSS is reported. Checks the
 * transactions table against the emulator's ground truth, then drops the database.
 */
export async function runSyncBench(options: { postgresUrl?: string; cpuProfileDir?: string }): Promise<void> {
  console.log(
    `\nfirst sync of one item with ${thousands(TRANSACTIONS)} transactions, emulator → PostgreSQL (worker process)`,
  );
  if (!options.postgresUrl) {
    console.log('  skipped: no PostgreSQL server answers');
    return;
  }

  const database = await createBenchDatabase(options.postgresUrl, 'sync');
  try {
    await measure(database.env.DATABASE_URL, options.cpuProfileDir);
  } finally {
    await database.drop();
  }
}

async function measure(databaseUrl: string, cpuProfileDir: string | undefined): Promise<void> {
  const emulator = await buildEmulatorApp({
    clientId: CLIENT_ID,
    secret: SECRET,
    rateLimits: false,
    seed: 42,
  });
  const handle = await openDatabase({ kind: 'postgres', url: databaseUrl, poolSize: 2 });
  try {
    await emulator.listen({ host: '127.0.0.1', port: 0 });
    const emulatorUrl = `http://127.0.0.1:${(emulator.server.address() as AddressInfo).port}`;
    const control = async <T>(method: 'GET' | 'POST', route: string, body?: unknown): Promise<T> => {
      const response = await fetch(`${emulatorUrl}${route}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!response.ok) throw new Error(`${method} ${route} → ${response.status} ${await response.text()}`);
      return (await response.json()) as T;
    };

    progress('migrating a fresh database');
    await runMigrations(handle);
    const db = handle.db;
    const [user] = await db
      .insert(users)
      .values({ email: 'sync-bench@bench.example', passwordHash: 'bench-not-a-login' })
      .returning({ id: users.id });
    if (!user) throw new Error('no user');

    progress('linking an emulator item');
    const keyBase64 = randomBytes(32).toString('base64');
    const cipher = createAccessTokenCipher([{ id: keyIdOf(keyBase64), keyBase64 }], keyIdOf(keyBase64));
    const plaid = createPlaidClient({
      basePath: emulatorUrl,
      clientId: CLIENT_ID,
      secret: SECRET,
      timeoutMs: 60_000,
    });
    const { public_token } = await plaid.sandboxPublicTokenCreate({
      institution_id: 'ins_109508',
      initial_products: [Products.Transactions, Products.Investments, Products.Liabilities],
      options: {
        override_username: 'user_good',
        override_password: 'pass_good',
        transactions: { days_requested: 730 },
      },
    });
    const item = await createItemLinking({ db, plaid, cipher }).linkItem({
      userId: user.id,
      publicToken: public_token,
    });

    // Size the item's history with the emulator's bulk control: generated rows + bulk rows = TRANSACTIONS.
    const generated = await control<GroundTruth>('GET', `/__emulator/items/${item.plaidItemId}/ground-truth`);
    progress(
      `adding ${thousands(TRANSACTIONS - generated.transactions.length)} transactions to the ` +
        `${thousands(generated.transactions.length)} generated ones`,
    );
    const sized = await control<{ transactions: number }>(
      'POST',
      `/__emulator/items/${item.plaidItemId}/transactions/generate`,
      { count: TRANSACTIONS - generated.transactions.length },
    );
    if (sized.transactions !== TRANSACTIONS) {
      throw new Error(`the emulator item holds ${sized.transactions} transactions, not ${TRANSACTIONS}`);
    }

    progress('first sync in the worker process');
    const report = await runWorker(
      {
        databaseUrl,
        emulatorUrl,
        clientId: CLIENT_ID,
        secret: SECRET,
        keyBase64,
        userId: user.id,
        itemId: item.id,
      },
      cpuProfileDir,
    );

    progress('checking the transactions table against the emulator’s ground truth');
    const truth = await control<GroundTruth>('GET', `/__emulator/items/${item.plaidItemId}/ground-truth`);
    const ours = await selectRows<{ id: string }>(
      db,
      sql`select plaid_transaction_id as id from transactions
           where user_id = ${user.id} and item_id = ${item.id}
           order by plaid_transaction_id collate "C"`,
    );
    const expectedIds = truth.transactions.map((t) => t.transaction_id);
    const sameIds = ours.length === expectedIds.length && ours.every((r, i) => r.id === expectedIds[i]);

    const runs = await db
      .select()
      .from(syncRuns)
      .where(and(eq(syncRuns.userId, user.id), eq(syncRuns.itemId, item.id)));
    const txRun = runs.find((r) => r.product === 'transactions');
    if (!txRun?.startedAt || !txRun.finishedAt) throw new Error('no finished transactions sync run');
    const txSeconds = (txRun.finishedAt.getTime() - txRun.startedAt.getTime()) / 1000;
    const itemSeconds = report.syncItemMs / 1000;
    // Transactions synced: the product's own result (added + modified), held against the rows stored.
    const txResult = report.products.find((p) => p.product === 'transactions');
    const synced = (txResult?.added ?? 0) + (txResult?.modified ?? 0);
    const peakMiB = report.maxRssKiB / 1024;

    const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');
    console.log(
      `  sync status            ${report.status} (${report.products.map((p) => `${p.product} ${p.status}`).join(', ')})`,
    );
    console.log(
      `  transactions synced    ${thousands(synced)} (rows stored ${thousands(ours.length)}, ` +
        `emulator ground truth ${thousands(expectedIds.length)}: ${sameIds ? 'same ids' : 'MISMATCH'})`,
    );
    if (txRun.addedCount !== (txResult?.added ?? 0)) {
      console.log(
        `  (sync_runs.added_count of the transactions run says ${thousands(txRun.addedCount)}, ` +
          `the sync result ${thousands(txResult?.added ?? 0)})`,
      );
    }
    console.log(
      `  transactions product   ${txSeconds.toFixed(2)} s   ${thousands(synced / txSeconds).padStart(7)} tx/s` +
        `   target ≥ ${thousands(TARGET_TX_PER_SECOND)} tx/s: ${verdict(synced / txSeconds >= TARGET_TX_PER_SECOND)}`,
    );
    console.log(
      `  whole item (+analytics)${itemSeconds.toFixed(2).padStart(6)} s   ${thousands(synced / itemSeconds).padStart(7)} tx/s` +
        `   target ≥ ${thousands(TARGET_TX_PER_SECOND)} tx/s: ${verdict(synced / itemSeconds >= TARGET_TX_PER_SECOND)}`,
    );
    console.log(
      `  worker peak RSS        ${peakMiB.toFixed(0)} MiB (${((report.maxRssKiB * 1024) / 1e6).toFixed(0)} MB)` +
        `   target < ${TARGET_RSS_MB} MB: ${verdict(report.maxRssKiB * 1024 < TARGET_RSS_MB * 1e6)}` +
        `   (${(report.rssBeforeSync / MiB).toFixed(0)} MiB before the sync: code and libraries, compiled)`,
    );
    console.log(
      `  worker peak heap       ${(report.peak.heapUsed / MiB).toFixed(0)} MiB used, ` +
        `${(report.peak.external / MiB).toFixed(0)} MiB external; CPU ${(report.cpu.userMs / 1000).toFixed(1)} s user, ` +
        `${(report.cpu.systemMs / 1000).toFixed(1)} s system; its PostgreSQL backends' CPU ` +
        (report.postgresBackendCpuMs === null
          ? 'unknown'
          : `${(report.postgresBackendCpuMs / 1000).toFixed(1)} s`) +
        ` (${os.cpus().length} cores, shared with the emulator and PostgreSQL)`,
    );
    printBreakdown(report);
    if (!sameIds) throw new Error('the synced transactions differ from the emulator’s ground truth');
    if (report.status !== 'succeeded') throw new Error(`the sync ended ${report.status}`);
  } finally {
    await handle.close();
    await emulator.close();
  }
}

/** Where the worker's time went: per phase, its Plaid round trips and its database round trips. */
function printBreakdown(report: SyncWorkerReport): void {
  console.log('  where the time goes (wall ms; "other" = the worker’s own CPU: mapping, JSON, drizzle)');
  const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`.padStart(8);
  for (const [phase, ms] of Object.entries(report.phases).sort((a, b) => b[1] - a[1])) {
    if (ms < 5) continue;
    const plaid = Object.entries(report.plaid).filter(([key]) => key.startsWith(`${phase} · `));
    const db = Object.entries(report.db).filter(([key]) => key.startsWith(`${phase} · `));
    const plaidMs = plaid.reduce((s, [, v]) => s + v.ms, 0);
    const dbMs = db.reduce((s, [, v]) => s + v.ms, 0);
    const memory = report.peakByPhase[phase];
    console.log(
      `    ${phase.padEnd(24)}${seconds(ms)}   plaid ${seconds(plaidMs)}   db ${seconds(dbMs)}   other ${seconds(ms - plaidMs - dbMs)}` +
        (memory
          ? `   peak RSS ${(memory.rss / MiB).toFixed(0)} MiB, heap ${(memory.heapUsed / MiB).toFixed(0)} MiB`
          : ''),
    );
    if (ms < 250) continue; // small phases: one line is enough
    for (const [key, v] of plaid) {
      const name = key.slice(phase.length + 3);
      console.log(`      plaid ${name.padEnd(34)}${seconds(v.ms)}  ${String(v.calls).padStart(5)} calls`);
    }
    for (const [key, v] of db.sort((a, b) => b[1].ms - a[1].ms).slice(0, 6)) {
      if (v.ms < Math.max(20, ms * 0.03)) continue;
      const statement = key.slice(phase.length + 3);
      console.log(`      db ${statement.padEnd(37)}${seconds(v.ms)}  ${String(v.calls).padStart(5)} calls`);
    }
  }
}

/** Where tsconfig.bench.json compiles the worker (and the sources it imports) to plain JavaScript. */
const COMPILED_WORKER = 'node_modules/.cache/finance-api/bench/bench/sync-worker.js';

/**
 * Compiles bench/sync-worker.ts like `npm run build` compiles the service: a deployed worker runs
 * compiled JavaScript (`node dist/worker.js`, or `finance-api worker` after a build); through tsx its
 * loader alone adds about 115 MiB of RSS.
 */
function compileWorker(): Promise<void> {
  const tsc = path.join(root, 'node_modules/.bin/tsc');
  const child = spawn(tsc, ['-p', 'tsconfig.bench.json'], { cwd: root, stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`tsc exited with ${code}`))));
  });
}

/** Runs the compiled sync worker in its own Node process; its stderr is passed through, its stdout is the report. */
async function runWorker(job: SyncWorkerJob, cpuProfileDir?: string): Promise<SyncWorkerReport> {
  process.stderr.write('  … compiling the sync worker (tsc -p tsconfig.bench.json)\n');
  await compileWorker();
  const profile = cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(cpuProfileDir)] : [];
  const child = spawn(process.execPath, [...profile, COMPILED_WORKER], {
    cwd: root,
    // The worker's connections carry this name, so it can find its PostgreSQL backends' CPU time.
    env: { ...process.env, PGAPPNAME: 'fa-bench-sync-worker' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stdin.end(JSON.stringify(job));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code !== 0) return reject(new Error(`the sync worker exited with ${code ?? signal}`));
      try {
        resolve(JSON.parse(out) as SyncWorkerReport);
      } catch {
        reject(new Error(`the sync worker printed no report: ${out.slice(0, 500)}`));
      }
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runSyncBench({
    postgresUrl: process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  });
}
