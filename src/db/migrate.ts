import path from 'node:path';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import { projectRoot } from '../lib/package-info.js';
import type { DatabaseHandle, Schema } from './client.js';

/** The committed SQL migrations (drizzle/ at the project's root). */
export const migrationsFolder = path.join(projectRoot, 'drizzle');

export async function runMigrations(handle: DatabaseHandle): Promise<void> {
  if (handle.kind === 'pglite') {
    await migratePglite(handle.db as unknown as PgliteDatabase<Schema>, { migrationsFolder });
  } else {
    await migratePg(handle.db as unknown as NodePgDatabase<Schema>, { migrationsFolder });
    await tunePostgres(handle);
  }
}

/**
 * Server-only storage settings that PGlite cannot take (so they are not migrations): raw Plaid pages are
 * large jsonb values written on every sync; lz4 compresses them several times faster than the default
 * pglz. Skipped quietly on a server built without lz4.
 */
async function tunePostgres(handle: DatabaseHandle): Promise<void> {
  try {
    await handle.pool?.query(
      `do $$ begin
         if (select attcompression from pg_attribute
              where attrelid = 'plaid_payloads'::regclass and attname = 'payload') is distinct from 'l' then
           alter table plaid_payloads alter column payload set compression lz4;
         end if;
       end $$`,
    );
  } catch {
    // no lz4 in this server: the default compression stays
  }
}
