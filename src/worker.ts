/**
 * The `worker` entrypoint: runs the job handlers (sync, webhooks, scheduled refresh, retention) against a PostgreSQL
 * server, beside any number of API processes and other workers. Embedded mode needs none: `npm start`
 * runs the worker in the API process (only one process may open the PGlite directory).
 */

import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig } from './config/load.js';
import { ConfigError, type Config } from './config/schema.js';
import { openDatabase } from './db/client.js';
import { runMigrations } from './db/migrate.js';
import { createReloadingAccessTokenCipher } from './domain/items/keyring.js';
import { composeServices } from './domain/services.js';
import { startJobQueue } from './jobs/queue.js';
import { startWorker } from './jobs/worker.js';
import { createLogger, type Logger } from './lib/logger.js';
import { serveWorkerMetrics } from './metrics/http.js';
import { queueCountsOf } from './metrics/instrument.js';
import { createMetrics } from './metrics/metrics.js';
import { connectPlaid } from './plaid/connect.js';

export interface RunningWorker {
  owner: string;
  /** Where this worker serves its /metrics (WORKER_METRICS_PORT), when it does. */
  metricsUrl?: string;
  close(): Promise<void>;
}

export async function runWorker(config: Config, logger: Logger): Promise<RunningWorker> {
  if (config.database.kind !== 'postgres') {
    throw new ConfigError([
      {
        variable: 'DATABASE_URL',
        message:
          'a separate worker needs a PostgreSQL server; with the embedded database `npm start` runs the worker itself',
      },
    ]);
  }
  const database = await openDatabase({
    kind: 'postgres',
    url: config.database.url,
    preparedStatements: config.database.preparedStatements,
  });
  try {
    await runMigrations(database);
    const plaid = connectPlaid(config, logger);
    await plaid.start();
    const queue = await startJobQueue({
      database,
      jobs: config.jobs,
      logger: logger.child({ component: 'jobs' }),
      supervise: true,
    });
    const metrics = createMetrics({ role: 'worker', queueCounts: queueCountsOf(database.db) });
    const services = composeServices(database.db, config, {
      metrics: metrics.recorder,
      plaid: plaid.client,
      jobs: queue,
      cipher: createReloadingAccessTokenCipher({
        dataDir: config.dataDir,
        configKeyBase64: config.encryptionKeyBase64,
        logger,
      }),
      logger,
    });
    const { owner } = await startWorker({
      db: database.db,
      repositories: services.repositories,
      queue,
      sync: services.sync,
      processWebhook: (id) => services.webhooks.process(id),
      jobs: config.jobs,
      logger,
    });
    const metricsServer =
      config.metrics.workerPort !== undefined && config.metrics.token
        ? await serveWorkerMetrics(metrics, {
            host: config.host,
            port: config.metrics.workerPort,
            token: config.metrics.token,
          })
        : undefined;
    logger.info(
      { owner, plaid: plaid.describe(), metrics: metricsServer ? `${metricsServer.url}/metrics` : 'off' },
      'finance-api worker is ready',
    );
    let closing: Promise<void> | undefined;
    return {
      owner,
      ...(metricsServer ? { metricsUrl: `${metricsServer.url}/metrics` } : {}),
      close: () => {
        closing ??= (async () => {
          await metricsServer?.close();
          await queue.stop();
          await plaid.close();
          await database.close();
        })();
        return closing;
      },
    };
  } catch (error) {
    await database.close().catch(() => undefined);
    throw error;
  }
}

/** The `worker` command: config, logger, worker, signals (SIGTERM lets running jobs finish). */
export async function main(env: Record<string, string | undefined> = process.env): Promise<void> {
  let config: Config;
  try {
    config = (await loadConfig(env)).config;
  } catch (error) {
    process.stderr.write(`${error instanceof ConfigError ? error.message : String(error)}\n`);
    process.exit(2);
  }
  const logger = createLogger(config.logLevel);
  let worker: RunningWorker;
  try {
    worker = await runWorker(config, logger);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    logger.fatal({ err: error }, 'worker failed to start');
    process.exit(1);
  }
  process.stderr.write(
    `\n  finance-api worker is running (${worker.owner}); jobs: sync, webhooks, scheduled refresh (${config.jobs.refreshCron} UTC), ${config.jobs.retention ? `retention (${config.jobs.retention.cron} UTC)` : 'no retention'}\n\n`,
  );
  const stop = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'worker stopping (running jobs finish first)');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs: config.shutdownTimeoutMs }, 'worker shutdown timed out');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    worker.close().then(
      () => {
        logger.info('worker stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'worker shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  void main();
}
