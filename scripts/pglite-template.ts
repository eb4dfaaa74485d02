// postinstall: makes the template of a migrated embedded cluster once per install (see
// src/db/pglite-template.ts): our migrations and the job queue's schema are already in it, so the first
// `npm start` only copies it. Optional: without it the first start runs initdb and every migration.
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { buildConfig, parseEnv } from '../src/config/schema.js';
import { openDatabase } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import { pgliteTemplatePath } from '../src/db/pglite-template.js';
import { startJobQueue } from '../src/jobs/queue.js';

const target = pgliteTemplatePath();
if (!existsSync(path.join(target, 'PG_VERSION'))) {
  const parent = path.dirname(target);
  let workDir: string | undefined;
  try {
    const started = Date.now();
    mkdirSync(parent, { recursive: true });
    // Built beside the target and renamed into place, so a half-made template is never used.
    workDir = mkdtempSync(path.join(parent, 'template-partial-'));
    const database = await openDatabase({ kind: 'pglite', dataDir: workDir });
    await runMigrations(database);
    const { raw } = parseEnv({});
    const config = buildConfig(raw, { jwtSecretKey: 'unused', encryptionKeyBase64: 'unused' });
    const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
    const queue = await startJobQueue({ database, jobs: config.jobs, logger: silent, supervise: false });
    await queue.stop();
    await database.close();
    rmSync(target, { recursive: true, force: true });
    renameSync(path.join(workDir, 'pglite'), target);
    console.log(`finance-api: prepared the embedded database template in ${Date.now() - started} ms`);
  } catch (error) {
    console.warn(
      `finance-api: no embedded database template (${error instanceof Error ? error.message : String(error)})`,
    );
  } finally {
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  }
}
