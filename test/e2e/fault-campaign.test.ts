/**
 * The fault campaign: real worker processes on PostgreSQL, the API process receiving the emulator's
 * webhooks, and fast-check choosing a mix of data changes (clock advances, amendments, removals) and
 * faults per run — mutation during pagination, 429s, 500s,
 * 503s, timeouts, a worker killed with SIGKILL in the middle of a sync, duplicate and out-of-order
 * webhooks, the same item triggered several times at once. After recovery every item's rows must equal
 * the emulator's ground truth, no row may be duplicated, and the stored cursor must be the one the last
 * successful transactions run committed with its data.
 *
 * Runs FAULT_CAMPAIGN_RUNS scenarios (default 5; raise it for a longer campaign).
 */
import type { AddressInfo } from 'node:net';
import { and, eq, gte, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import fc from 'fast-check';
import { Products } from 'plaid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../src/db/client.js';
import { runMigrations } from '../../src/db/migrate.js';
import { plaidItems, syncRuns, transactions, users } from '../../src/db/schema/index.js';
import { accessTokenCipherFromKeys } from '../../src/domain/items/access-token-cipher.js';
import { createItemLinking, type LinkedItem } from '../../src/domain/items/item-linking.js';
import {
  buildEmulatorApp,
  EMULATOR_DEFAULT_CLIENT_ID,
  EMULATOR_DEFAULT_SECRET,
  type GroundTruth,
} from '../../src/emulator/index.js';
import { startJobQueue, type JobQueueHandle } from '../../src/jobs/queue.js';
import { createPlaidClient } from '../../src/plaid/client.js';
import { TEST_ENCRYPTION_KEY, TEST_JWT_SECRET } from '../helpers/config.js';
import { createPostgresDatabase, databaseKinds } from '../helpers/database.js';
import { emulatorControl } from '../helpers/emulator-control.js';
import {
  startServerProcess,
  startWorkerProcess,
  type ServerProcess,
  type WorkerProcess,
} from '../helpers/processes.js';
import {
  expectedAccounts,
  expectedHoldings,
  expectedInvestmentTransactions,
  expectedTransactions,
  ourAccounts,
  ourHoldings,
  ourInvestmentTransactions,
  ourTransactions,
  byId,
  withinFirstPull,
} from '../sync/support.js';
import { until } from '../helpers/wait.js';

const RUNS = Number(process.env.FAULT_CAMPAIGN_RUNS ?? 5);
// Plaid's dates are never ahead of ours, and the investment window is the last 30 days of ours: the
// emulator's clock starts two weeks back and its advances stop at yesterday.
const START = new Date(Date.now() - 14 * 86_400_000);
const MAX_ADVANCE_DAYS = 13;

type Step =
  | { kind: 'advance'; days: number }
  | { kind: 'mutate'; item: number; times: number }
  | { kind: 'fault'; endpoint: string; code: string; count: number }
  | { kind: 'timeout'; count: number }
  | { kind: 'mutate-between-pages' }
  | { kind: 'trigger'; item: number; times: number }
  | { kind: 'webhooks-replayed' }
  | { kind: 'kill-worker'; afterMs: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('advance' as const), days: fc.integer({ min: 1, max: 4 }) }),
  fc.record({
    kind: fc.constant('fault' as const),
    endpoint: fc.constantFrom(
      '/transactions/sync',
      '/accounts/get',
      '/investments/holdings/get',
      '/investments/transactions/get',
      '/liabilities/get',
      '*',
    ),
    code: fc.constantFrom(
      'RATE_LIMIT_EXCEEDED',
      'INTERNAL_SERVER_ERROR',
      'PLANNED_MAINTENANCE',
      'INSTITUTION_DOWN',
    ),
    count: fc.integer({ min: 1, max: 3 }),
  }),
  fc.record({
    kind: fc.constant('mutate' as const),
    item: fc.integer({ min: 0, max: 2 }),
    times: fc.integer({ min: 1, max: 5 }),
  }),
  fc.record({ kind: fc.constant('timeout' as const), count: fc.integer({ min: 1, max: 2 }) }),
  fc.record({ kind: fc.constant('mutate-between-pages' as const) }),
  fc.record({
    kind: fc.constant('trigger' as const),
    item: fc.integer({ min: 0, max: 2 }),
    times: fc.integer({ min: 1, max: 3 }),
  }),
  fc.record({ kind: fc.constant('webhooks-replayed' as const) }),
  fc.record({ kind: fc.constant('kill-worker' as const), afterMs: fc.integer({ min: 0, max: 400 }) }),
);

describe.runIf(databaseKinds().includes('postgres'))('fault campaign (two workers, PostgreSQL)', () => {
  let emulator: FastifyInstance;
  let emulatorUrl: string;
  let control: ReturnType<typeof emulatorControl>;
  let database: DatabaseHandle;
  let drop: () => Promise<void>;
  let api: ServerProcess;
  const workers: WorkerProcess[] = [];
  let workerEnv: Record<string, string>;
  let userId: string;
  const items: LinkedItem[] = [];
  let advanced = 0;

  async function startWorker() {
    workers.push(await startWorkerProcess(workerEnv));
  }

  beforeAll(async () => {
    emulator = await buildEmulatorApp({
      clientId: EMULATOR_DEFAULT_CLIENT_ID,
      secret: EMULATOR_DEFAULT_SECRET,
      now: START,
      rateLimits: false,
    });
    await emulator.listen({ host: '127.0.0.1', port: 0 });
    emulatorUrl = `http://127.0.0.1:${(emulator.server.address() as AddressInfo).port}`;
    control = emulatorControl(emulatorUrl);

    const created = await createPostgresDatabase();
    drop = created.drop;
    database = await openDatabase({ kind: 'postgres', url: created.url });
    await runMigrations(database);
    const env = {
      DATABASE_URL: created.url,
      JWT_SECRET_KEY: TEST_JWT_SECRET,
      ENCRYPTION_KEY_BASE64: TEST_ENCRYPTION_KEY,
      PLAID_EMULATOR_URL: emulatorUrl,
      LOG_LEVEL: 'warn',
    };
    workerEnv = {
      ...env,
      WORKER_CONCURRENCY: '2',
      WORKER_POLL_INTERVAL_SECONDS: '0.5',
      SYNC_RETRY_LIMIT: '4',
      SYNC_RETRY_DELAY_SECONDS: '1',
      SYNC_LOCK_LEASE_SECONDS: '3',
      SYNC_JOB_TIMEOUT_SECONDS: '30',
      PLAID_TIMEOUT_MS: '1500',
    };
    api = await startServerProcess({ ...env, JOBS_IN_PROCESS: 'false' });
    await Promise.all([startWorker(), startWorker()]);

    const [user] = await database.db
      .insert(users)
      .values({ email: 'campaign@example.com', passwordHash: 'not-a-real-hash' })
      .returning({ id: users.id });
    userId = user!.id;
    const plaid = createPlaidClient({
      basePath: emulatorUrl,
      clientId: EMULATOR_DEFAULT_CLIENT_ID,
      secret: EMULATOR_DEFAULT_SECRET,
      timeoutMs: 10_000,
    });
    const linking = createItemLinking({
      db: database.db,
      plaid,
      cipher: accessTokenCipherFromKeys(TEST_ENCRYPTION_KEY),
    });
    for (const institution of ['ins_109508', 'ins_109509', 'ins_109510']) {
      const { public_token } = await plaid.sandboxPublicTokenCreate({
        institution_id: institution,
        initial_products: [Products.Transactions, Products.Investments, Products.Liabilities],
        options: {
          override_username: 'user_transactions_dynamic',
          override_password: 'pass_good',
          transactions: { days_requested: 90 },
          webhook: `${api.url}/v1/sync/plaid/webhook`,
        },
      });
      items.push(await linking.linkItem({ userId, publicToken: public_token }));
    }
    // Enough history on one item for several /transactions/sync pages (mutation during pagination).
    await control('POST', `/__emulator/items/${items[0]!.plaidItemId}/transactions/generate`, {
      count: 1_200,
    });
  }, 120_000);

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop('SIGKILL')));
    await api?.stop('SIGKILL');
    await emulator?.close();
    await database?.close();
    await drop?.();
  });

  async function enqueue(itemIndex: number) {
    const item = items[itemIndex]!;
    // The same call the trigger route makes, through a short-lived queue client on this database.
    await queueClient.enqueueSync({ userId, itemId: item.id, trigger: 'manual' });
  }

  let queueClient: JobQueueHandle;
  beforeAll(async () => {
    queueClient = await startJobQueue({
      database,
      jobs: {
        inProcess: false,
        concurrency: 1,
        pollIntervalSeconds: 1,
        refreshCron: '0 6 * * *',
        retryLimit: 4,
        retryDelaySeconds: 1,
        timeoutSeconds: 30,
        lockLeaseSeconds: 3,
      },
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
      supervise: false,
    });
  }, 60_000);
  afterAll(async () => {
    await queueClient?.stop();
  });

  async function runStep(step: Step) {
    switch (step.kind) {
      case 'advance': {
        const days = Math.min(step.days, MAX_ADVANCE_DAYS - advanced);
        if (days > 0) await control('POST', '/__emulator/clock/advance', { days });
        advanced += Math.max(0, days);
        break;
      }
      case 'mutate':
        // A bank amends, removes or adds a posted row (no clock change).
        for (let i = 0; i < step.times; i++) {
          await control('POST', `/__emulator/items/${items[step.item]!.plaidItemId}/mutate`);
        }
        break;
      case 'fault':
        await control('POST', '/__emulator/faults', {
          endpoint: step.endpoint,
          error_code: step.code,
          count: step.count,
        });
        break;
      case 'timeout':
        await control('POST', '/__emulator/latency', { endpoint: '/transactions/sync', ms: 2_500 });
        await enqueue(1);
        await new Promise((r) => setTimeout(r, 1_000 * step.count));
        await control('POST', '/__emulator/latency', { endpoint: '/transactions/sync', ms: 0 });
        break;
      case 'mutate-between-pages':
        await control('POST', `/__emulator/items/${items[0]!.plaidItemId}/mutate-between-pages`, {
          after_pages: 1,
        });
        await enqueue(0);
        break;
      case 'trigger':
        await Promise.all(Array.from({ length: step.times }, () => enqueue(step.item)));
        break;
      case 'webhooks-replayed': {
        const { deliveries } = await control<{ deliveries: { id: number }[] }>('GET', '/__emulator/webhooks');
        // The last few again, newest first: duplicates, out of order.
        for (const d of deliveries.slice(-4).reverse()) {
          await control('POST', '/__emulator/webhooks/replay', { delivery_id: d.id });
          await control('POST', '/__emulator/webhooks/replay', { delivery_id: d.id });
        }
        break;
      }
      case 'kill-worker': {
        await Promise.all(items.map((_, i) => enqueue(i)));
        await new Promise((r) => setTimeout(r, step.afterMs));
        const victim = workers.shift();
        await victim?.stop('SIGKILL');
        await startWorker();
        break;
      }
    }
  }

  /** Clears faults, asks for a sync of every item, waits until each one succeeded after that moment. */
  async function recover() {
    await control('DELETE', '/__emulator/faults');
    await control('POST', '/__emulator/latency', { endpoint: '/transactions/sync', ms: 0 });
    while (workers.length < 2) await startWorker();
    // Only runs that start from now on have seen every change the steps made.
    const since = new Date();
    await Promise.all(items.map((_, i) => enqueue(i)));
    await until('every item to sync after recovery', async () => {
      // Rows a killed worker left running, and its job's rows still queued, are closed by the next sync
      // that takes the item over (takeOverRuns). Rows of a job that never started stay queued until it runs.
      const running = await database.db
        .select({ id: syncRuns.id })
        .from(syncRuns)
        .where(eq(syncRuns.status, 'running'));
      if (running.length > 0) return false;
      const done = await database.db
        .selectDistinct({ itemId: syncRuns.itemId })
        .from(syncRuns)
        .where(
          and(
            eq(syncRuns.product, 'transactions'),
            eq(syncRuns.status, 'succeeded'),
            gte(syncRuns.startedAt, since),
          ),
        );
      return done.length === items.length;
    });
  }

  async function expectGroundTruth() {
    for (const item of items) {
      const truth = await control<GroundTruth>('GET', `/__emulator/items/${item.plaidItemId}/ground-truth`);
      expect(await ourTransactions(database.db, userId, item.id)).toEqual(byId(expectedTransactions(truth)));
      expect(await ourAccounts(database.db, userId, item.id)).toEqual(expectedAccounts(truth));
      expect(await ourInvestmentTransactions(database.db, userId, item.id)).toEqual(
        expectedInvestmentTransactions(withinFirstPull(truth)),
      );
    }
    const allTruth = await Promise.all(
      items.map((i) => control<GroundTruth>('GET', `/__emulator/items/${i.plaidItemId}/ground-truth`)),
    );
    expect(await ourHoldings(database.db, userId)).toEqual(
      expectedHoldings({ ...allTruth[0]!, holdings: allTruth.flatMap((t) => t.holdings) }),
    );
    // No row twice: one row per Plaid transaction id.
    const [dupes] = await database.db
      .select({ n: sql<number>`count(*) - count(distinct ${transactions.plaidTransactionId})` })
      .from(transactions);
    expect(Number(dupes!.n)).toBe(0);
    // The stored cursor is the one the last successful transactions run committed with its data.
    for (const item of items) {
      const [row] = await database.db
        .select({ cursor: plaidItems.transactionsCursor })
        .from(plaidItems)
        .where(eq(plaidItems.id, item.id));
      const [last] = await database.db
        .select({ cursor: syncRuns.cursorAfter })
        .from(syncRuns)
        .where(
          and(
            eq(syncRuns.itemId, item.id),
            eq(syncRuns.product, 'transactions'),
            eq(syncRuns.status, 'succeeded'),
          ),
        )
        .orderBy(sql`${syncRuns.finishedAt} desc`)
        .limit(1);
      expect(row!.cursor).toBe(last!.cursor);
    }
  }

  it('should recover from a worker killed with SIGKILL in the middle of a sync', async () => {
    await recover();
    await control('POST', `/__emulator/items/${items[0]!.plaidItemId}/mutate`);
    // Slow pages, so that the kill lands while the transactions product runs.
    await control('POST', '/__emulator/latency', { endpoint: '/transactions/sync', ms: 400 });
    await enqueue(0);
    const owner = await until('a worker to start syncing item 0', async () => {
      const [row] = await database.db
        .select({ owner: plaidItems.syncLockOwner })
        .from(plaidItems)
        .where(eq(plaidItems.id, items[0]!.id));
      const [running] = await database.db
        .select({ id: syncRuns.id })
        .from(syncRuns)
        .where(
          and(
            eq(syncRuns.itemId, items[0]!.id),
            eq(syncRuns.product, 'transactions'),
            eq(syncRuns.status, 'running'),
          ),
        );
      return running && row?.owner ? row.owner : undefined;
    });
    // The lock owner is host:pid/job: kill exactly that process.
    const pid = Number(/:(\d+)\//.exec(owner)![1]);
    const victim = workers.find((w) => w.process.pid === pid)!;
    expect(victim).toBeDefined();
    workers.splice(workers.indexOf(victim), 1);
    expect(await victim.stop('SIGKILL')).toBeNull();
    await recover();
    await expectGroundTruth();
    // The dead worker's runs were closed by the worker that took the item over.
    const lost = await database.db
      .select({ error: syncRuns.error })
      .from(syncRuns)
      .where(and(eq(syncRuns.itemId, items[0]!.id), eq(syncRuns.status, 'failed')));
    expect(lost.some((r) => (r.error as { name?: string } | null)?.name === 'WorkerLost')).toBe(true);
  }, 120_000);

  it(
    `should end equal to the ground truth after ${RUNS} random fault mixes`,
    async () => {
      await recover();
      await expectGroundTruth();
      await fc.assert(
        fc.asyncProperty(
          // Every scenario changes the data (amendments, removals, additions), then mixes in the rest.
          fc.record({
            kind: fc.constant('mutate' as const),
            item: fc.integer({ min: 0, max: 2 }),
            times: fc.integer({ min: 3, max: 6 }),
          }),
          fc.array(stepArb, { minLength: 1, maxLength: 4 }),
          async (change, steps) => {
            for (const step of [change, ...steps]) await runStep(step);
            await recover();
            await expectGroundTruth();
          },
        ),
        { numRuns: RUNS, endOnFailure: true },
      );
    },
    RUNS * 90_000 + 120_000,
  );
});
