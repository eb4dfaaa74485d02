/**
 * Start-up (`npm run bench -- --only startup`): how long `npm start` takes until /readyz answers 200, on a
 * fresh data directory (the embedded database copied from its template, secrets generated) and on an
 * existing one, as the start command runs it (bin/start.js) and, for comparison, from the TypeScript
 * sources through tsx (how `npm start` ran before). Five starts each, alternating, median and range
 * printed; the machine is shared, so compare the two columns rather than the absolutes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startService } from './harness.js';

const RUNS = 5;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const describe = (values: number[]) =>
  `median ${(median(values) / 1000).toFixed(2)} s (${(Math.min(...values) / 1000).toFixed(2)}–${(Math.max(...values) / 1000).toFixed(2)} s)`;

async function readyAfter(entry: 'start-command' | 'source', dataDir: string): Promise<number> {
  const service = await startService({ DATA_DIR: dataDir }, entry);
  await service.stop();
  return service.readyAfterMs;
}

export async function runStartupBench(): Promise<void> {
  console.log(`\nstart-up: npm start until /readyz answers, embedded database, ${RUNS} starts each`);
  const base = mkdtempSync(path.join(os.tmpdir(), 'fa-bench-startup-'));
  try {
    // One start outside the figures: the start command transpiles the current sources once.
    await readyAfter('start-command', path.join(base, 'warm'));
    const figures: Record<string, number[]> = {
      'start command, fresh data dir': [],
      'tsx sources, fresh data dir': [],
      'start command, existing data dir': [],
      'tsx sources, existing data dir': [],
    };
    for (let run = 0; run < RUNS; run++) {
      figures['start command, fresh data dir']!.push(
        await readyAfter('start-command', path.join(base, `fresh-command-${run}`)),
      );
      figures['tsx sources, fresh data dir']!.push(
        await readyAfter('source', path.join(base, `fresh-source-${run}`)),
      );
      figures['start command, existing data dir']!.push(
        await readyAfter('start-command', path.join(base, 'warm')),
      );
      figures['tsx sources, existing data dir']!.push(await readyAfter('source', path.join(base, 'warm')));
    }
    for (const [label, values] of Object.entries(figures))
      console.log(`  ${label.padEnd(34)} ${describe(values)}`);
    console.log(`  (load average ${os.loadavg()[0]!.toFixed(1)} at the end)`);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}
