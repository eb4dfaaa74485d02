// postinstall: makes the template of a migrated embedded cluster once per install (see
// src/db/pglite-template.ts): our migrations and the job queue's schema are already in it, so the first
// `npm start` only restores it. Optional: without it the first start runs initdb and every migration.
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildConfig, parseEnv } from '../src/config/schema.js';
import { openDatabase } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import { pgliteTemplatePath } from '../src/db/pglite-template.js';
import { startJobQueue } from '../src/jobs/queue.js';

const target = pgliteTemplatePath();
if (!existsSync(target)) {
  try {
    const started = Date.now();
    const database = await openDatabase({ kind: 'pglite' });
    await runMigrations(database);
    const { raw } = parseEnv({});
    const config = buildConfig(raw, { jwtSecretKey: 'unused', encryptionKeyBase64: 'unused' });
    const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
    const queue = await startJobQueue({ database, jobs: config.jobs, logger: silent, supervise: false });
    await queue.stop();
    const blob = await database.pglite!.dumpDataDir('gzip');
    await database.close();
    mkdirSync(path.dirname(target), { recursive: true });
    const partial = `${target}.${process.pid}.partial`;
    writeFileSync(partial, Buffer.from(await blob.arrayBuffer()));
    renameSync(partial, target);
    console.log(`finance-api: prepared the embedded database template in ${Date.now() - started} ms`);
  } catch (error) {
    console.warn(
      `finance-api: no embedded database template (${error instanceof Error ? error.message : String(error)})`,
    );
  }
}
