/* eslint-disable no-console -- the command line talks to a terminal on purpose (as src/cli.ts) */
import type { RunProgressRow } from '../db/repositories/export.js';
import type { AdminCommandName } from '../domain/admin/commands.js';
import { config, runningService } from './runtime.js';

/**
 * `finance-api sync`: asks for syncs (as POST /v1/sync/trigger does, for every person's items or some),
 * then with `--wait` follows their ledger rows until every run has finished: one line per item with each
 * product's state and counts (added ~modified -removed) and the time elapsed, redrawn in place on a
 * terminal and printed when something changes otherwise. Exits 1 when a run failed or an item needs its
 * owner, naming the reason (Plaid's error code or ours, and what was done about it).
 */

interface Triggered {
  itemId: string;
  outcome: 'queued' | 'already_queued' | 'blocked';
  itemStatus: string;
  runIds: string[];
  email: string;
  institution: string | null;
}

interface Session {
  run(name: AdminCommandName, input: Record<string, unknown>): Promise<unknown>;
  close(): Promise<void>;
}

const FINISHED = new Set(['succeeded', 'failed', 'skipped']);
const POLL_MS = 500;

async function openSession(): Promise<Session> {
  const cfg = await config();
  const service = await runningService(cfg);
  if (service) {
    const { sendControlCommand } = await import('../control/client.js');
    return {
      run: (name, input) => sendControlCommand(service.socket, name, input),
      close: async () => undefined,
    };
  }
  if (cfg.database.kind === 'pglite') {
    throw new Error(
      'The embedded service is not running: start it (npm start), which runs the syncs, then run this again.',
    );
  }
  const [
    { openConfiguredDatabase },
    { startJobQueue },
    { composeAdminServices },
    { runAdminCommand },
    { createLogger },
  ] = await Promise.all([
    import('./runtime.js'),
    import('../jobs/queue.js'),
    import('../domain/admin/services.js'),
    import('../domain/admin/commands.js'),
    import('../lib/logger.js'),
  ]);
  const database = await openConfiguredDatabase(cfg);
  const logger = createLogger(cfg.logLevel === 'info' ? 'warn' : cfg.logLevel, process.stderr);
  try {
    // Enqueue only: the workers run the jobs.
    const queue = await startJobQueue({ database, jobs: cfg.jobs, logger, supervise: false });
    const services = { ...composeAdminServices(database.db, cfg), jobs: queue, logger };
    return {
      run: (name, input) => runAdminCommand(services, name, input),
      close: async () => {
        await queue.stop();
        await database.close();
      },
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}

function productText(run: RunProgressRow): string {
  const counts =
    run.added_count + run.modified_count + run.removed_count > 0
      ? ` +${run.added_count} ~${run.modified_count} -${run.removed_count}`
      : '';
  const mark =
    run.status === 'succeeded'
      ? 'done'
      : run.status === 'failed'
        ? `FAILED ${run.error_code ?? ''}`.trimEnd()
        : run.status === 'skipped'
          ? `skipped${run.error_code ? ` ${run.error_code}` : ''}`
          : run.status;
  return `${run.product} ${mark}${counts}`;
}

function itemLine(item: Triggered, runs: RunProgressRow[], elapsedMs: number): string {
  const name = `${item.institution ?? 'item'} ${item.itemId.slice(0, 8)} (${item.email})`;
  if (item.outcome === 'blocked') return `${name}: not synced, the item needs its owner (${item.itemStatus})`;
  if (runs.length === 0) return `${name}: nothing to sync`;
  const finished = runs.filter((run) => FINISHED.has(run.status)).length;
  return `${name}: ${finished}/${runs.length} products · ${runs.map(productText).join(', ')} · ${(elapsedMs / 1000).toFixed(1)}s`;
}

export async function runSync(
  opts: { user?: string; item?: string; wait: boolean; timeout: number },
  json: boolean,
): Promise<void> {
  const session = await openSession();
  try {
    const triggered = (await session.run('sync.request', {
      ...(opts.user ? { email: opts.user } : {}),
      ...(opts.item ? { itemId: opts.item } : {}),
    })) as Triggered[];
    if (!opts.wait) {
      if (json) console.log(JSON.stringify(triggered, null, 2));
      else if (triggered.length === 0) console.log('No items to sync.');
      else
        for (const item of triggered)
          console.log(
            `${item.institution ?? 'item'} ${item.itemId} (${item.email}): ${item.outcome.replace('_', ' ')}`,
          );
      process.exitCode = triggered.some((item) => item.outcome === 'blocked') ? 1 : 0;
      return;
    }
    await follow(session, triggered, opts.timeout * 1000, json);
  } finally {
    await session.close();
  }
}

async function follow(session: Session, triggered: Triggered[], timeoutMs: number, json: boolean) {
  const started = Date.now();
  const runIds = triggered.flatMap((item) => item.runIds);
  const tty = Boolean(process.stderr.isTTY) && !json;
  const printed = new Map<string, string>();
  let drawnLines = 0;
  let runs: RunProgressRow[] = [];
  for (;;) {
    runs = (await session.run('sync.progress', { runIds })) as RunProgressRow[];
    const elapsed = Date.now() - started;
    const lines = triggered.map((item) =>
      itemLine(
        item,
        runs.filter((run) => run.item_id === item.itemId),
        elapsed,
      ),
    );
    if (tty) {
      // Redraw the block of item lines in place.
      if (drawnLines > 0) process.stderr.write(`\x1b[${drawnLines}F`);
      // One screen line per item (a wrapped line would break the redraw): cut to the terminal's width.
      const width = Math.max(20, (process.stderr.columns || 120) - 1);
      process.stderr.write(
        lines
          .map((line) => `\x1b[2K${line.length > width ? `${line.slice(0, width - 1)}…` : line}\n`)
          .join(''),
      );
      drawnLines = lines.length;
    } else if (!json) {
      // Plain lines, when an item's state changed (elapsed time aside).
      triggered.forEach((item, i) => {
        const state = lines[i]!.replace(/ · [\d.]+s$/, '');
        if (printed.get(item.itemId) !== state) {
          printed.set(item.itemId, state);
          process.stderr.write(`${lines[i]}\n`);
        }
      });
    }
    const done = runs.length === runIds.length && runs.every((run) => FINISHED.has(run.status));
    if (done) break;
    if (elapsed > timeoutMs) {
      console.error(`Gave up waiting after ${Math.round(elapsed / 1000)}s; the syncs go on in the workers.`);
      process.exitCode = 1;
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  const failed = runs.filter((run) => run.status === 'failed');
  const blocked = triggered.filter((item) => item.outcome === 'blocked');
  if (json) {
    console.log(
      JSON.stringify(
        triggered.map((item) => ({ ...item, runs: runs.filter((run) => run.item_id === item.itemId) })),
        null,
        2,
      ),
    );
  } else {
    const transactions = runs.reduce(
      (sum, run) => sum + run.added_count + run.modified_count + run.removed_count,
      0,
    );
    console.log(
      `${triggered.length} item(s), ${runs.length} run(s): ${runs.length - failed.length} finished, ` +
        `${failed.length} failed; ${transactions} change(s) applied; ${((Date.now() - started) / 1000).toFixed(1)}s.`,
    );
  }
  for (const run of failed) {
    const item = triggered.find((t) => t.itemId === run.item_id);
    console.error(
      `Failed: ${item?.institution ?? 'item'} ${run.item_id} ${run.product}: ${run.error_code ?? 'unknown error'}` +
        (run.error_action ? ` (${run.error_action})` : ''),
    );
  }
  for (const item of blocked) {
    console.error(
      `Not synced: ${item.institution ?? 'item'} ${item.itemId} needs its owner (${item.itemStatus}).`,
    );
  }
  process.exitCode = failed.length > 0 || blocked.length > 0 ? 1 : 0;
}
