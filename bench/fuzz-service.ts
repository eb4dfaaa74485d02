/**
 * The service (`src/server.ts`'s `main`) with an event-loop delay histogram inside its process, for
 * `bench/fuzz.ts`: the parent sends 'reset' before a phase and 'report' after it, over the IPC channel
 * of `child_process.fork`, and gets the delays in ms (beyond the histogram's 10 ms sampling interval).
 * Nothing else differs from `npm start`.
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

const RESOLUTION_MS = 10;
const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
histogram.enable();

process.on('message', (message) => {
  if (message === 'reset') {
    histogram.reset();
    process.send?.({ reset: true });
  } else if (message === 'report') {
    // The histogram records the time between its timer's ticks: the delay is what exceeds the interval.
    const ms = (ns: number) => Math.max(0, ns / 1e6 - RESOLUTION_MS);
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
