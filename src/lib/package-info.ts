import { readFileSync } from 'node:fs';

/** The package's own version, read once from package.json (two levels up from src/lib and dist/lib). */
export const packageVersion: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
