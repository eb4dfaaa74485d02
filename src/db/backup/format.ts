/**
 * The backup file (docs/operations.md#backup-and-restore): gzip'd JSON lines, our own logical format, so
 * that no pg_dump is needed and a backup of the embedded database restores into a PostgreSQL server and
 * the reverse.
 *
 *   {"format":"finance-api-backup","version":1,"created_at":…,"source":"pglite","migrations":{…},
 *    "tables":[…],"encryption_key_ids":[…]}                           the header, first line
 *   {"$table":"users","columns":["id","email",…]}                     a table begins
 *   {"id":"…","email":"…",…}                                          its rows (PostgreSQL's row_to_json)
 *   {"$end":"users","rows":2}                                         it ends
 *   …every table of the `public` schema, parents before children (foreign keys)…
 *   {"$end_of_backup":true,"tables":27,"rows":12345}                  the last line: the file is whole
 *
 * Rows are PostgreSQL's own JSON text, never parsed into JavaScript values: numerics stay exact. Control
 * lines start with `{"$`, which no row does (no column name starts with `$`). The job queue's schema is
 * not in it (pending jobs are transient: sync again after a restore). Plaid access tokens stay encrypted:
 * they are usable after a restore only with the same ENCRYPTION_KEY_BASE64 (and key ring).
 */

export const BACKUP_FORMAT = 'finance-api-backup';
export const BACKUP_VERSION = 1;

export interface MigrationLevel {
  /** How many migrations were applied. */
  count: number;
  /** The newest applied migration's timestamp (drizzle's journal `when`), 0 without any. */
  last: number;
}

export interface BackupHeader {
  format: typeof BACKUP_FORMAT;
  version: number;
  created_at: string;
  source: 'pglite' | 'postgres';
  migrations: MigrationLevel;
  tables: string[];
  /** Ids (never material) of the keys the stored access tokens and signing keys are encrypted with. */
  encryption_key_ids: string[];
}

export interface TableStart {
  $table: string;
  columns: string[];
}

export interface TableEnd {
  $end: string;
  rows: number;
}

export interface BackupEnd {
  $end_of_backup: true;
  tables: number;
  rows: number;
}

/** What long work reports as it goes (the CLI prints it on stderr). */
export type BackupProgress = (event: { table: string; rows: number; done: boolean }) => void;

export class BackupFormatError extends Error {
  override readonly name = 'BackupFormatError';
}

/** A control line (header aside): starts with `{"$`. */
export function isControlLine(line: string): boolean {
  return line.startsWith('{"$');
}
