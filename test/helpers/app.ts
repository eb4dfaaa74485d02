import { buildApp, type App } from '../../src/app.js';
import { openDatabase } from '../../src/db/client.js';
import type { Config } from '../../src/config/schema.js';
import type { JobQueue } from '../../src/domain/sync/queue.js';
import { createLogger, type Logger } from '../../src/lib/logger.js';
import { createPlaidClient, type PlaidClient } from '../../src/plaid/client.js';
import { testConfig } from './config.js';
import { openTestDatabase, type DatabaseKind, type TestDatabase } from './database.js';

export interface TestApp {
  app: App;
  config: Config;
  database: TestDatabase;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  logger?: Logger;
  /** Plaid through our adapter; default: a client whose server does not answer (tests that never link). */
  plaid?: PlaidClient;
  /** Default: a queue that refuses work (tests that never enqueue). */
  jobs?: JobQueue;
  /** Use this database instead of a new one (it is not dropped on close). */
  database?: TestDatabase;
}

/** A Plaid client for apps that must never reach Plaid: port 9 (discard) refuses connections. */
export function unreachablePlaid(): PlaidClient {
  return createPlaidClient({
    basePath: 'http://127.0.0.1:9',
    clientId: 'unused',
    secret: 'unused-secret',
    timeoutMs: 1_000,
  });
}

/** A queue for apps whose tests never enqueue: any use is a test bug, so it throws. */
export const refusingJobQueue: JobQueue = {
  enqueueSync: () => Promise.reject(new Error('this test app has no job queue')),
  enqueueWebhook: () => Promise.reject(new Error('this test app has no job queue')),
};

/** The real app on a real, migrated database of the given kind. */
export async function buildTestApp(
  kind: DatabaseKind,
  env: Record<string, string> = {},
  logger: Logger = createLogger('silent'),
  options: Omit<TestAppOptions, 'env' | 'logger'> = {},
): Promise<TestApp> {
  const config = testConfig(env);
  const ownDatabase = !options.database;
  const database = options.database ?? (await openTestDatabase(kind));
  const app = await buildApp({
    config,
    database: database.handle,
    logger,
    plaid: options.plaid ?? unreachablePlaid(),
    jobs: options.jobs ?? refusingJobQueue,
  });
  return {
    app,
    config,
    database,
    close: async () => {
      await app.close();
      if (ownDatabase) await database.drop();
    },
  };
}

/**
 * Two API instances on one PostgreSQL database, as two API processes run: each with its own pool and
 * its own listeners. `b` logs to `bLogger` when given.
 */
export async function buildTwoInstances(
  env: Record<string, string>,
  bLogger?: Logger,
): Promise<{ a: TestApp; b: TestApp; close(): Promise<void> }> {
  const a = await buildTestApp('postgres', env);
  const handle = await openDatabase({ kind: 'postgres', url: a.database.url!, poolSize: 3 });
  const bDatabase: TestDatabase = { handle, url: a.database.url!, drop: () => handle.close() };
  const b = await buildTestApp('postgres', env, bLogger, { database: bDatabase });
  return {
    a,
    b,
    close: async () => {
      await b.close();
      await bDatabase.drop();
      await a.close();
    },
  };
}
