import { buildApp, type App } from '../../src/app.js';
import type { Config } from '../../src/config/schema.js';
import { createLogger, type Logger } from '../../src/lib/logger.js';
import { testConfig } from './config.js';
import { openTestDatabase, type DatabaseKind, type TestDatabase } from './database.js';

export interface TestApp {
  app: App;
  config: Config;
  database: TestDatabase;
  close(): Promise<void>;
}

/** The real app on a real, migrated database of the given kind. */
export async function buildTestApp(
  kind: DatabaseKind,
  env: Record<string, string> = {},
  logger: Logger = createLogger('silent'),
): Promise<TestApp> {
  const config = testConfig(env);
  const database = await openTestDatabase(kind);
  const app = await buildApp({ config, database: database.handle, logger });
  return {
    app,
    config,
    database,
    close: async () => {
      await app.close();
      await database.drop();
    },
  };
}
