/**
 * What a failed or skipped product run records in `sync_runs.error`: plain values only (never an
 * AxiosError, a request config or an access token), with the decision of the error policy and whether
 * the future job queue should retry.
 */

import { CursorMovedError } from '../../db/repositories/sync-data.js';
import {
  classifyPlaidError,
  isPlaidApiError,
  type PlaidApiErrorDetails,
  type PlaidErrorAction,
  type ErrorItemStatus,
} from '../../plaid/errors.js';

export type SyncRunError =
  | (PlaidApiErrorDetails & {
      kind: 'plaid';
      action: PlaidErrorAction;
      itemStatus: ErrorItemStatus | null;
      retryable: boolean;
      retryAfterMs: number | null;
    })
  | { kind: 'internal'; name: string; message: string; retryable: boolean; retryAfterMs: number | null };

export function describeSyncError(error: unknown): SyncRunError {
  if (isPlaidApiError(error)) {
    const c = classifyPlaidError(error);
    // A mutation error that outlived the bounded restarts is transient: try the whole sync later.
    const retryable = c.action === 'retry' || c.action === 'restart_sync';
    return {
      kind: 'plaid',
      ...error.toJSON(),
      action: c.action,
      itemStatus: c.itemStatus ?? null,
      retryable,
      retryAfterMs: retryable ? (c.retryAfterMs ?? 1000) : null,
    };
  }
  if (error instanceof CursorMovedError) {
    return {
      kind: 'internal',
      name: error.name,
      message: error.message,
      retryable: true,
      retryAfterMs: 1000,
    };
  }
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  return { kind: 'internal', name, message, retryable: false, retryAfterMs: null };
}

/** Actions after which no further Plaid call is made for the item in this run. */
export const ITEM_STOPPING_ACTIONS: ReadonlySet<PlaidErrorAction> = new Set([
  'needs_user',
  'item_gone',
  'permission_revoked',
]);
