/**
 * Backup and restore (#14 item 5): a person linked through the emulator and synced on one database kind,
 * backed up with our own format, restored into the other kind (and back), and every read answer the API
 * serves is the same; the restored access tokens still sync with the same key. Restore refuses a newer
 * schema, a non-empty target without `replace`, and a cut file, changing nothing (one transaction).
 */
import { PassThrough, Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectRows } from '../../src/db/client.js';
import { writeBackup } from '../../src/db/backup/backup.js';
import type { BackupHeader } from '../../src/db/backup/format.js';
import { restoreBackup } from '../../src/db/backup/restore.js';
import { createLogger } from '../../src/lib/logger.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { databaseKinds, openTestDatabase, type DatabaseKind } from '../helpers/database.js';
import {
  acceptingJobQueue,
  linkPerson,
  readAnswers,
  startEmulator,
  type Emulator,
  type LinkedPerson,
} from './support.js';

const CLIENT_ID = 'backup-client';
const SECRET = 'backup-secret-5a6b7c8d';

async function backupOf(t: TestApp, kind: DatabaseKind): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk));
  const events: string[] = [];
  const summary = await writeBackup(t.database.handle.db, kind, out, (e) => {
    if (e.done) events.push(e.table);
  });
  expect(summary.tables).toBe(events.length);
  expect(events).toContain('transactions');
  return Buffer.concat(chunks);
}

async function rowCounts(t: TestApp): Promise<Record<string, number>> {
  const tables = await selectRows<{ name: string }>(
    t.database.handle.db,
    sql`select table_name as name from information_schema.tables
         where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`,
  );
  const counts: Record<string, number> = {};
  for (const { name } of tables) {
    const [row] = await selectRows<{ n: number }>(
      t.database.handle.db,
      sql`select count(*)::int as n from ${sql.identifier(name)}`,
    );
    counts[name] = row!.n;
  }
  return counts;
}

/** The backup with its header changed (it is the first line of the gzip'd JSON lines). */
function withHeader(backup: Buffer, change: (header: BackupHeader) => void): Buffer {
  const lines = gunzipSync(backup).toString('utf8').split('\n');
  const header = JSON.parse(lines[0]!) as BackupHeader;
  change(header);
  lines[0] = JSON.stringify(header);
  return gzipSync(lines.join('\n'));
}

describe('backup and restore across PGlite and PostgreSQL', () => {
  const kinds = databaseKinds();
  const [first, second] = [kinds[0]!, kinds.at(-1)!];
  let emulator: Emulator;
  let source: TestApp;
  let person: LinkedPerson;
  let answers: Record<string, unknown>;
  let backup: Buffer;
  const opened: TestApp[] = [];
  /** The restored copy of the first test, reused by the next ones. */
  let copy: TestApp;

  /** An app over a fresh migrated database of `kind` into which `file` was restored. */
  async function restoredApp(kind: DatabaseKind, file: Buffer): Promise<TestApp> {
    const database = await openTestDatabase(kind);
    const summary = await restoreBackup(database.handle.db, Readable.from([file]), { replace: false });
    expect(summary.replaced).toBe(false);
    const t = await buildTestApp(kind, {}, createLogger('error'), {
      plaid: emulator.plaid,
      jobs: acceptingJobQueue,
      database,
    });
    const close = t.close;
    t.close = async () => {
      await close();
      await database.drop();
    };
    opened.push(t);
    return t;
  }

  beforeAll(async () => {
    emulator = await startEmulator(CLIENT_ID, SECRET);
    source = await buildTestApp(first, {}, createLogger('error'), {
      plaid: emulator.plaid,
      jobs: acceptingJobQueue,
    });
    opened.push(source);
    person = await linkPerson(source, emulator, 'backup');
    answers = await readAnswers(source, person.token);
    backup = await backupOf(source, first);
  }, 120_000);
  afterAll(async () => {
    for (const t of opened.reverse()) await t.close();
    await emulator?.close();
  });

  it(`restores a ${first} backup into ${second} with every row and the same read answers`, async () => {
    copy = await restoredApp(second, backup);
    expect(await rowCounts(copy)).toEqual(await rowCounts(source));
    expect(await readAnswers(copy, person.token)).toEqual(answers);
  }, 120_000);

  it(`and back: a backup of the ${second} copy restores into ${first} with the same answers`, async () => {
    const again = await backupOf(copy, second);
    const target = await restoredApp(first, again);
    expect(await readAnswers(target, person.token)).toEqual(answers);
  }, 120_000);

  it('keeps access tokens encrypted: the file has no token in clear, and the copy syncs with the same key', async () => {
    const text = gunzipSync(backup).toString('utf8');
    for (const accessToken of person.accessTokens) expect(text).not.toContain(accessToken);
    const [stored] = await selectRows<{ ciphertext: string }>(
      source.database.handle.db,
      sql`select access_token_ciphertext as ciphertext from plaid_items where id = ${person.itemIds[0]!}::uuid`,
    );
    expect(text).toContain(stored!.ciphertext);
    const header = JSON.parse(text.split('\n')[0]!) as BackupHeader;
    expect(header.encryption_key_ids.length).toBe(1);

    const synced = await copy.app.services.sync.syncItem(person.userId, person.itemIds[0]!, {
      trigger: 'manual',
    });
    expect(synced.status, JSON.stringify(synced.products)).toBe('succeeded');
  }, 120_000);

  it('refuses a non-empty target unless told to replace it, then replaces all of it in one go', async () => {
    const database = await openTestDatabase(second);
    try {
      await restoreBackup(database.handle.db, Readable.from([backup]), { replace: false });
      await expect(
        restoreBackup(database.handle.db, Readable.from([backup]), { replace: false }),
      ).rejects.toThrow(/not empty.*--yes/);
      const replaced = await restoreBackup(database.handle.db, Readable.from([backup]), { replace: true });
      expect(replaced.replaced).toBe(true);
      const [users] = await selectRows<{ n: number }>(
        database.handle.db,
        sql`select count(*)::int as n from users`,
      );
      expect(users!.n).toBe(1);
    } finally {
      await database.drop();
    }
  }, 120_000);

  it('refuses a backup from a newer schema, and a cut file leaves the target as it was', async () => {
    const database = await openTestDatabase(second);
    try {
      const newer = withHeader(backup, (h) => {
        h.migrations.count += 1;
        h.migrations.last += 1;
      });
      await expect(
        restoreBackup(database.handle.db, Readable.from([newer]), { replace: true }),
      ).rejects.toThrow(/newer schema/);

      const lines = gunzipSync(backup).toString('utf8').trimEnd().split('\n');
      const cut = gzipSync(lines.slice(0, -1).join('\n'));
      await expect(
        restoreBackup(database.handle.db, Readable.from([cut]), { replace: true }),
      ).rejects.toThrow(/incomplete/);
      const [users] = await selectRows<{ n: number }>(
        database.handle.db,
        sql`select count(*)::int as n from users`,
      );
      expect(users!.n).toBe(0);
    } finally {
      await database.drop();
    }
  }, 120_000);
});
