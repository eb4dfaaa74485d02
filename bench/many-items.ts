/**
 * Many-items first sync (`npm run bench -- --only items`): 100 people link 177 items holding 100,000
 * transactions at once, as deployed on PostgreSQL, and the clock runs from the first link to the last
 * figure refreshed. Then everyone triggers a sync again, and the same is measured once more.
 *
 * The deployment: a fresh PostgreSQL database, the Plaid emulator in this process (rate limits off, each
 * item sized with its bulk control), ONE API process (`JOBS_IN_PROCESS=false`: it only enqueues) and TWO
 * worker processes (`npm run cli -- worker`, `WORKER_CONCURRENCY=2`), each started as the product runs
 * them (`node --import tsx`). Their logs are captured.
 *
 * Prints figures, never an assertion about speed. After each burst the figures are checked (a wrong
 * figure throws: it is a bug, not a result): each person's cash-flow sums equal the emulator's ground
 * truth to the minor unit. Error-level log lines and people refreshed more than twice are counted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { Products } from 'plaid';
import { openDatabase, selectRows, type Database, type DatabaseHandle } from '../src/db/client.js';
import { composeServices } from '../src/domain/services.js';
import {
  buildEmulatorApp,
  EMULATOR_DEFAULT_CLIENT_ID,
  EMULATOR_DEFAULT_SECRET,
  type GroundTruth,
} from '../src/emulator/index.js';
import { createPlaidClient } from '../src/plaid/client.js';
import { cashflowTruth, ourCashflow } from '../test/helpers/ground-truth-figures.js';
import { createBenchDatabase, emulatorControl, root } from './harness.js';

const PEOPLE = 100;
/** People with two items; the others have one: 77 × 2 + 23 = 177 items. */
const TWO_ITEM_PEOPLE = 77;
const TRANSACTIONS = 100_000;
/** Sandbox institutions; a person's two items are at two of them (the same login twice is refused). */
const INSTITUTIONS = ['ins_109508', 'ins_109509', 'ins_109510', 'ins_109511'];
/** Days of generated history per item (Plaid's default); the bulk control adds the rest within them. */
const DAYS_REQUESTED = 90;
const WORKERS = 2;
const WORKER_CONCURRENCY = Number(process.env.BENCH_WORKER_CONCURRENCY ?? 2);
/**
 * The workers' WORKER_POLL_INTERVAL_SECONDS: the product's default, unless this process's environment
 * sets one (to see what the polling costs: `WORKER_POLL_INTERVAL_SECONDS=0.5 npm run bench -- --only items`).
 */
const POLL_INTERVAL_SECONDS = process.env.WORKER_POLL_INTERVAL_SECONDS;
/** Link calls in flight at once. */
const LINK_CONCURRENCY = 20;
const POLL_MS = 100;
/** A burst that has not settled by then is reported as a hang (with what is still open). */
const BURST_TIMEOUT_MS = 240_000;
const TARGET_TX_PER_SECOND = 5_000;

const benchStarted = performance.now();
const progress = (message: string) =>
  process.stderr.write(`  … [${((performance.now() - benchStarted) / 1000).toFixed(1)} s] ${message}\n`);
const thousands = (n: number) => Math.round(n).toLocaleString('en-US');
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

interface Person {
  index: number;
  userId: string;
  token: string;
  items: { id: string; plaidItemId: string }[];
}

interface PendingLink {
  person: Person;
  publicToken: string;
  plaidItemId: string;
  /** What our API answered the exchange. */
  answer?: string;
}

export async function runManyItemsBench(options: { postgresUrl?: string }): Promise<void> {
  console.log(
    `\nmany-items first sync: ${PEOPLE} people, ${PEOPLE + TWO_ITEM_PEOPLE} items, ` +
      `${thousands(TRANSACTIONS)} transactions, linked at once (PostgreSQL, 1 API process, ` +
      `${WORKERS} workers × WORKER_CONCURRENCY=${WORKER_CONCURRENCY}, ` +
      `WORKER_POLL_INTERVAL_SECONDS=${POLL_INTERVAL_SECONDS ?? 'default (2)'})`,
  );
  if (!options.postgresUrl) {
    console.log('  skipped: no PostgreSQL server answers');
    return;
  }
  const started = performance.now();
  const database = await createBenchDatabase(options.postgresUrl, 'items');
  const processes: ServiceProcess[] = [];
  let emulator: FastifyInstance | undefined;
  let handle: DatabaseHandle | undefined;
  try {
    emulator = await buildEmulatorApp({
      clientId: EMULATOR_DEFAULT_CLIENT_ID,
      secret: EMULATOR_DEFAULT_SECRET,
      rateLimits: false,
      seed: 42,
    });
    await emulator.listen({ host: '127.0.0.1', port: 0 });
    const emulatorUrl = `http://127.0.0.1:${(emulator.server.address() as AddressInfo).port}`;

    const env = {
      ...database.env,
      PLAID_EMULATOR_URL: emulatorUrl,
      LOG_LEVEL: 'info',
    };
    progress('starting the API process (JOBS_IN_PROCESS=false); it migrates the fresh database');
    const api = await startProcess(
      'api',
      ['src/server.ts'],
      { ...env, PORT: '0', JOBS_IN_PROCESS: 'false' },
      /running at (http:\/\/\S+)/,
      processes,
    );
    const apiUrl = api.match[1]!;
    progress(`starting ${WORKERS} worker processes (npm run cli -- worker)`);
    await Promise.all(
      Array.from({ length: WORKERS }, (_, i) =>
        startProcess(
          `worker ${i + 1}`,
          ['src/cli.ts', 'worker'],
          {
            ...env,
            WORKER_CONCURRENCY: String(WORKER_CONCURRENCY),
            ...(POLL_INTERVAL_SECONDS ? { WORKER_POLL_INTERVAL_SECONDS: POLL_INTERVAL_SECONDS } : {}),
          },
          /finance-api worker is running/,
          processes,
        ),
      ),
    );

    handle = await openDatabase({ kind: 'postgres', url: database.env.DATABASE_URL, poolSize: 4 });
    const db = handle.db;
    const run: BenchRun = { db, apiUrl, emulatorUrl, processes };

    progress(`creating ${PEOPLE} people with a write token each`);
    const people = await createPeople(db, database.env.JWT_SECRET_KEY);

    progress('creating the public tokens at the emulator and sizing every item with its bulk control');
    const links = await prepareLinks(emulatorUrl, people);

    // Burst 1: every item linked through our API at once; the first syncs are what is measured.
    // A refused call is counted and printed; the items checked are those the database holds.
    const first = await measureBurst(run, people, 'first sync: 177 links at once', () =>
      inPool(links, LINK_CONCURRENCY, async (link) => {
        const res = await apiCall(apiUrl, link.person.token, '/v1/plaid/item/public-token/exchange', {
          public_token: link.publicToken,
        });
        link.answer = answer(res);
        return link.answer;
      }),
    );
    const linkedAnyway = links.filter(
      (l) => l.answer !== '201' && l.person.items.some((i) => i.plaidItemId === l.plaidItemId),
    );
    const strays = people.flatMap((p) =>
      p.items.filter((i) => !links.some((l) => l.person === p && l.plaidItemId === i.plaidItemId)),
    );
    console.log(
      `    refused but linked     ${linkedAnyway.length} exchanges answered an error yet stored the item` +
        `${linkedAnyway.length ? ` (${linkedAnyway.map((l) => l.answer).join(', ')})` : ''}; ` +
        `items on the wrong person: ${strays.length}`,
    );
    await checkFigures(run, people, first);

    // Burst 2: everyone asks for a sync of all their items at once.
    const second = await measureBurst(run, people, 'again: POST /v1/sync/trigger for everyone at once', () =>
      inPool(people, people.length, async (person) =>
        answer(await apiCall(apiUrl, person.token, '/v1/sync/trigger', {})),
      ),
    );
    await checkFigures(run, people, second);
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    // BENCH_LOG_DIR: keep each process's captured output there (one file per process).
    const logDir = process.env.BENCH_LOG_DIR;
    if (logDir) {
      mkdirSync(logDir, { recursive: true });
      for (const p of processes) {
        writeFileSync(path.join(logDir, `${p.name.replace(/\s+/g, '-')}.log`), p.lines().join('\n'));
      }
    }
    await emulator?.close().catch(() => undefined);
    await handle?.close().catch(() => undefined);
    await database.drop();
    console.log(`  (bench ran ${seconds(performance.now() - started)}, set-up and checks included)`);
  }
}

interface BenchRun {
  db: Database;
  apiUrl: string;
  emulatorUrl: string;
  processes: ServiceProcess[];
}

interface Burst {
  label: string;
  /** Wall-clock ms at the first call, for the database's timestamps. */
  startedAt: number;
  /** Log lines per process when the burst started. */
  logOffsets: number[];
  refreshesBefore: Map<string, number>;
  cpuBefore: CpuSample;
}

/** Users straight through the service layer (no password: nobody logs in) and a write token each. */
async function createPeople(db: Database, jwtSecretKey: string): Promise<Person[]> {
  const services = composeServices(db, {
    jwtSecretKey,
    jwtTtlSeconds: 900,
    publicUrl: 'http://127.0.0.1',
    authTokenCacheSeconds: 0,
    freshnessCacheSeconds: 0,
  });
  const people: Person[] = [];
  for (let index = 0; index < PEOPLE; index++) {
    const user = await services.repositories.users.insert({
      email: `person-${index}@bench.example`,
      passwordHash: 'bench-not-a-login',
    });
    if (!user) throw new Error('no user');
    const { token } = await services.auth.createToken(user.id, { name: 'bench', scope: 'write' });
    people.push({ index, userId: user.id, token, items: [] });
  }
  return people;
}

/**
 * One Sandbox public token per item (the first `TWO_ITEM_PEOPLE` people get two, at two institutions),
 * each emulator item sized so that all of them hold exactly TRANSACTIONS live transactions.
 */
async function prepareLinks(emulatorUrl: string, people: Person[]): Promise<PendingLink[]> {
  const plaid = createPlaidClient({
    basePath: emulatorUrl,
    clientId: EMULATOR_DEFAULT_CLIENT_ID,
    secret: EMULATOR_DEFAULT_SECRET,
    timeoutMs: 60_000,
  });
  const tokens: { person: Person; institutionId: string; publicToken: string }[] = [];
  for (const person of people) {
    const count = person.index < TWO_ITEM_PEOPLE ? 2 : 1;
    for (let i = 0; i < count; i++) {
      const institutionId = INSTITUTIONS[(person.index + i) % INSTITUTIONS.length]!;
      const { public_token } = await plaid.sandboxPublicTokenCreate({
        institution_id: institutionId,
        initial_products: [Products.Transactions, Products.Investments, Products.Liabilities],
        options: {
          override_username: 'user_good',
          override_password: 'pass_good',
          transactions: { days_requested: DAYS_REQUESTED },
        },
      });
      tokens.push({ person, institutionId, publicToken: public_token });
    }
  }
  // The emulator creates an item with each public token, in this order (a fresh emulator).
  const state = await emulatorControl<{
    items: { item_id: string; institution_id: string; transactions: number }[];
  }>(emulatorUrl, 'GET', '/__emulator/state');
  if (state.items.length !== tokens.length) {
    throw new Error(`the emulator holds ${state.items.length} items, not ${tokens.length}`);
  }
  const links: PendingLink[] = [];
  for (const [i, token] of tokens.entries()) {
    const item = state.items[i]!;
    if (item.institution_id !== token.institutionId) throw new Error('emulator items out of order');
    // TRANSACTIONS spread evenly: the first (TRANSACTIONS mod items) items hold one more.
    const target = Math.floor(TRANSACTIONS / tokens.length) + (i < TRANSACTIONS % tokens.length ? 1 : 0);
    if (item.transactions > target) {
      throw new Error(`item ${i} already holds ${item.transactions} transactions (> ${target})`);
    }
    if (item.transactions < target) {
      const sized = await emulatorControl<{ transactions: number }>(
        emulatorUrl,
        'POST',
        `/__emulator/items/${item.item_id}/transactions/generate`,
        { count: target - item.transactions },
      );
      if (sized.transactions !== target)
        throw new Error(`item ${i} holds ${sized.transactions}, not ${target}`);
    }
    links.push({ person: token.person, publicToken: token.publicToken, plaidItemId: item.item_id });
  }
  const live = await inPool(links, 10, async (link) => {
    const truth = await emulatorControl<GroundTruth>(
      emulatorUrl,
      'GET',
      `/__emulator/items/${link.plaidItemId}/ground-truth`,
    );
    return truth.transactions.length;
  });
  const total = live.reduce((a, b) => a + b, 0);
  if (total !== TRANSACTIONS)
    throw new Error(`the emulator holds ${total} live transactions, not ${TRANSACTIONS}`);
  return links;
}

/** Runs `start`, then polls until every sync is finished and every person's read model is up to date. */
async function measureBurst(
  run: BenchRun,
  people: Person[],
  label: string,
  start: () => Promise<string[]>,
): Promise<Burst> {
  const refreshesBefore = await refreshesByUser(run.db);
  progress(label);
  const burst: Burst = {
    label,
    startedAt: Date.now(),
    logOffsets: run.processes.map((p) => p.lines().length),
    refreshesBefore,
    cpuBefore: await cpuSample(run.db, run.processes),
  };
  const t0 = performance.now();
  const sessions = sampleSessions(run.db);
  let answers: string[];
  let requestsMs: number;
  let waits: SessionSamples;
  try {
    answers = await start();
    requestsMs = performance.now() - t0;
    await settled(run, t0);
  } finally {
    waits = await sessions.stop();
  }
  const wallMs = performance.now() - t0;
  const cpu = await cpuSample(run.db, run.processes);
  await loadLinkedItems(run.db, people);
  await printBurst(run, people, burst, wallMs, requestsMs, answers);
  console.log(
    `    CPU during the burst   ${cpuSpent(burst.cpuBefore, cpu)} ` +
      `(2 cores: ${((2 * wallMs) / 1000).toFixed(1)} s available; load average ${loadAverage()})`,
  );
  const sampled = [...waits.counts].sort((a, b) => b[1] - a[1]).slice(0, 8);
  console.log(
    `    database sessions      mean per sample (${waits.samples} samples of this database's busy sessions): ` +
      sampled.map(([k, n]) => `${k} ${(n / Math.max(1, waits.samples)).toFixed(1)}`).join(', '),
  );
  return burst;
}

/** Each person's items as the database holds them (a link answered with an error may still be there). */
async function loadLinkedItems(db: Database, people: Person[]): Promise<void> {
  const rows = await selectRows<{ user_id: string; id: string; plaid_item_id: string }>(
    db,
    sql`select user_id, id, plaid_item_id from plaid_items order by created_at, id`,
  );
  for (const person of people) {
    person.items = rows
      .filter((r) => r.user_id === person.userId)
      .map((r) => ({ id: r.id, plaidItemId: r.plaid_item_id }));
  }
}

/** Polls until every sync is finished and every person's read model is up to date; a hang throws. */
async function settled(run: BenchRun, t0: number): Promise<void> {
  for (let polls = 1; ; polls++) {
    const open = await openWork(run.db);
    if (open.runs === 0 && open.jobs === 0 && open.stalePeople === 0) return;
    const exited = run.processes.find((p) => p.child.exitCode !== null);
    if (exited) throw new Error(`${exited.name} exited with ${exited.child.exitCode}`);
    if (performance.now() - t0 > BURST_TIMEOUT_MS) {
      throw new Error(
        `HANG: not settled after ${seconds(BURST_TIMEOUT_MS)}: ${open.runs} sync runs unfinished, ` +
          `${open.jobs} sync jobs pending, ${open.stalePeople} people's read models behind`,
      );
    }
    if (polls % 50 === 0) {
      progress(
        `${seconds(performance.now() - t0)}: ${open.runs} sync runs unfinished, ${open.jobs} jobs pending, ` +
          `${open.stalePeople} read models behind`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** What is still to do: unfinished ledger rows, pending sync jobs, people whose read model is behind. */
async function openWork(db: Database): Promise<{ runs: number; jobs: number; stalePeople: number }> {
  const [row] = await selectRows<{ runs: number; jobs: number; stale_people: number }>(
    db,
    sql`select
          (select count(*) from sync_runs where finished_at is null)::int as runs,
          (select count(*) from pgboss.job
            where name = 'sync-item' and state in ('created', 'retry', 'active'))::int as jobs,
          (select count(*) from (select distinct user_id from plaid_items) owners
            left join read_model_state r on r.user_id = owners.user_id
            where r.user_id is null or r.refreshed_seq < r.requested_seq)::int as stale_people`,
  );
  return { runs: row!.runs, jobs: row!.jobs, stalePeople: row!.stale_people };
}

/**
 * Samples this database's other sessions (pg_stat_activity) every POLL_MS until stopped: how many are
 * active, idle in a transaction, or waiting (and on what), to tell CPU from waiting.
 */
interface SessionSamples {
  samples: number;
  counts: Map<string, number>;
}

function sampleSessions(db: Database): { stop(): Promise<SessionSamples> } {
  const counts = new Map<string, number>();
  let samples = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const rows = await selectRows<{ what: string; n: number }>(
        db,
        sql`select coalesce(state, '?') ||
                   coalesce(' (' || wait_event_type || ':' || wait_event || ')', '') as what,
                   count(*)::int as n
            from pg_stat_activity
            where datname = current_database() and pid <> pg_backend_pid() and state <> 'idle'
            group by 1`,
      );
      samples++;
      for (const r of rows) counts.set(r.what, (counts.get(r.what) ?? 0) + r.n);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return { samples, counts };
    },
  };
}

async function refreshesByUser(db: Database): Promise<Map<string, number>> {
  const rows = await selectRows<{ user_id: string; refreshes: number }>(
    db,
    sql`select user_id, refreshes::int as refreshes from read_model_state`,
  );
  return new Map(rows.map((r) => [r.user_id, r.refreshes]));
}

async function printBurst(
  run: BenchRun,
  people: Person[],
  burst: Burst,
  wallMs: number,
  requestsMs: number,
  answers: string[],
): Promise<void> {
  const since = new Date(burst.startedAt);
  const runs = await selectRows<{ product: string; status: string; runs: number; synced: number }>(
    run.db,
    sql`select product, status, count(*)::int as runs,
               coalesce(sum(added_count + modified_count + removed_count), 0)::int as synced
        from sync_runs where queued_at >= ${since} group by product, status order by product, status`,
  );
  const [times] = await selectRows<{ last_run: number | null; last_refresh: number | null }>(
    run.db,
    sql`select (select extract(epoch from max(finished_at)) * 1000 from sync_runs
                 where queued_at >= ${since})::float8 as last_run,
               (select extract(epoch from max(last_refreshed_at)) * 1000
                  from read_model_state)::float8 as last_refresh`,
  );
  const state = await selectRows<{ user_id: string; refreshes: number; last_duration_ms: number | null }>(
    run.db,
    sql`select user_id, refreshes::int as refreshes, last_duration_ms from read_model_state`,
  );
  const timings = await selectRows<{
    product: string;
    wait_ms: number;
    wait_max_ms: number;
    run_ms: number;
    run_max_ms: number;
  }>(
    run.db,
    sql`select product,
               percentile_cont(0.5) within group (order by extract(epoch from started_at - queued_at) * 1000) as wait_ms,
               max(extract(epoch from started_at - queued_at) * 1000)::float8 as wait_max_ms,
               percentile_cont(0.5) within group (order by extract(epoch from finished_at - started_at) * 1000) as run_ms,
               max(extract(epoch from finished_at - started_at) * 1000)::float8 as run_max_ms
        from sync_runs where queued_at >= ${since} and started_at is not null
        group by product order by product`,
  );
  const items = people.reduce((n, p) => n + p.items.length, 0);
  const transactionRuns = runs.filter((r) => r.product === 'transactions');
  const synced = transactionRuns.reduce((n, r) => n + r.synced, 0);
  const perPerson = people.map((p) => {
    const row = state.find((s) => s.user_id === p.userId);
    return (row?.refreshes ?? 0) - (burst.refreshesBefore.get(p.userId) ?? 0);
  });
  const refreshedNow = state.filter(
    (s) => s.refreshes > (burst.refreshesBefore.get(s.user_id) ?? 0) && s.last_duration_ms !== null,
  );
  const durations = refreshedNow.map((s) => s.last_duration_ms!).sort((a, b) => a - b);
  const totalRefreshes = perPerson.reduce((a, b) => a + b, 0);
  const since0 = (at: number | null | undefined) => (at ? seconds(at - burst.startedAt) : '—');

  console.log(`\n  ${burst.label}`);
  console.log(`    items                  ${items}`);
  console.log(
    `    transactions           ${thousands(synced)} synced (added + modified + removed by the transactions runs)`,
  );
  console.log(`    people                 ${people.length}`);
  console.log(
    `    wall time              ${seconds(wallMs)} (requests answered after ${seconds(requestsMs)})`,
  );
  const byAnswer = new Map<string, number>();
  for (const a of answers) byAnswer.set(a, (byAnswer.get(a) ?? 0) + 1);
  console.log(`    answers                ${[...byAnswer].map(([a, n]) => `${n} × ${a}`).join(', ')}`);
  console.log(
    `    end to end             ${thousands(synced / (wallMs / 1000))} tx/s, ` +
      `${(items / (wallMs / 1000)).toFixed(2)} item syncs/s ` +
      `(target ≥ ${thousands(TARGET_TX_PER_SECOND)} tx/s; the old code ~560 tx/s)`,
  );
  console.log(
    `    sync runs              ${runs.map((r) => `${r.product} ${r.status} ${r.runs}`).join(', ')}`,
  );
  console.log(
    `    refreshes per person   max ${Math.max(...perPerson)}, mean ${(totalRefreshes / people.length).toFixed(2)}, ` +
      `total ${totalRefreshes}; people with more than 2: ${perPerson.filter((n) => n > 2).length}`,
  );
  console.log(
    `    refresh duration       median ${median(durations)} ms, max ${durations.at(-1) ?? '—'} ms ` +
      `(each person's last refresh, ${durations.length} people)`,
  );
  console.log(
    `    last sync run finished ${since0(times?.last_run)} after the first call; last refresh ${since0(times?.last_refresh)}`,
  );
  for (const t of timings) {
    console.log(
      `    ${t.product.padEnd(23)}queued → started median ${seconds(t.wait_ms)} (max ${seconds(t.wait_max_ms)}), ` +
        `started → finished median ${seconds(t.run_ms)} (max ${seconds(t.run_max_ms)})`,
    );
  }
  const rss = run.processes.map((p) => `${p.name} ${p.peakRssMiB() ?? '?'} MiB`).join(', ');
  console.log(`    peak RSS (VmHWM)       ${rss}`);
  const outcomes = analyticsOutcomes(run, burst);
  if (outcomes) console.log(`    analytics (job logs)   ${outcomes}`);
}

/** The `analytics` outcome of each synced item in the workers' logs, when they log it. */
function analyticsOutcomes(run: BenchRun, burst: Burst): string | undefined {
  const counts = new Map<string, number>();
  for (const [i, p] of run.processes.entries()) {
    for (const line of p.lines().slice(burst.logOffsets[i])) {
      const entry = parseLine(line);
      if (entry && typeof entry.analytics === 'string') {
        counts.set(entry.analytics, (counts.get(entry.analytics) ?? 0) + 1);
      }
    }
  }
  if (counts.size === 0) return undefined;
  return [...counts].map(([k, n]) => `${k} ${n}`).join(', ');
}

/** The 1-minute load average: other work on this machine's cores shows here. */
function loadAverage(): string {
  return os.loadavg()[0]!.toFixed(1);
}

function median(sorted: number[]): string {
  if (sorted.length === 0) return '—';
  const mid = Math.floor(sorted.length / 2);
  return String(sorted.length % 2 ? sorted[mid]! : Math.round((sorted[mid - 1]! + sorted[mid]!) / 2));
}

/**
 * Per person, per currency: Σ(−amount) in minor units and the count of every live transaction of the
 * emulator's ground truth must equal the cash-flow sums (daily and monthly). Throws on a difference.
 */
async function checkFigures(run: BenchRun, people: Person[], burst: Burst): Promise<void> {
  const wrong: string[] = [];
  await inPool(people, 10, async (person) => {
    const truths = await Promise.all(
      person.items.map((item) =>
        emulatorControl<GroundTruth>(
          run.emulatorUrl,
          'GET',
          `/__emulator/items/${item.plaidItemId}/ground-truth`,
        ),
      ),
    );
    const expected = describeSums(cashflowTruth(truths));
    for (const table of ['cashflow_daily', 'cashflow_monthly'] as const) {
      const ours = describeSums(await ourCashflow(run.db, person.userId, table));
      if (ours !== expected) wrong.push(`person ${person.index} ${table}: ${ours} ≠ truth ${expected}`);
    }
  });
  const errors = errorLines(run, burst);
  console.log(
    `    figures                ${wrong.length === 0 ? `cash flow of all ${people.length} people equals the ground truth` : `${wrong.length} WRONG`}`,
  );
  console.log(`    error lines in logs    ${errors.total}`);
  for (const [message, n] of errors.distinct) console.log(`      ${n} × ${message}`);
  if (wrong.length > 0) {
    throw new Error(`cash flow differs from the ground truth:\n${wrong.slice(0, 10).join('\n')}`);
  }
}

/** Currency → minor units and count, in a stable text form that compares exactly. */
function describeSums(sums: Map<string, { total: bigint; count: number }>): string {
  return [...sums]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([currency, s]) => `${currency} ${s.total} ×${s.count}`)
    .join(', ');
}

/** pino lines at level ≥ 50 (error, fatal) since the burst started, by process and message. */
function errorLines(run: BenchRun, burst: Burst): { total: number; distinct: Map<string, number> } {
  const distinct = new Map<string, number>();
  let total = 0;
  for (const [i, p] of run.processes.entries()) {
    for (const line of p.lines().slice(burst.logOffsets[i])) {
      const entry = parseLine(line);
      if (!entry || typeof entry.level !== 'number' || entry.level < 50) continue;
      total++;
      const err = entry.err as { type?: string; code?: string } | undefined;
      const key = `${p.name}: ${String(entry.msg)}${err ? ` (${[err.type, err.code].filter(Boolean).join(' ')})` : ''}`;
      distinct.set(key, (distinct.get(key) ?? 0) + 1);
    }
  }
  return { total, distinct };
}

function parseLine(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

async function apiCall<T>(
  apiUrl: string,
  token: string,
  route: string,
  body: unknown,
): Promise<{ status: number; body: T; text: string }> {
  const res = await fetch(`${apiUrl}${route}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text, body: (text ? JSON.parse(text) : null) as T };
}

/** `201`, `202`, or `500 INTERNAL_ERROR`: the status and the problem code. */
function answer(res: { status: number; text: string }): string {
  if (res.status < 300) return String(res.status);
  const code = (/"code":"([A-Z_]+)"/.exec(res.text) ?? [])[1];
  return `${res.status}${code ? ` ${code}` : ''}`;
}

/** Maps `work` over `inputs` with at most `limit` calls in flight; results in input order. */
async function inPool<I, O>(inputs: I[], limit: number, work: (input: I) => Promise<O>): Promise<O[]> {
  const results: O[] = new Array<O>(inputs.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, inputs.length) }, async () => {
    while (next < inputs.length) {
      const i = next++;
      results[i] = await work(inputs[i]!);
    }
  });
  await Promise.all(lanes);
  return results;
}

interface CpuSample {
  /** ms of CPU (user + system) by process name. */
  processes: Record<string, number>;
  /** ms of CPU by PostgreSQL backend pid, of this database's sessions. */
  backends: Map<number, number>;
}

function cpuTicksMs(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // USER_HZ = 100
  } catch {
    return 0;
  }
}

/**
 * CPU time of each service process, of this process (the emulator and the polling), and of this
 * database's PostgreSQL backends (by pid, from pg_stat_activity), from /proc (Linux, a local server).
 */
async function cpuSample(db: Database, processes: ServiceProcess[]): Promise<CpuSample> {
  const own = process.cpuUsage();
  const sample: CpuSample = {
    processes: { 'bench+emulator': (own.user + own.system) / 1000 },
    backends: new Map(),
  };
  for (const p of processes) sample.processes[p.name] = cpuTicksMs(p.child.pid);
  const rows = await selectRows<{ pid: number }>(
    db,
    sql`select pid from pg_stat_activity where datname = current_database()`,
  );
  for (const { pid } of rows) sample.backends.set(pid, cpuTicksMs(pid));
  return sample;
}

/** CPU seconds spent between two samples, by process; a backend that ended meanwhile is not counted. */
function cpuSpent(before: CpuSample, after: CpuSample): string {
  const parts = Object.keys(after.processes).map(
    (k) => `${k} ${((after.processes[k]! - (before.processes[k] ?? 0)) / 1000).toFixed(1)} s`,
  );
  let backends = 0;
  for (const [pid, ms] of after.backends) backends += ms - (before.backends.get(pid) ?? 0);
  return [...parts, `postgres (this database) ${(backends / 1000).toFixed(1)} s`].join(', ');
}

interface ServiceProcess {
  name: string;
  child: ChildProcess;
  /** Output lines so far (stdout: pino JSON; stderr: banners). */
  lines(): string[];
  /** Peak resident set (VmHWM from /proc), MiB; undefined when unreadable. */
  peakRssMiB(): number | undefined;
  stop(): Promise<void>;
}

/**
 * `node --import tsx <args>` as `npm start` and `npm run cli -- worker` run the service (the process is
 * the service itself), with only the given environment on top of this one's minus the service's own
 * variables; resolves once its output matches `ready`.
 */
async function startProcess(
  name: string,
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
  started: ServiceProcess[],
): Promise<ServiceProcess & { match: RegExpExecArray }> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !/^(DATABASE_URL|PORT|DATA_DIR|PLAID_.*|JOBS_IN_PROCESS|WORKER_.*|LOG_LEVEL)$/.test(key),
    ),
  );
  // BENCH_SERVICE_NODE_ARGS: extra node flags for the API and workers (e.g. `--cpu-prof --cpu-prof-dir=DIR`).
  const nodeArgs = process.env.BENCH_SERVICE_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', ...args], {
    cwd: root,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let text = ''; // the raw output until it is ready
  let isReady = false;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(killer);
  };
  const service: ServiceProcess = {
    name,
    child,
    lines: () => lines,
    peakRssMiB: () => {
      try {
        const kib = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1];
        return kib ? Math.round(Number(kib) / 1024) : undefined;
      } catch {
        return undefined;
      }
    },
    stop,
  };
  started.push(service);
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start:\n${text}`)), 60_000);
    // Whole lines per stream; a partial last line waits for the rest of it.
    const reader = () => {
      let partial = '';
      return (chunk: Buffer) => {
        const parts = (partial + chunk.toString()).split('\n');
        partial = parts.pop() ?? '';
        lines.push(...parts);
        if (isReady) return;
        text += chunk.toString();
        const found = ready.exec(text);
        if (found) {
          isReady = true;
          clearTimeout(timer);
          resolve(found);
        }
      };
    };
    child.stdout!.on('data', reader());
    child.stderr!.on('data', reader());
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${child.exitCode}:\n${text}`));
    });
  });
  return Object.assign(service, { match });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runManyItemsBench({
    postgresUrl: process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  });
}
