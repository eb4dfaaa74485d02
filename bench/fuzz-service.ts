/**
 * The service (`src/server.ts`'s `main`) with an event-loop delay histogram inside its process, for
 * `bench/fuzz.ts`: the parent sends 'reset' before a phase and 'report' after it, over the IPC channel
 * of `child_process.fork`, and gets the delays in ms. Nothing else differs from `npm start`.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { main } from '../src/server.js';

export interface EventLoopDelayReport {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  samples: number;
}

const histogram = monitorEventLoopDelay({ resolution: 10 });
histogram.enable();

process.on('message', (message) => {
  if (message === 'reset') {
    histogram.reset();
    process.send?.({ reset: true });
  } else if (message === 'report') {
    const ms = (ns: number) => ns / 1e6;
    const report: EventLoopDelayReport = {
      p50Ms: ms(histogram.percentile(50)),
      p99Ms: ms(histogram.percentile(99)),
      maxMs: ms(histogram.max),
      meanMs: ms(histogram.mean),
      samples: histogram.count,
    };
    process.send?.({ report });
  }
});

void main();
