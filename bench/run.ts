import { parseArgs } from 'node:util';
import pg from 'pg';
import { runApiMeBench } from './api-me.js';
import { runApiReadBench } from './api-read.js';
import { runDashboardBench } from './dashboard.js';
import { runEditsBench } from './edits.js';
import { runEmbeddedReadBench } from './embedded-read.js';
import { runEmulatorBench } from './emulator.js';
import { runExportBench } from './export.js';
import { runManyItemsBench } from './many-items.js';
import { runFuzzBench } from './fuzz.js';
import { runStartupBench } from './startup.js';
import { runSyncBench } from './sync.js';

/**
 * `npm run bench`: prints figures, asserts nothing about speed. Options:
 *   --only <name>      run one benchmark (startup, me, emulator, read, sync, items, fuzz, dashboard, edits, export, embedded)
 *   --duration <s>     seconds per load test (default 10)
 *   --cpu-prof <dir>   write a V8 CPU profile of the sync worker into <dir> (sync only)
 * BENCH_POSTGRES_URL (default the local server's `test` database) adds PostgreSQL runs.
 */
const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    duration: { type: 'string', default: '10' },
    'cpu-prof': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  console.log(
    'usage: npm run bench -- [--only startup|me|emulator|read|sync|items|fuzz|dashboard|edits|export|embedded] [--duration SECONDS] [--cpu-prof DIR]',
  );
  process.exit(0);
}

async function postgresUrl(): Promise<string | undefined> {
  const url = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return url;
  } catch {
    console.log(`(PostgreSQL at ${url} does not answer: PostgreSQL runs skipped)`);
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const durationSeconds = Number(values.duration);
if (!Number.isFinite(durationSeconds) || durationSeconds <= 0) {
  console.error('--duration must be a positive number of seconds');
  process.exit(2);
}

const benches: Record<string, () => Promise<void>> = {
  startup: () => runStartupBench(),
  me: async () => runApiMeBench({ durationSeconds, postgresUrl: await postgresUrl() }),
  emulator: () => runEmulatorBench(),
  read: async () => runApiReadBench({ durationSeconds, postgresUrl: await postgresUrl() }),
  sync: async () =>
    runSyncBench({
      postgresUrl: await postgresUrl(),
      ...(values['cpu-prof'] ? { cpuProfileDir: values['cpu-prof'] } : {}),
    }),
  items: async () => runManyItemsBench({ postgresUrl: await postgresUrl() }),
  fuzz: async () => runFuzzBench({ postgresUrl: await postgresUrl() }),
  dashboard: async () => runDashboardBench({ postgresUrl: await postgresUrl() }),
  edits: async () => runEditsBench({ durationSeconds, postgresUrl: await postgresUrl() }),
  export: async () => runExportBench({ postgresUrl: await postgresUrl() }),
  embedded: () => runEmbeddedReadBench(),
};

const selected = values.only ? [values.only] : Object.keys(benches);
for (const name of selected) {
  const bench = benches[name];
  if (!bench) {
    console.error(`unknown benchmark ${name}; choose from ${Object.keys(benches).join(', ')}`);
    process.exit(2);
  }
  await bench();
}
console.log('\ndone');
