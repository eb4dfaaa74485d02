import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { sql } from 'drizzle-orm';
import { selectRows, type Database } from '../client.js';
import { backedUpTables, encryptionKeyIds, migrationLevel } from './catalog.js';
import {
  BACKUP_FORMAT,
  BACKUP_VERSION,
  type BackupEnd,
  type BackupHeader,
  type BackupProgress,
  type TableEnd,
  type TableStart,
} from './format.js';

/** Rows fetched per round trip from the dump's cursor. */
const FETCH_ROWS = 2000;

export interface BackupSummary {
  tables: number;
  rows: number;
  header: BackupHeader;
}

/**
 * Writes a backup of `db` (format.ts) gzip'd into `out`, from one read-only repeatable-read transaction
 * (a consistent snapshot while the service runs on PostgreSQL), each table read through a cursor so that
 * memory stays bounded. `out` is ended when the backup is complete.
 */
export async function writeBackup(
  db: Database,
  source: BackupHeader['source'],
  out: Writable,
  onProgress: BackupProgress = () => undefined,
  now: Date = new Date(),
): Promise<BackupSummary> {
  const gzip = createGzip();
  const piped = gzip.pipe(out);
  const finished = once(piped, 'finish');
  const write = async (line: string) => {
    if (!gzip.write(`${line}\n`)) await once(gzip, 'drain');
  };
  const summary = await db.transaction(
    async (tx) => {
      const tables = await backedUpTables(tx);
      const header: BackupHeader = {
        format: BACKUP_FORMAT,
        version: BACKUP_VERSION,
        created_at: now.toISOString(),
        source,
        migrations: await migrationLevel(tx),
        tables: tables.map((t) => t.name),
        encryption_key_ids: await encryptionKeyIds(tx),
      };
      await write(JSON.stringify(header));
      let total = 0;
      for (const table of tables) {
        await write(JSON.stringify({ $table: table.name, columns: table.columns } satisfies TableStart));
        // The name comes from the catalog, quoted as an identifier.
        await tx.execute(
          sql`declare backup_rows no scroll cursor for select row_to_json(t)::text as json from ${sql.identifier(table.name)} t`,
        );
        let rows = 0;
        for (;;) {
          const batch = await selectRows<{ json: string }>(
            tx,
            sql.raw(`fetch ${FETCH_ROWS} from backup_rows`),
          );
          for (const row of batch) await write(row.json);
          rows += batch.length;
          if (batch.length < FETCH_ROWS) break;
          onProgress({ table: table.name, rows, done: false });
        }
        await tx.execute(sql`close backup_rows`);
        await write(JSON.stringify({ $end: table.name, rows } satisfies TableEnd));
        onProgress({ table: table.name, rows, done: true });
        total += rows;
      }
      await write(
        JSON.stringify({ $end_of_backup: true, tables: tables.length, rows: total } satisfies BackupEnd),
      );
      return { tables: tables.length, rows: total, header };
    },
    source === 'postgres' ? { isolationLevel: 'repeatable read', accessMode: 'read only' } : undefined,
  );
  gzip.end();
  await finished;
  return summary;
}
