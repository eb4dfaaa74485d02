import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql, type SQL } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import pg from 'pg';
import { prepareRepeatedReads } from './prepared-reads.js';
import { acquireDataDirLock, type DataDirLock } from './data-dir-lock.js';
import {
  listenInProcess,
  listenOnServer,
  type ChannelSubscription,
  type NotificationListener,
} from './notifications.js';
import { copyTemplateIntoFreshDirectory } from './pglite-template.js';
import * as schema from './schema/index.js';

export type Schema = typeof schema;
/** The one database type the repositories see, whichever driver is behind it. */
export type Database = PgDatabase<PgQueryResultHKT, Schema>;

export type DatabaseTarget =
  | { kind: 'pglite'; dataDir?: string } // no dataDir: in memory (tests)
  | {
      kind: 'postgres';
      url: string;
      poolSize?: number;
      /** Repeated reads as named prepared statements (src/db/prepared-reads.ts); default true. */
      preparedStatements?: boolean;
    };

export interface DatabaseHandle {
  db: Database;
  kind: DatabaseTarget['kind'];
  /** The PGlite instance in embedded mode (the job queue shares it later). */
  pglite?: PGlite;
  /** The node-postgres pool in server mode. */
  pool?: pg.Pool;
  ping(): Promise<void>;
  /** The change feed: one dedicated, reconnecting connection LISTENing on every channel given on a server; in-process on PGlite. */
  listen(subscriptions: readonly ChannelSubscription[]): Promise<NotificationListener>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Recorded in the lock file so the CLI can reach the running service (embedded mode). */
  controlSocket?: string;
}

export async function openDatabase(
  target: DatabaseTarget,
  options: OpenOptions = {},
): Promise<DatabaseHandle> {
  if (target.kind === 'postgres') {
    const pool = new pg.Pool({
      connectionString: target.url,
      max: target.poolSize ?? 10,
      // A burst (a hundred people pressing "sync" at once) waits for a connection rather than failing
      // after 5 s; past 30 s the request is answered 503 with Retry-After (src/http/plugins/errors.ts).
      connectionTimeoutMillis: 30_000,
    });
    // A dropped idle connection must not crash the process.
    pool.on('error', () => undefined);
    if (target.preparedStatements !== false) prepareRepeatedReads(pool);
    const db = drizzlePg(pool, { schema }) as unknown as Database;
    return {
      db,
      kind: 'postgres',
      pool,
      ping: async () => {
        await pool.query('select 1');
      },
      listen: (subscriptions) => listenOnServer(target.url, subscriptions),
      close: async () => {
        await pool.end();
      },
    };
  }

  let lock: DataDirLock | undefined;
  let pglite: PGlite;
  if (target.dataDir) {
    lock = await acquireDataDirLock(target.dataDir, { controlSocket: options.controlSocket });
    const dir = path.join(path.resolve(target.dataDir), 'pglite');
    try {
      await mkdir(dir, { recursive: true });
      await copyTemplateIntoFreshDirectory(dir);
      pglite = await PGlite.create(dir);
    } catch (error) {
      await lock.release();
      throw error;
    }
  } else {
    pglite = await PGlite.create();
  }
  const db = drizzlePglite(pglite, { schema }) as unknown as Database;
  return {
    db,
    kind: 'pglite',
    pglite,
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    listen: (subscriptions) => listenInProcess(pglite, subscriptions),
    close: async () => {
      try {
        await pglite.close();
      } finally {
        await lock?.release();
      }
    },
  };
}

/**
 * Runs a statement prepared with `.prepare(name)` and returns the driver's rows as they come (keyed by
 * the columns' SQL names; numerics, dates and timestamps as text), without the ORM's per-field mapping:
 * for hot paths returning many rows. Both drivers' prepared queries have `all`; drizzle does not type it.
 */
export function preparedRows<T>(
  query: { execute(values?: Record<string, unknown>): Promise<unknown> },
  values: Record<string, unknown>,
): Promise<T[]> {
  return (query as unknown as { all(values: Record<string, unknown>): Promise<T[]> }).all(values);
}

/** Runs raw SQL and returns its rows (node-postgres and PGlite both answer `{ rows }`). */
export async function selectRows<T>(db: Database, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}

/** The driver connection behind a drizzle database or transaction, as pg-boss's `db` option takes it. */
export interface SqlExecutor {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/**
 * Runs raw SQL on the connection of `db`, which may be a transaction (then the statements are part of
 * it): a job sent with pg-boss through this is enqueued atomically with the caller's changes. Both
 * drivers' sessions keep their connection as `session.client` (a node-postgres pool or pool client, a
 * PGlite instance or transaction), each with `query(text, values)`.
 */
export function sqlExecutor(db: Database): SqlExecutor {
  const client = (db as unknown as { session?: { client?: unknown } }).session?.client as
    { query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }> } | undefined;
  if (!client || typeof client.query !== 'function') {
    throw new Error('this database handle exposes no driver connection');
  }
  return { executeSql: (text, values) => client.query(text, values ?? []) };
}

/**
 * True when `db` is the embedded PGlite database: ONE connection for the whole process, so a long
 * database transaction there makes every other query (another person's read) wait for its end.
 */
export function isEmbeddedDatabase(db: Database): boolean {
  return (db as unknown as { session?: { client?: unknown } }).session?.client instanceof PGlite;
}
