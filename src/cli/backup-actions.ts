/* eslint-disable no-console -- the command line talks to a terminal on purpose (as src/cli.ts) */
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { writeBackup } from '../db/backup/backup.js';
import type { BackupHeader, BackupProgress } from '../db/backup/format.js';
import { restoreBackup } from '../db/backup/restore.js';
import { keyIdOf } from '../domain/items/access-token-cipher.js';
import { readKeyring } from '../domain/items/keyring.js';
import type { Config } from '../config/schema.js';
import { print } from './options.js';
import { config, openConfiguredDatabase, runningService } from './runtime.js';

/** Progress on stderr: a line per table when it is done, and every so often for a long one. */
function progressOnStderr(verb: string): BackupProgress {
  let lastAt = 0;
  return ({ table, rows, done }) => {
    const now = Date.now();
    if (!done && now - lastAt < 1000) return;
    lastAt = now;
    process.stderr.write(`  ${verb} ${table}: ${rows} row(s)${done ? '' : '…'}\n`);
  };
}

async function refuseRunningService(cfg: Config, what: string): Promise<void> {
  const service = await runningService(cfg);
  if (service) {
    throw new Error(
      `The embedded service (pid ${service.pid}) holds DATA_DIR: stop it, then run \`finance-api ${what}\` again.`,
    );
  }
}

/** The key ids this installation can decrypt with (ENCRYPTION_KEY_BASE64 and the key ring). */
function loadedKeyIds(cfg: Config): Set<string> {
  const ids = new Set([keyIdOf(cfg.encryptionKeyBase64)]);
  for (const key of readKeyring(cfg.dataDir)?.keys ?? []) ids.add(key.id);
  return ids;
}

export async function runBackup(out: string, json: boolean): Promise<void> {
  const cfg = await config();
  await refuseRunningService(cfg, 'backup');
  const file = path.resolve(out);
  const partial = `${file}.partial-${process.pid}`;
  const database = await openConfiguredDatabase(cfg);
  const started = Date.now();
  try {
    console.error(
      `Backing up the ${cfg.database.kind === 'pglite' ? 'embedded' : 'PostgreSQL'} database to ${file}…`,
    );
    const summary = await writeBackup(
      database.db,
      cfg.database.kind,
      createWriteStream(partial, { mode: 0o600 }),
      progressOnStderr('backed up'),
    );
    await rename(partial, file);
    const bytes = (await stat(file)).size;
    const result = {
      file,
      bytes,
      tables: summary.tables,
      rows: summary.rows,
      migrations: summary.header.migrations.count,
      encryption_key_ids: summary.header.encryption_key_ids,
      seconds: (Date.now() - started) / 1000,
    };
    print(result, json, () =>
      [
        `Backed up ${summary.rows} row(s) of ${summary.tables} table(s) to ${file} (${bytes} bytes, ${result.seconds.toFixed(1)}s).`,
        summary.header.encryption_key_ids.length > 0
          ? `Plaid access tokens are in it encrypted with key(s) ${summary.header.encryption_key_ids.join(', ')}: ` +
            'keep ENCRYPTION_KEY_BASE64' +
            (cfg.database.kind === 'pglite'
              ? ' (DATA_DIR/secrets.json) and DATA_DIR/keyring.json'
              : ' and the key ring') +
            ' with the backup; without them a restore cannot use the tokens.'
          : 'No Plaid access token is in it.',
      ].join('\n'),
    );
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  } finally {
    await database.close();
  }
}

export async function runRestore(input: string, yes: boolean, json: boolean): Promise<void> {
  const cfg = await config();
  await refuseRunningService(cfg, 'restore');
  const file = path.resolve(input);
  await stat(file); // a missing file says so before the database is opened
  const database = await openConfiguredDatabase(cfg);
  const started = Date.now();
  let header: BackupHeader | undefined;
  try {
    const summary = await restoreBackup(database.db, createReadStream(file), {
      replace: yes,
      onProgress: progressOnStderr('restored'),
      onHeader: (h) => {
        header = h;
        console.error(
          `Restoring a backup of ${h.created_at} (${h.source}, ${h.migrations.count} migrations) into the ` +
            `${cfg.database.kind === 'pglite' ? 'embedded' : 'PostgreSQL'} database…`,
        );
      },
    });
    const known = loadedKeyIds(cfg);
    const missing = (header?.encryption_key_ids ?? []).filter((id) => !known.has(id));
    const result = {
      file,
      tables: summary.tables,
      rows: summary.rows,
      replaced: summary.replaced,
      missing_encryption_key_ids: missing,
      seconds: (Date.now() - started) / 1000,
    };
    print(
      result,
      json,
      () =>
        `Restored ${summary.rows} row(s) of ${summary.tables} table(s)${summary.replaced ? ' (the previous data was replaced)' : ''} ` +
        `in ${result.seconds.toFixed(1)}s. Run \`finance-api sync\` once the service is up to bring it up to date.`,
    );
    if (missing.length > 0) {
      console.error(
        `Warning: the Plaid access tokens are encrypted with key(s) ${missing.join(', ')}, which this ` +
          'installation does not have: set the ENCRYPTION_KEY_BASE64 (or key ring) of the installation that ' +
          'made the backup, or relink those items.',
      );
      process.exitCode = 1;
    }
  } finally {
    await database.close();
  }
}
