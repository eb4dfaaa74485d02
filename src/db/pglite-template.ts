import { existsSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The template of a migrated embedded cluster (made by scripts/pglite-template.ts after `npm ci`: our
 * migrations and the job queue's schema): a fresh data directory restores it in about a second instead of
 * running initdb inside WebAssembly and every migration. The start still applies any migration the
 * template lacks. One file per install, in node_modules/.cache, so it goes away with node_modules.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function pgliteTemplatePath(): string {
  const manifest = path.join(root, 'node_modules', '@electric-sql', 'pglite', 'package.json');
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  return path.join(
    root,
    'node_modules',
    '.cache',
    'finance-api',
    `pglite-${version}-migrated-template.tar.gz`,
  );
}

/** The template to start a fresh cluster from, when `dir` holds no cluster yet and a template exists. */
export async function templateForFreshDirectory(dir: string): Promise<Blob | undefined> {
  const entries = await readdir(dir).catch(() => []);
  if (entries.length > 0) return undefined; // an existing cluster (or something else): never overwrite
  let file: string;
  try {
    file = pgliteTemplatePath();
  } catch {
    return undefined;
  }
  return existsSync(file) ? new Blob([await readFile(file)]) : undefined;
}
