import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every metric the service exposes (GET /metrics on the API, WORKER_METRICS_PORT on a worker), in one
 * registry per process, and the small recorder through which the rest of the code reports to them. The
 * domain never imports prom-client: it is handed a `MetricsRecorder` (src/domain/services.ts), and code
 * that has none records into `noMetrics`.
 *
 * Labels are bounded and never carry a person, an item, an amount or a URL: routes are Fastify's route
 * patterns (`/v1/accounts/:id`), Plaid error codes and job queue names are checked against a pattern,
 * everything else is one of a fixed set of words (docs/deploy.md#metrics lists the families).
 */

/** What one product's sync run ended as (the `sync_runs.status` of its ledger row). */
export type SyncRunStatus = 'succeeded' | 'failed' | 'skipped';

export interface MetricsRecorder {
  /** One answered HTTP request: the route's pattern (never the URL), the method and the status code. */
  httpRequest(route: string, method: string, status: number, seconds: number): void;
  /** One product's sync run, with the rows it added, modified and removed when it succeeded. */
  syncRun(
    product: string,
    status: SyncRunStatus,
    seconds: number,
    counts?: { added: number; modified: number; removed: number },
  ): void;
  /** A Plaid call that failed, by Plaid's error code (or `NO_RESPONSE`), and the adapter method. */
  plaidError(endpoint: string, code: string): void;
  /** A Plaid webhook received (`received`, `duplicate`, `rejected`) or processed (its action). */
  webhookEvent(outcome: string): void;
  /** One refresh of a person's read model, by outcome (`refreshed`, `covered`, `deferred`, `failed`). */
  analyticsRefresh(outcome: string, seconds: number): void;
  /** One lookup in a process cache that was serving. */
  cacheLookup(cache: string, hit: boolean): void;
}

/** Records nothing: for code built without metrics (the CLI, unit tests). */
export const noMetrics: MetricsRecorder = {
  httpRequest: () => undefined,
  syncRun: () => undefined,
  plaidError: () => undefined,
  webhookEvent: () => undefined,
  analyticsRefresh: () => undefined,
  cacheLookup: () => undefined,
};

/** Jobs of one queue in one state (pg-boss), for the queue gauges. */
export interface QueueCount {
  queue: string;
  state: string;
  count: number;
}

export interface Metrics {
  registry: Registry;
  recorder: MetricsRecorder;
  /** The Prometheus text exposition of every family. */
  render(): Promise<string>;
  contentType: string;
}

export interface MetricsOptions {
  /** `api` or `worker`: a constant label on every family, so one dashboard tells the two apart. */
  role: 'api' | 'worker';
  /** Counts the job queue's jobs by queue and state; read at each scrape. */
  queueCounts?: () => Promise<QueueCount[]>;
  /** Process metrics (CPU, memory, event loop lag, handles). Default true. */
  processMetrics?: boolean;
}

const LABEL_WORD = /^[A-Za-z0-9_.:-]{1,64}$/;
/** A label value from a bounded vocabulary, or `other`: nothing unexpected becomes a time series. */
const word = (value: string) => (LABEL_WORD.test(value) ? value : 'other');
const PLAID_CODE = /^[A-Z][A-Z0-9_]{0,63}$/;
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const SYNC_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900];

export function createMetrics(options: MetricsOptions): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ role: options.role });
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });

  const httpRequests = new Counter({
    name: 'finance_http_requests_total',
    help: 'HTTP requests answered, by route pattern, method and status code',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'finance_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by route pattern, method and status code',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const syncRuns = new Counter({
    name: 'finance_sync_runs_total',
    help: "Sync runs of one item's product, by product and status",
    labelNames: ['product', 'status'] as const,
    registers: [registry],
  });
  const syncDuration = new Histogram({
    name: 'finance_sync_run_duration_seconds',
    help: "Duration of a sync run of one item's product, by product and status",
    labelNames: ['product', 'status'] as const,
    buckets: SYNC_BUCKETS,
    registers: [registry],
  });
  const transactionsApplied = new Counter({
    name: 'finance_transactions_applied_total',
    help: 'Transactions applied by syncs, by change (added, modified, removed)',
    labelNames: ['change'] as const,
    registers: [registry],
  });
  const plaidErrors = new Counter({
    name: 'finance_plaid_errors_total',
    help: "Failed Plaid calls, by Plaid's error code and endpoint",
    labelNames: ['code', 'endpoint'] as const,
    registers: [registry],
  });
  const webhookEvents = new Counter({
    name: 'finance_webhook_events_total',
    help: 'Plaid webhooks, by outcome (received, duplicate, rejected, or the action processing took)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const analyticsRefreshes = new Histogram({
    name: 'finance_analytics_refresh_duration_seconds',
    help: "Duration of a refresh of a person's read model, by outcome",
    labelNames: ['outcome'] as const,
    buckets: SYNC_BUCKETS,
    registers: [registry],
  });
  const cacheLookups = new Counter({
    name: 'finance_cache_lookups_total',
    help: 'Lookups in the process caches while they serve, by cache and result (hit, miss)',
    labelNames: ['cache', 'result'] as const,
    registers: [registry],
  });

  if (options.queueCounts) {
    const queueCounts = options.queueCounts;
    // One read of the queue per scrape, shared by the two gauges.
    let pending: Promise<QueueCount[]> | undefined;
    const read = () => {
      pending ??= queueCounts().finally(() => {
        pending = undefined;
      });
      return pending;
    };
    new Gauge({
      name: 'finance_job_queue_depth',
      help: 'Jobs waiting or running, by queue and state (created, retry, active)',
      labelNames: ['queue', 'state'] as const,
      registers: [registry],
      async collect() {
        this.reset();
        for (const row of await read()) {
          if (['created', 'retry', 'active'].includes(row.state)) {
            this.set({ queue: word(row.queue), state: row.state }, row.count);
          }
        }
      },
    });
    new Gauge({
      name: 'finance_job_dead_letters',
      help: 'Jobs that gave up after their retries (kept by the queue), by queue',
      labelNames: ['queue'] as const,
      registers: [registry],
      async collect() {
        this.reset();
        for (const row of await read()) {
          if (row.state === 'failed') this.set({ queue: word(row.queue) }, row.count);
        }
      },
    });
  }

  const recorder: MetricsRecorder = {
    httpRequest(route, method, status, seconds) {
      const labels = {
        route: route || 'unmatched',
        method: METHODS.has(method) ? method : 'other',
        status: String(status),
      };
      httpRequests.inc(labels);
      httpDuration.observe(labels, seconds);
    },
    syncRun(product, status, seconds, counts) {
      const labels = { product: word(product), status };
      syncRuns.inc(labels);
      syncDuration.observe(labels, seconds);
      if (counts && product === 'transactions') {
        transactionsApplied.inc({ change: 'added' }, counts.added);
        transactionsApplied.inc({ change: 'modified' }, counts.modified);
        transactionsApplied.inc({ change: 'removed' }, counts.removed);
      }
    },
    plaidError(endpoint, code) {
      plaidErrors.inc({ code: PLAID_CODE.test(code) ? code : 'OTHER', endpoint: word(endpoint) });
    },
    webhookEvent(outcome) {
      webhookEvents.inc({ outcome: word(outcome) });
    },
    analyticsRefresh(outcome, seconds) {
      analyticsRefreshes.observe({ outcome: word(outcome) }, seconds);
    },
    cacheLookup(cache, hit) {
      cacheLookups.inc({ cache: word(cache), result: hit ? 'hit' : 'miss' });
    },
  };

  return {
    registry,
    recorder,
    render: () => registry.metrics(),
    contentType: registry.contentType,
  };
}
