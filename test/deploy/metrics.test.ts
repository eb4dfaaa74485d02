/**
 * GET /metrics end to end, on PGlite and PostgreSQL: the whole service in this process (API, job queue,
 * in-process worker, the offline Plaid emulator), a person links an institution the way the Link page
 * does, the first sync runs from the queue, and the Prometheus text scraped before and after (parsed by
 * test/deploy/prometheus-text.ts) shows every family of issue #14 with values that moved, and no id, email
 * or amount in any label. Also: no token, no /metrics; a wrong token, 401; a worker's own port.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import { createLogger } from '../../src/lib/logger.js';
import { metricsPlugin } from '../../src/metrics/http.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { runWorker } from '../../src/worker.js';
import { TEST_ENCRYPTION_KEY, TEST_JWT_SECRET, testConfig } from '../helpers/config.js';
import { createPostgresDatabase, databaseKinds } from '../helpers/database.js';
import { until } from '../helpers/wait.js';
import { parsePrometheusText, total, type Exposition } from './prometheus-text.js';

const TOKEN = 'metrics-token-for-the-test-0123456789';
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
/** What an amount looks like as text (2 decimals); bucket bounds are looked at apart. */
const AMOUNT = /^-?\d+\.\d{2}$/;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

describe.each(databaseKinds())('GET /metrics during a sync (%s)', (kind) => {
  let running: RunningServer;
  let dataDir: string;
  let drop: (() => Promise<void>) | undefined;
  let databaseUrl: string | undefined;
  let token: string;
  const ids: string[] = [];
  const email = 'metrics@example.com';

  const scrape = async (bearer = TOKEN) =>
    fetch(`${running.url}/metrics`, { headers: { authorization: `Bearer ${bearer}` } });
  const exposition = async (): Promise<Exposition> => {
    const res = await scrape();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parsePrometheusText(await res.text());
  };
  const api = async <T>(method: string, url: string, body?: unknown) => {
    const res = await fetch(`${running.url}${url}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as T };
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'fa-metrics-'));
    if (kind === 'postgres') {
      const created = await createPostgresDatabase();
      drop = created.drop;
      databaseUrl = created.url;
    }
    const port = await freePort();
    const config = testConfig({
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      DATA_DIR: dataDir,
      METRICS_TOKEN: TOKEN,
      WORKER_POLL_INTERVAL_SECONDS: '0.5',
      ...(databaseUrl
        ? {
            DATABASE_URL: databaseUrl,
            JWT_SECRET_KEY: TEST_JWT_SECRET,
            ENCRYPTION_KEY_BASE64: TEST_ENCRYPTION_KEY,
          }
        : {}),
    });
    running = await startServer(config, createLogger('silent'));
    const { user } = await running.app.services.users.create({ email, password: 'a long passphrase' });
    ids.push(user.id);
    token = (await running.app.services.auth.createToken(user.id, { name: 'metrics', scope: 'write' })).token;
  }, 120_000);

  afterAll(async () => {
    await running?.close();
    await drop?.();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers only its bearer: 401 for none or a wrong token', async () => {
    expect((await fetch(`${running.url}/metrics`)).status).toBe(401);
    const wrong = await scrape('not-the-token-at-all-0123456789');
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('content-type')).toMatch(/problem\+json/);
  });

  it('shows every family, with values that move during a sync, and no id or amount in a label', async () => {
    const before = await exposition();

    // A person links an institution as the Link page does; the first sync runs from the queue.
    const link = await api<{ link_token: string }>('POST', '/v1/plaid/link-token', {});
    expect(link.status).toBe(200);
    const session = await fetch(`${running.plaidEmulator!.url}/link/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        link_token: link.body.link_token,
        institution_id: 'ins_109508',
        username: 'user_good',
        password: 'pass_good',
      }),
    });
    expect(session.status).toBe(200);
    const { public_token } = (await session.json()) as { public_token: string };
    const exchanged = await api<{ item: { id: string }; sync: { run_ids: string[] } }>(
      'POST',
      '/v1/plaid/item/public-token/exchange',
      { public_token },
    );
    expect(exchanged.status).toBe(201);
    const itemId = exchanged.body.item.id;
    ids.push(itemId);
    const runs = await until('the first sync to finish', async () => {
      const page = await api<{ data: { id: string; status: string; finished_at: string | null }[] }>(
        'GET',
        '/v1/sync/runs',
      );
      const mine = page.body.data.filter((r) => exchanged.body.sync.run_ids.includes(r.id));
      return mine.length > 0 && mine.every((r) => r.finished_at !== null) && mine;
    });
    expect(runs.some((r) => r.status === 'succeeded')).toBe(true);
    // The person's read model is refreshed once the item's products are done (after their ledger rows).
    await until('the refresh after the sync', async () => {
      const now = await exposition();
      return (
        total(now, 'finance_analytics_refresh_duration_seconds_count') >
        total(before, 'finance_analytics_refresh_duration_seconds_count')
      );
    });

    // A Plaid error (a public token Plaid never issued), a forged webhook, a read asked twice.
    const bogus = await api('POST', '/v1/plaid/item/public-token/exchange', {
      public_token: 'public-sandbox-00000000-0000-4000-8000-000000000000',
    });
    expect(bogus.status).toBeGreaterThanOrEqual(400);
    const forged = await fetch(`${running.url}/v1/sync/plaid/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'plaid-verification': 'not.a.jwt' },
      body: JSON.stringify({ webhook_type: 'TRANSACTIONS', webhook_code: 'SYNC_UPDATES_AVAILABLE' }),
    });
    expect(forged.status).toBe(401);
    for (let i = 0; i < 2; i++) {
      expect((await api('GET', '/v1/transactions?limit=5')).status).toBe(200);
      expect((await api('GET', `/v1/items/${itemId}`)).status).toBe(200);
    }
    const after = await exposition();
    const moved = (name: string, labels: Record<string, string> = {}) =>
      total(after, name, labels) - total(before, name, labels);

    expect(
      moved('finance_http_requests_total', { route: '/v1/plaid/link-token', method: 'POST', status: '200' }),
    ).toBe(1);
    expect(
      moved('finance_http_requests_total', { route: '/v1/items/:id', method: 'GET', status: '200' }),
    ).toBe(2);
    expect(moved('finance_http_request_duration_seconds_count', { route: '/v1/transactions' })).toBe(2);
    expect(
      moved('finance_sync_runs_total', { product: 'transactions', status: 'succeeded' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      moved('finance_sync_runs_total', { product: 'accounts', status: 'succeeded' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      moved('finance_sync_run_duration_seconds_count', { product: 'transactions' }),
    ).toBeGreaterThanOrEqual(1);
    expect(moved('finance_transactions_applied_total', { change: 'added' })).toBeGreaterThan(0);
    expect(moved('finance_plaid_errors_total', { endpoint: 'itemPublicTokenExchange' })).toBe(1);
    expect(moved('finance_webhook_events_total', { outcome: 'rejected' })).toBe(1);
    expect(moved('finance_analytics_refresh_duration_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(
      moved('finance_cache_lookups_total', { cache: 'read_answers', result: 'miss' }),
    ).toBeGreaterThanOrEqual(1);
    expect(moved('process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(after.types.get('nodejs_eventloop_lag_seconds')).toBe('gauge');
    for (const queue of ['sync-item', 'plaid-webhook', 'scheduled-refresh']) {
      expect(
        after.samples.filter((s) => s.name === 'finance_job_queue_depth' && s.labels.queue === queue),
      ).toHaveLength(3);
      expect(
        after.samples.some((s) => s.name === 'finance_job_dead_letters' && s.labels.queue === queue),
      ).toBe(true);
    }

    // A question asked again is answered from the read cache: a hit. (The refresh's change notice may
    // still arrive after the first answer was kept and drop it, so ask until the cache holds it.)
    await until('a read-cache hit', async () => {
      expect((await api('GET', '/v1/transactions?limit=5')).status).toBe(200);
      const now = await exposition();
      return (
        total(now, 'finance_cache_lookups_total', { cache: 'read_answers', result: 'hit' }) >
        total(before, 'finance_cache_lookups_total', { cache: 'read_answers', result: 'hit' })
      );
    });

    // No person, item, email or amount in any label: only bounded words, routes as patterns.
    for (const sample of after.samples) {
      for (const [label, value] of Object.entries(sample.labels)) {
        expect(value, `${sample.name} ${label}`).not.toMatch(UUID);
        for (const id of ids) expect(value, `${sample.name} ${label}`).not.toContain(id);
        expect(value).not.toContain(email);
        if (label !== 'le' && label !== 'quantile' && label !== 'version')
          expect(value, `${sample.name} ${label}`).not.toMatch(AMOUNT);
      }
      if (sample.labels.route) expect(sample.labels.route).toMatch(/^(\/[a-z0-9._:{}*-]*)+$|^unmatched$/i);
    }
  });
});

describe("metrics off, and a worker's own", () => {
  it('has no /metrics without METRICS_TOKEN (404), while requests are still counted', async () => {
    const metrics = createMetrics({ role: 'api', processMetrics: false });
    const app = Fastify();
    await app.register(metricsPlugin, { metrics, token: undefined });
    app.get('/v1/things/:id', async () => ({ ok: true }));
    try {
      expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(404);
      expect((await app.inject({ method: 'GET', url: '/v1/things/123' })).statusCode).toBe(200);
      const text = parsePrometheusText(await metrics.render());
      expect(total(text, 'finance_http_requests_total', { route: '/v1/things/:id', status: '200' })).toBe(1);
      expect(total(text, 'finance_http_requests_total', { route: 'unmatched', status: '404' })).toBe(1);
    } finally {
      await app.close();
    }
  });

  it.runIf(databaseKinds().includes('postgres'))(
    "serves a worker's metrics on WORKER_METRICS_PORT to the same bearer, and nothing else",
    async () => {
      const created = await createPostgresDatabase();
      const port = await freePort();
      const worker = await runWorker(
        testConfig({
          DATABASE_URL: created.url,
          JWT_SECRET_KEY: TEST_JWT_SECRET,
          ENCRYPTION_KEY_BASE64: TEST_ENCRYPTION_KEY,
          METRICS_TOKEN: TOKEN,
          WORKER_METRICS_PORT: String(port),
        }),
        createLogger('silent'),
      );
      try {
        expect(worker.metricsUrl).toBe(`http://127.0.0.1:${port}/metrics`);
        const ok = await fetch(worker.metricsUrl!, { headers: { authorization: `Bearer ${TOKEN}` } });
        expect(ok.status).toBe(200);
        const text = parsePrometheusText(await ok.text());
        const depth = text.samples.filter((s) => s.name === 'finance_job_queue_depth');
        expect(depth.length).toBeGreaterThan(0);
        expect(depth.every((s) => s.labels.role === 'worker')).toBe(true);
        expect(text.types.get('finance_sync_runs_total')).toBe('counter');
        expect((await fetch(worker.metricsUrl!)).status).toBe(401);
        expect((await fetch(`http://127.0.0.1:${port}/v1/me`)).status).toBe(404);
      } finally {
        await worker.close();
        await created.drop();
      }
    },
    60_000,
  );
});
