import { sql } from 'drizzle-orm';
import { selectRows, type Database } from '../db/client.js';
import type { AnalyticsMaterializers } from '../domain/analytics/materializers.js';
import type { WebhookService } from '../domain/webhooks/service.js';
import type { ListenedCache } from '../lib/listened-cache.js';
import type { PlaidClient } from '../plaid/client.js';
import { isPlaidApiError } from '../plaid/errors.js';
import type { MetricsRecorder, QueueCount } from './metrics.js';

/**
 * Where the metrics are taken without the code they measure knowing: decorators the composition root
 * (src/domain/services.ts) and the app (src/app.ts) put around the Plaid adapter, the read-model
 * materializers, the webhook service and the caches. What only the sync service can tell (one product's
 * run, its duration and counts) it reports itself through the recorder it is given.
 */

/** Counts every failed Plaid call by its error code; the client is otherwise unchanged. */
export function instrumentPlaid(client: PlaidClient, metrics: MetricsRecorder): PlaidClient {
  return new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      return async (...args: unknown[]) => {
        try {
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } catch (error) {
          metrics.plaidError(property, isPlaidApiError(error) ? error.errorCode : 'INTERNAL');
          throw error;
        }
      };
    },
  });
}

/** Times every refresh of a person's read model, by its outcome. */
export function instrumentMaterializers(
  materializers: AnalyticsMaterializers,
  metrics: MetricsRecorder,
): AnalyticsMaterializers {
  const refresh = materializers.refreshUserAnalytics.bind(materializers);
  return {
    ...materializers,
    refreshUserAnalytics: async (userId, options) => {
      const started = performance.now();
      try {
        const outcome = await refresh(userId, options);
        metrics.analyticsRefresh(outcome.status, (performance.now() - started) / 1000);
        return outcome;
      } catch (error) {
        metrics.analyticsRefresh('failed', (performance.now() - started) / 1000);
        throw error;
      }
    },
  };
}

/** Counts webhooks as they are received (or refused) and as they are processed (by the action taken). */
export function instrumentWebhooks(webhooks: WebhookService, metrics: MetricsRecorder): WebhookService {
  const receive = webhooks.receive.bind(webhooks);
  const process = webhooks.process.bind(webhooks);
  return {
    ...webhooks,
    receive: async (...args: Parameters<WebhookService['receive']>) => {
      try {
        const receipt = await receive(...args);
        metrics.webhookEvent(receipt.duplicate ? 'duplicate' : 'received');
        return receipt;
      } catch (error) {
        metrics.webhookEvent('rejected');
        throw error;
      }
    },
    process: async (webhookEventId: string) => {
      const result = await process(webhookEventId);
      metrics.webhookEvent(result.action ?? result.outcome);
      return result;
    },
  };
}

/** Counts the hits and misses of a cache's lookups while it serves (a cache turned off counts nothing). */
export function countCacheLookups<V>(
  name: string,
  cache: Pick<ListenedCache<V>, 'get' | 'serving'>,
  metrics: MetricsRecorder,
): void {
  const get = cache.get.bind(cache);
  cache.get = (key: string) => {
    const value = get(key);
    if (cache.serving) metrics.cacheLookup(name, value !== undefined);
    return value;
  };
}

/**
 * The job queue's jobs by queue and state (pg-boss's own tables), read at each scrape: every queue and
 * state, with 0 where there is none, so that an empty queue is a 0 on the dashboard rather than no line.
 */
export function queueCountsOf(db: Database): () => Promise<QueueCount[]> {
  return async () => {
    const rows = await selectRows<{ queue: string; state: string; count: number | string }>(
      db,
      sql`select q.name as queue, s.state, count(j.id)::int as count
          from pgboss.queue q
          cross join (values ('created'), ('retry'), ('active'), ('failed')) as s(state)
          left join pgboss.job j on j.name = q.name and j.state::text = s.state
          group by q.name, s.state`,
    ).catch(() => []); // no queue schema yet (the queue never started on this database): no queue lines
    return rows.map((row) => ({ queue: row.queue, state: row.state, count: Number(row.count) }));
  };
}
