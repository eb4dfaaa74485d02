#!/usr/bin/env node
// The `finance-api` command: runs the compiled CLI when `npm run build` has made one, else the
// TypeScript sources through tsx (installed with the project).
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/cli.js', import.meta.url);
if (existsSync(compiled)) {
  const { runCli } = await import(compiled.href);
  await runCli();
} else {
  const { tsImport } = await import('tsx/esm/api');
  const { runCli } = await tsImport('../src/cli.ts', import.meta.url);
  await runCli();
}
