import type { RetentionConfig } from '../../config/schema.js';
import type { RetentionRepository, RetentionTarget } from '../../db/repositories/retention.js';
import type { Logger } from '../../lib/logger.js';

/**
 * Retention (docs/operations.md#retention): what grows with every sync and webhook and is only needed for
 * a while (raw Plaid pages, webhook events, the sync ledger, credentials that expired or were revoked)
 * is deleted once older than its setting, in batches, so that no statement holds a large table for long.
 * A setting of 0 keeps that kind forever.
 */

/** Rows per DELETE statement. */
export const RETENTION_BATCH_ROWS = 1000;
/** Batches per kind per run: a run stays bounded; the next one continues. */
export const RETENTION_MAX_BATCHES = 500;

const DAY_MS = 86_400_000;

/** Each target and the setting that keeps it. */
function daysOf(config: RetentionConfig, target: RetentionTarget): number {
  switch (target) {
    case 'plaid_payloads':
      return config.plaidPayloadsDays;
    case 'webhook_events':
      return config.webhookEventsDays;
    case 'sync_runs':
      return config.syncRunsDays;
    case 'api_tokens':
    case 'oauth_records':
    case 'web_sessions':
      return config.expiredCredentialsDays;
  }
}

const TARGETS: RetentionTarget[] = [
  'plaid_payloads',
  'webhook_events',
  'sync_runs',
  'api_tokens',
  'oauth_records',
  'web_sessions',
];

export type PruneResult = Partial<Record<RetentionTarget, number>>;

export function createRetentionService(deps: {
  retention: RetentionRepository;
  config: RetentionConfig;
  logger?: Pick<Logger, 'info'>;
  batchRows?: number;
}) {
  const batchRows = deps.batchRows ?? RETENTION_BATCH_ROWS;
  return {
    /** Deletes what is older than its setting; returns the rows deleted per kind (kinds kept forever absent). */
    async prune(now: Date = new Date()): Promise<PruneResult> {
      const result: PruneResult = {};
      for (const target of TARGETS) {
        const days = daysOf(deps.config, target);
        if (days <= 0) continue;
        const before = new Date(now.getTime() - days * DAY_MS);
        let deleted = 0;
        for (let batch = 0; batch < RETENTION_MAX_BATCHES; batch++) {
          const n = await deps.retention.pruneBatch(target, before, batchRows);
          deleted += n;
          if (n < batchRows) break;
        }
        result[target] = deleted;
      }
      deps.logger?.info({ deleted: result }, 'retention: old rows pruned');
      return result;
    },
  };
}

export type RetentionService = ReturnType<typeof createRetentionService>;
