// postinstall: makes the template of an empty embedded cluster once per PGlite version (see
// src/db/pglite-template.ts). Optional: without it the first start runs initdb itself, ~2 s slower.
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pgliteTemplatePath } from '../src/db/pglite-template.js';

const target = pgliteTemplatePath();
if (!existsSync(target)) {
  try {
    const started = Date.now();
    const db = await PGlite.create();
    const blob = await db.dumpDataDir('gzip');
    await db.close();
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
