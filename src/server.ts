import cluster from 'node:cluster';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isApiProcessOfCluster, reportReady, runApiCluster } from './api-cluster.js';
import type { App } from './app.js';
import { loadConfig } from './config/load.js';
import { ConfigError, type Config } from './config/schema.js';
import { openDatabase, type DatabaseHandle } from './db/client.js';
import { DataDirLockedError } from './db/data-dir-lock.js';
import { runMigrations } from './db/migrate.js';
import { createLogger, type Logger } from './lib/logger.js';
import type { JobQueueHandle } from './jobs/queue.js';
import type { PlaidConnection } from './plaid/connect.js';
import type { EmbeddedEmulator } from './plaid/embedded-emulator.js';

/**
 * The modules of the app, the queue, the worker and Plaid, loaded while the embedded database opens:
 * PGlite spends most of its opening compiling WebAssembly off the main thread, and loading these modules
 * (the plaid package alone takes over half a second) is main-thread work, so the two overlap.
 */
function loadServiceModules() {
  return Promise.all([
    import('./app.js'),
    import('./jobs/queue.js'),
    import('./jobs/worker.js'),
    import('./plaid/connect.js'),
    import('./control/server.js'),
  ]).then(([app, queue, worker, plaid, control]) => ({
    buildApp: app.buildApp,
    startJobQueue: queue.startJobQueue,
    startWorker: worker.startWorker,
    connectPlaid: plaid.connectPlaid,
    startControlServer: control.startControlServer,
  }));
}

/** Unix socket paths are limited to about 107 bytes. */
const MAX_SOCKET_PATH = 100;

export interface RunningServer {
  app: App;
  url: string;
  /** The in-process Plaid emulator, when no Plaid keys are configured. */
  plaidEmulator?: EmbeddedEmulator;
  config: Config;
  close(): Promise<void>;
}

/** Owns the process-level parts: database, migrations, control socket, listening, shutdown. */
export async function startServer(
  config: Config,
  logger: Logger,
  notices: string[] = [],
): Promise<RunningServer> {
  const startedAt = performance.now();
  for (const notice of notices) logger.warn(notice);

  const controlSocket =
    config.database.kind === 'pglite' ? path.resolve(config.dataDir, 'control.sock') : undefined;
  const usableSocket = controlSocket && controlSocket.length <= MAX_SOCKET_PATH ? controlSocket : undefined;
  if (controlSocket && !usableSocket) {
    logger.warn(
      { controlSocket },
      'DATA_DIR path too long for a control socket; the CLI cannot reach this service',
    );
  }

  let plaid: PlaidConnection | undefined;
  let database: DatabaseHandle | undefined;
  let queue: JobQueueHandle | undefined;
  let app: App | undefined;
  let control: { close(): Promise<unknown> } | undefined;
  const loadingModules = loadServiceModules();
  // Settled even when the database fails first (no unhandled rejection); awaited below.
  loadingModules.catch(() => undefined);
  try {
    const db = await openDatabase(
      config.database.kind === 'pglite'
        ? { kind: 'pglite', dataDir: config.database.dataDir }
        : { kind: 'postgres', url: config.database.url },
      { controlSocket: usableSocket },
    );
    database = db;
    const { buildApp, startJobQueue, startWorker, connectPlaid, startControlServer } = await loadingModules;
    const plaidConnection = connectPlaid(config, logger);
    plaid = plaidConnection;
    await runMigrations(db);
    queue = await startJobQueue({
      database: db,
      jobs: config.jobs,
      logger: logger.child({ component: 'jobs' }),
      supervise: config.jobs.inProcess,
    });
    app = await buildApp({ config, database: db, logger, plaid: plaidConnection.client, jobs: queue });
    if (config.jobs.inProcess) {
      const services = app.services;
      await startWorker({
        db: db.db,
        repositories: services.repositories,
        queue,
        sync: services.sync,
        processWebhook: (id) => services.webhooks.process(id),
        jobs: config.jobs,
        logger,
      });
    }
    if (usableSocket) control = await startControlServer(usableSocket, app.services, logger);
    if (db.kind === 'pglite') {
      // A refresh a stop cut short is redone (src/domain/analytics/materializers.ts): queued before the
      // service listens, so that its owner's requests wait for it; carried out in the background.
      const reopened = await app.services.materializers.refreshOpenRequests();
      void reopened.done.then(
        (people) => {
          if (people > 0) logger.info({ people }, 'read models a stop left unfinished were refreshed');
        },
        (error: unknown) => logger.error({ err: error }, 'refreshing unfinished read models failed'),
      );
    }
    await app.listen({ host: config.host, port: config.port });
    // After listening, so that the API is ready while the emulator loads (Plaid calls wait for it).
    await plaidConnection.start();
  } catch (error) {
    await control?.close().catch(() => undefined);
    await app?.close().catch(() => undefined);
    await queue?.stop().catch(() => undefined);
    await plaid?.close().catch(() => undefined);
    await database?.close().catch(() => undefined);
    throw error;
  }
  const plaidEmulator = plaid?.emulator;
  const openedDatabase = database!;
  const runningQueue = queue;

  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const hostForUrl = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = `http://${hostForUrl.includes(':') ? `[${hostForUrl}]` : hostForUrl}:${port}`;
  logger.info(
    {
      url,
      docs: `${url}/docs`,
      database:
        config.database.kind === 'pglite' ? `embedded PGlite in ${path.resolve(config.dataDir)}` : 'postgres',
      plaid: plaid?.describe(),
      jobs: config.jobs.inProcess ? 'worker and scheduler in this process' : 'enqueue only',
      startupMs: Math.round(performance.now() - startedAt),
    },
    'finance-api is ready',
  );

  const runningApp = app;
  let closing: Promise<void> | undefined;
  return {
    app: runningApp,
    url,
    config,
    plaidEmulator,
    close: () => {
      closing ??= (async () => {
        await runningApp.close(); // stops accepting, lets in-flight requests finish
        await runningQueue.stop(); // lets running jobs finish
        await plaid?.close();
        await control?.close();
        await openedDatabase.close();
      })();
      return closing;
    },
  };
}

export function startupBanner(url: string, config: Config, plaidEmulator?: EmbeddedEmulator): string {
  const cli = 'npm run cli --';
  return [
    '',
    `  Finance Aggregation API is running at ${url}`,
    `  API docs:      ${url}/docs   (OpenAPI: ${url}/openapi.json)`,
    `  Database:      ${config.database.kind === 'pglite' ? `embedded (${path.resolve(config.dataDir)})` : 'PostgreSQL server'}`,
    `  Plaid:         ${config.plaid.mode === 'emulator' ? `offline emulator at ${plaidEmulator?.url ?? config.plaid.url ?? '?'} (set PLAID_CLIENT_ID and PLAID_SECRET for real Plaid)` : `Plaid ${config.plaid.env}`}`,
    ...(config.apiProcesses > 1
      ? [`  Processes:     ${config.apiProcesses} API processes on this port`]
      : []),
    `  Jobs:          ${config.jobs.inProcess ? `worker and scheduler in ${config.apiProcesses > 1 ? 'the first API process' : 'this process'} (refresh: ${config.jobs.refreshCron} UTC)` : 'enqueued here, run by `finance-api worker` processes'}`,
    '',
    '  Create a user and a personal access token (in another terminal):',
    `    ${cli} users create --email you@example.com`,
    `    ${cli} tokens create --email you@example.com --name my-script`,
    `    curl -H "Authorization: Bearer <token>" ${url}/v1/me`,
    '',
  ].join('\n');
}

/** Stop on SIGTERM/SIGINT: finish in-flight requests, close the database, exit 0 (1 on timeout). */
export function closeOnSignals(server: RunningServer, logger: Logger): void {
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs: server.config.shutdownTimeoutMs }, 'shutdown timed out');
      process.exit(1);
    }, server.config.shutdownTimeoutMs);
    timer.unref();
    server.close().then(
      () => {
        logger.info('stopped');
        logger.flush?.();
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}

/** The `serve` entrypoint: config, logger, server, banner, signals; clear messages on boot failures. */
export async function main(env: Record<string, string | undefined> = process.env): Promise<void> {
  let loaded;
  try {
    loaded = await loadConfig(env);
  } catch (error) {
    process.stderr.write(`${error instanceof ConfigError ? error.message : String(error)}\n`);
    process.exit(2);
  }
  const logger = createLogger(loaded.config.logLevel);
  const config = loaded.config;
  try {
    if (config.apiProcesses > 1 && cluster.isPrimary) {
      for (const notice of loaded.notices) logger.warn(notice);
      await runApiCluster(config, logger, (url, emulator) => startupBanner(url, config, emulator));
      return;
    }
    const server = await startServer(config, logger, isApiProcessOfCluster() ? [] : loaded.notices);
    closeOnSignals(server, logger);
    if (isApiProcessOfCluster()) reportReady(server.url);
    else process.stderr.write(startupBanner(server.url, config, server.plaidEmulator) + '\n');
  } catch (error) {
    if (error instanceof DataDirLockedError) {
      logger.fatal({ dataDir: error.dataDir, pid: error.owner.pid }, 'data directory is in use');
      process.stderr.write(`\nError: ${error.message}\n`);
      process.exit(1);
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES') {
      process.stderr.write(
        `\nError: cannot listen on ${loaded.config.host}:${loaded.config.port} (${code}); set PORT or HOST.\n`,
      );
      process.exit(1);
    }
    logger.fatal({ err: error }, 'failed to start');
    process.exit(1);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  void main();
}
