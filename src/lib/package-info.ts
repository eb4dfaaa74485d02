import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'finance-aggregation-api';

/**
 * The project's root folder (where package.json, drizzle/ and node_modules/ are): the nearest folder above
 * this file whose package.json is ours. Found by walking up rather than by a fixed depth, because this file
 * runs from src/lib, from dist/lib (`npm run build`) and from the start-time build in
 * node_modules/.cache/finance-api/build/<hash>/lib (bin/launch.js).
 */
function findProjectRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest)) {
      const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string };
      if (name === PACKAGE_NAME) return dir;
    }
    if (path.dirname(dir) === dir) throw new Error(`no ${PACKAGE_NAME} package.json above ${from}`);
  }
}

export const projectRoot: string = findProjectRoot(path.dirname(fileURLToPath(import.meta.url)));

/** The package's own version, read once from package.json. */
export const packageVersion: string = (
  JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { version: string }
).version;
