#!/usr/bin/env node
// `npm start`: the service (src/server.ts) from transpiled JavaScript (see launch.js).
import { loadEntrypoint } from './launch.js';

const { main } = await loadEntrypoint('server');
await main();
