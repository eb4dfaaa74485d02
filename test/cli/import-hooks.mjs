// A module resolution hook that writes every URL the process resolves to RECORD_IMPORTS_FILE (one a line):
// how the CLI test sees what `finance-api --help` loads.
import { appendFileSync } from 'node:fs';

export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  if (process.env.RECORD_IMPORTS_FILE) appendFileSync(process.env.RECORD_IMPORTS_FILE, `${result.url}\n`);
  return result;
}
