import cluster, { type Worker } from 'node:cluster';
import type { Config } from './config/schema.js';
import { openDatabase } from './db/client.js';
import { runMigrations } from './db/migrate.js';
import type { Logger } from './lib/logger.js';
import { startEmbeddedEmulator, type EmbeddedEmulator } from './plaid/embedded-emulator.js';

/**
 * API_PROCESSES > 1 (PostgreSQL only): this primary process migrates the database once, then forks that
 * many API processes sharing the port (node:cluster hands them connections in turn). One Node thread
 * serves about a thousand small reads a second here; more processes use the other cores. Only the first
 * API process runs the in-process worker and scheduler (JOBS_IN_PROCESS); in emulator mode the
 * primary runs the one Plaid emulator they all share (its state is the fake bank). A process that dies
 * is replaced; SIGTERM/SIGINT stop them all.
 */

/** Set in each API process's environment: its index (0 runs the jobs). */
export const API_PROCESS_INDEX = 'FINANCE_API_PROCESS_INDEX';

/** What an API process tells the primary once it listens. */
export interface ApiProcessReady {
  type: 'finance-api:ready';
  url: string;
}

const MAX_RESTARTS_PER_MINUTE = 5;

export async function runApiCluster(
  config: Config,
  logger: Logger,
  banner: (url: string, emulator?: EmbeddedEmulator) => string,
): Promise<void> {
  if (config.database.kind !== 'postgres') throw new Error('API_PROCESSES > 1 needs PostgreSQL');
  const database = await openDatabase({
    kind: 'postgres',
    url: config.database.url,
    preparedStatements: config.database.preparedStatements,
  });
  try {
    await runMigrations(database);
  } finally {
    await database.close();
  }
  const emulator =
    config.plaid.mode === 'emulator' && !config.plaid.url
      ? await startEmbeddedEmulator(config.plaid, logger)
      : undefined;

  let stopping = false;
  const restarts: number[] = [];
  const ready = new Map<number, string>();
  let announced = false;

  const fork = (index: number): Worker => {
    const worker = cluster.fork({
      [API_PROCESS_INDEX]: String(index),
      ...(index > 0 ? { JOBS_IN_PROCESS: 'false' } : {}),
      ...(emulator ? { PLAID_EMULATOR_URL: emulator.url } : {}),
    });
    worker.on('message', (message: ApiProcessReady) => {
      if (message?.type !== 'finance-api:ready') return;
      ready.set(index, message.url);
      if (!announced && ready.size === config.apiProcesses) {
        announced = true;
        logger.info({ url: message.url, apiProcesses: config.apiProcesses }, 'finance-api is ready');
        process.stderr.write(`${banner(message.url, emulator)}\n`);
      }
    });
    worker.on('exit', (code, signal) => {
      ready.delete(index);
      if (stopping) return;
      const now = Date.now();
      restarts.push(now);
      while (restarts[0]! < now - 60_000) restarts.shift();
      if (restarts.length > MAX_RESTARTS_PER_MINUTE) {
        logger.fatal({ index, code, signal }, 'API processes keep dying: stopping');
        void stop(1);
        return;
      }
      logger.error({ index, code, signal }, 'an API process died: starting another');
      fork(index);
    });
    return worker;
  };

  const stop = async (exitCode: number) => {
    if (stopping) return;
    stopping = true;
    const timer = setTimeout(() => {
      logger.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown timed out');
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
      process.exit(1);
    }, config.shutdownTimeoutMs + 1_000);
    timer.unref();
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w);
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.isDead()) return resolve();
            worker.once('exit', () => resolve());
            worker.process.kill('SIGTERM');
          }),
      ),
    );
    await emulator?.close();
    logger.info('stopped');
    logger.flush?.();
    process.exit(exitCode);
  };

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.info({ signal }, 'shutting down');
      void stop(0);
    });
  }
  for (let index = 0; index < config.apiProcesses; index++) fork(index);
}

/** In an API process of a cluster: tell the primary where this one listens. */
export function reportReady(url: string): void {
  const message: ApiProcessReady = { type: 'finance-api:ready', url };
  process.send?.(message);
}

export function isApiProcessOfCluster(): boolean {
  return cluster.isWorker && process.env[API_PROCESS_INDEX] !== undefined;
}
