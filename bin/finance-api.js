#!/usr/bin/env node
// The `finance-api` command: the CLI (src/cli.ts) from transpiled JavaScript (see launch.js).
import { loadEntrypoint } from './launch.js';

const { runCli } = await loadEntrypoint('cli');
await runCli();
