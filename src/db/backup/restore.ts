import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { sql } from 'drizzle-orm';
import { selectRows, type Database } from '../client.js';
import { backedUpTables, migrationLevel } from './catalog.js';
import {
  BACKUP_FORMAT,
  BACKUP_VERSION,
  BackupFormatError,
  isControlLine,
  type BackupEnd,
  type BackupHeader,
  type BackupProgress,
  type TableEnd,
  type TableStart,
} from './format.js';

/** Rows per INSERT, and the most JSON text one INSERT carries. */
const INSERT_ROWS = 500;
const INSERT_BYTES = 4 * 1024 * 1024;

export class RestoreRefusedError extends Error {
  override readonly name = 'RestoreRefusedError';
}

export interface RestoreOptions {
  /** Replace the data of a target that already has some (everything in it is deleted first). */
  replace: boolean;
  onProgress?: BackupProgress;
  /** Called with the header once it was read and accepted, before any change. */
  onHeader?: (header: BackupHeader) => void;
}

export interface RestoreSummary {
  header: BackupHeader;
  tables: number;
  rows: number;
  /** Whether the target had data that was replaced. */
  replaced: boolean;
}

/** The tables of the target that hold at least one row. */
async function nonEmptyTables(db: Database, tables: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const table of tables) {
    const [row] = await selectRows<{ any: boolean }>(
      db,
      sql`select exists (select 1 from ${sql.identifier(table)}) as any`,
    );
    if (row?.any) found.push(table);
  }
  return found;
}

/**
 * Restores a backup (format.ts) into `db`, which must be migrated already (to this code's level): all or
 * nothing, in one transaction. Refuses a file of another format or version, a file made by a newer
 * schema than the target's, and a target with data unless `replace`. A column the backup has and the
 * target no longer has is left out; one the target has and the backup does not takes its default.
 */
export async function restoreBackup(
  db: Database,
  input: Readable,
  options: RestoreOptions,
): Promise<RestoreSummary> {
  const lines = createInterface({ input: input.pipe(createGunzip()), crlfDelay: Infinity })[
    Symbol.asyncIterator
  ]();
  const nextLine = async (): Promise<string | undefined> => {
    const next = await lines.next();
    return next.done ? undefined : next.value;
  };

  const first = await nextLine().catch((error: unknown) => {
    throw new BackupFormatError(
      `not a finance-api backup (not gzip'd JSON lines: ${(error as Error).message})`,
    );
  });
  let header: BackupHeader;
  try {
    header = JSON.parse(first ?? '') as BackupHeader;
  } catch {
    throw new BackupFormatError('not a finance-api backup (its first line is not a JSON header)');
  }
  if (header.format !== BACKUP_FORMAT) throw new BackupFormatError('not a finance-api backup');
  if (header.version !== BACKUP_VERSION) {
    throw new RestoreRefusedError(
      `the backup is of format version ${header.version}; this version reads version ${BACKUP_VERSION}`,
    );
  }
  const target = await migrationLevel(db);
  if (header.migrations.last > target.last || header.migrations.count > target.count) {
    throw new RestoreRefusedError(
      `the backup comes from a newer schema (${header.migrations.count} migrations) than this ` +
        `version's (${target.count}): restore it with the version that made it, or a newer one`,
    );
  }
  const targetTables = new Map((await backedUpTables(db)).map((t) => [t.name, t.columns]));
  const filled = await nonEmptyTables(db, [...targetTables.keys()]);
  if (filled.length > 0 && !options.replace) {
    throw new RestoreRefusedError(
      `the target database is not empty (${filled.slice(0, 5).join(', ')}${filled.length > 5 ? ', …' : ''} ` +
        'have rows): nothing was changed; confirm with --yes to replace everything in it',
    );
  }
  options.onHeader?.(header);

  return db.transaction(async (tx) => {
    if (filled.length > 0) {
      await tx.execute(
        sql`truncate table ${sql.join(
          [...targetTables.keys()].map((t) => sql.identifier(t)),
          sql`, `,
        )} cascade`,
      );
    }
    let tables = 0;
    let total = 0;
    let ended: BackupEnd | undefined;
    for (let line = await nextLine(); line !== undefined; line = await nextLine()) {
      if (!isControlLine(line)) throw new BackupFormatError('a row outside of any table');
      const control = JSON.parse(line) as Partial<TableStart & BackupEnd>;
      if (control.$end_of_backup) {
        ended = control as BackupEnd;
        break;
      }
      if (!control.$table || !Array.isArray(control.columns)) {
        throw new BackupFormatError('an unexpected line between tables');
      }
      const name = control.$table;
      const present = targetTables.get(name);
      if (!present) {
        throw new RestoreRefusedError(`the backup has a table this version does not have: ${name}`);
      }
      const columns = control.columns.filter((column) => present.includes(column));
      const columnList = sql.join(
        columns.map((c) => sql.identifier(c)),
        sql`, `,
      );
      let rows = 0;
      let batch: string[] = [];
      let bytes = 0;
      const flush = async () => {
        if (batch.length === 0) return;
        await tx.execute(
          sql`insert into ${sql.identifier(name)} (${columnList})
              select ${columnList} from json_populate_recordset(null::${sql.identifier(name)}, ${`[${batch.join(',')}]`}::json)`,
        );
        rows += batch.length;
        batch = [];
        bytes = 0;
        options.onProgress?.({ table: name, rows, done: false });
      };
      let end: TableEnd | undefined;
      for (let row = await nextLine(); row !== undefined; row = await nextLine()) {
        if (isControlLine(row)) {
          end = JSON.parse(row) as TableEnd;
          break;
        }
        batch.push(row);
        bytes += row.length;
        if (batch.length >= INSERT_ROWS || bytes >= INSERT_BYTES) await flush();
      }
      await flush();
      if (!end || end.$end !== name || end.rows !== rows) {
        throw new BackupFormatError(`the table ${name} is cut short or does not match its row count`);
      }
      options.onProgress?.({ table: name, rows, done: true });
      tables++;
      total += rows;
    }
    if (!ended || ended.rows !== total || ended.tables !== tables) {
      throw new BackupFormatError('the backup file is incomplete (cut short): nothing was restored');
    }
    return { header, tables, rows: total, replaced: filled.length > 0 };
  });
}
