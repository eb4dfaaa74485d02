import { sql, type SQL } from 'drizzle-orm';
import { selectRows, type Database } from '../client.js';

/**
 * What the retention job prunes (src/jobs/retention.ts, docs/operations.md#retention): rows older than a
 * cut-off, deleted in batches of at most `batch` rows per statement so that no statement holds locks on
 * a large table for long. Each method deletes one batch and says how many rows went; the caller repeats
 * until a batch comes back short. Operator-wide by nature (no owner): a row is pruned by age alone.
 */

export const retentionTargets = [
  'plaid_payloads',
  'webhook_events',
  'sync_runs',
  'api_tokens',
  'oauth_records',
  'web_sessions',
] as const;
export type RetentionTarget = (typeof retentionTargets)[number];

/** The rows of one target that are due (older than the cut-off); a subquery of ids, limited to `batch`. */
function dueRows(target: RetentionTarget, before: Date, batch: number): SQL {
  const at = before.toISOString();
  switch (target) {
    case 'plaid_payloads':
      return sql`select id from plaid_payloads where created_at < ${at}::timestamptz limit ${batch}`;
    case 'webhook_events':
      return sql`select id from webhook_events where created_at < ${at}::timestamptz limit ${batch}`;
    case 'sync_runs':
      // Finished runs only, and never an item's newest succeeded run of a product: freshness and the
      // sync's first-run checks read it.
      return sql`select r.id from sync_runs r
                  where r.status in ('succeeded', 'failed', 'skipped')
                    and r.finished_at < ${at}::timestamptz
                    and not (r.status = 'succeeded' and not exists (
                      select 1 from sync_runs n
                       where n.item_id = r.item_id and n.product = r.product and n.status = 'succeeded'
                         and (n.finished_at, n.id) > (r.finished_at, r.id)))
                  limit ${batch}`;
    case 'api_tokens':
      return sql`select id from api_tokens
                  where revoked_at < ${at}::timestamptz or expires_at < ${at}::timestamptz
                  limit ${batch}`;
    case 'oauth_records':
      return sql`select model, id from oauth_records where expires_at < ${at}::timestamptz limit ${batch}`;
    case 'web_sessions':
      return sql`select id from web_sessions
                  where expires_at < ${at}::timestamptz or revoked_at < ${at}::timestamptz
                  limit ${batch}`;
  }
}

export function createRetentionRepository(db: Database) {
  return {
    /** Deletes at most `batch` rows of `target` older than `before`; returns how many it deleted. */
    async pruneBatch(target: RetentionTarget, before: Date, batch: number): Promise<number> {
      const key = target === 'oauth_records' ? sql`(model, id)` : sql`id`;
      const [row] = await selectRows<{ n: number }>(
        db,
        sql`with gone as (
              delete from ${sql.identifier(target)} where ${key} in (${dueRows(target, before, batch)})
              returning 1)
            select count(*)::int as n from gone`,
      );
      return row?.n ?? 0;
    },
  };
}

export type RetentionRepository = ReturnType<typeof createRetentionRepository>;
