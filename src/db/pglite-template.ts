import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { projectRoot } from '../lib/package-info.js';

/**
 * The template of a migrated embedded cluster (made by scripts/pglite-template.ts after `npm ci`: our
 * migrations and the job queue's schema): a fresh data directory starts as a copy of it (a plain folder
 * copy, about a tenth of a second) instead of running initdb inside WebAssembly and every migration. The
 * start still applies any migration the template lacks. One folder per install and PGlite version, in
 * node_modules/.cache, so it goes away with node_modules.
 */
export function pgliteTemplatePath(): string {
  const manifest = path.join(projectRoot, 'node_modules', '@electric-sql', 'pglite', 'package.json');
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  return path.join(
    projectRoot,
    'node_modules',
    '.cache',
    'finance-api',
    `pglite-${version}-migrated-template`,
  );
}

function installedTemplate(): string | undefined {
  try {
    return pgliteTemplatePath();
  } catch {
    return undefined;
  }
}

/**
 * Copies the template into `dir` when `dir` holds no cluster yet and a template exists; true when it did.
 * A cluster folder does not depend on its path, so the copy opens like the original.
 */
export async function copyTemplateIntoFreshDirectory(
  dir: string,
  template: string | undefined = installedTemplate(),
  copy: (from: string, to: string) => void = (from, to) => cpSync(from, to, { recursive: true }),
): Promise<boolean> {
  const entries = await readdir(dir).catch(() => []);
  if (entries.length > 0) return false; // an existing cluster (or something else): never overwrite
  if (!template || !existsSync(path.join(template, 'PG_VERSION'))) return false;
  try {
    // Synchronous on purpose: nothing else runs during a start, and cpSync is several times faster here.
    copy(template, dir);
    return true;
  } catch {
    // An unreadable template (another user's install, say): a half copy is removed and the start runs
    // initdb and the migrations instead, as without a template.
    for (const entry of await readdir(dir)) rmSync(path.join(dir, entry), { recursive: true, force: true });
    return false;
  }
}
