import pg from 'pg';
import type { TestProject } from 'vitest/node';
import 'vitest';

const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/test';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URL of the PostgreSQL server used by the integration suite, or '' when none answers. */
    postgresUrl: string;
  }
}

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Finds the PostgreSQL server for the integration suite: TEST_DATABASE_URL, or the local server's
 * `test` database when it answers. In CI a missing server is an error, not a silent skip.
 */
export default async function setup(project: TestProject): Promise<void> {
  const url = process.env.TEST_DATABASE_URL ?? DEFAULT_URL;
  const ok = await answers(url);
  if (!ok) {
    const message = `PostgreSQL at ${url.replace(/:[^:@/]*@/, ':***@')} does not answer`;
    if (process.env.CI === 'true' || process.env.TEST_DATABASE_URL) {
      throw new Error(`${message}; the PostgreSQL half of the suite cannot run.`);
    }
    process.stderr.write(`\n[test] ${message}: PostgreSQL tests are skipped (PGlite tests still run).\n\n`);
  }
  project.provide('postgresUrl', ok ? url : '');
}
