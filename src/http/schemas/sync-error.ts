import { z } from 'zod';
import { syncErrorActions } from '../../domain/sync/run-errors.js';
import type { ErrorItemStatus } from '../../plaid/errors.js';

const errorItemStatuses = [
  'login_required',
  'pending_expiration',
  'revoked',
  'error',
] as const satisfies readonly ErrorItemStatus[];

/**
 * Why a sync run failed or was skipped, or why a product is not active: Plaid's error fields and the
 * decision taken (`toSyncErrorView` in src/domain/sync/run-errors.ts builds it).
 */
export const syncErrorSchema = z
  .object({
    source: z.enum(['plaid', 'internal']).describe('plaid: Plaid answered with an error; internal: ours'),
    code: z
      .string()
      .describe(
        'Plaid error_code (e.g. NO_INVESTMENT_ACCOUNTS), or the name of our error: Absorbed (another ' +
          'sync of the item covers this one), ItemNeedsOwner (the item needs Link update mode), WorkerLost ' +
          '(the worker stopped; the sync that took the item over ran it again), ProductNotSynced, ' +
          'CursorMovedError, TransactionsNotReady, or a database error class',
      ),
    message: z.string().describe('Plaid error_message (developer text, unstable) or ours'),
    action: z
      .enum(syncErrorActions)
      .describe(
        'What the service did: needs_user, retry, restart_sync, product_unavailable (product turned ' +
          'off for the item), item_gone, permission_revoked, fatal (no retry), absorbed, item_blocked, ' +
          'product_off (the product is not synced for this item)',
      ),
    retryable: z.boolean().describe('True when the sync job is retried (with backoff)'),
    retry_after_ms: z.number().int().nullable().describe('Smallest delay before that retry'),
    item_status: z
      .enum(errorItemStatuses)
      .nullable()
      .describe('The status this error gave the item (null: the item’s status was not changed)'),
    plaid: z
      .object({
        error_type: z.string().describe('e.g. ITEM_ERROR, RATE_LIMIT_EXCEEDED; NETWORK when no answer came'),
        error_code: z.string(),
        error_message: z.string(),
        display_message: z.string().nullable(),
        request_id: z.string().nullable(),
        http_status: z.number().int().nullable(),
        endpoint: z.string().describe('The Plaid path that failed, e.g. /investments/holdings/get'),
      })
      .nullable()
      .describe('Plaid’s error as it answered (null for our own errors)'),
  })
  .meta({
    id: 'SyncError',
    example: {
      source: 'plaid',
      code: 'NO_INVESTMENT_ACCOUNTS',
      message: 'No investment accounts were found for this item.',
      action: 'product_unavailable',
      retryable: false,
      retry_after_ms: null,
      item_status: null,
      plaid: {
        error_type: 'ITEM_ERROR',
        error_code: 'NO_INVESTMENT_ACCOUNTS',
        error_message: 'No investment accounts were found for this item.',
        display_message: null,
        request_id: 'm8MDnv9okwxFNBV',
        http_status: 400,
        endpoint: '/investments/holdings/get',
      },
    },
  });
