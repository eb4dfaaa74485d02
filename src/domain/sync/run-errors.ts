/**
 * Why a product run failed or was skipped: the one shape stored in `sync_runs.error` (and in
 * `item_products.reason`, `plaid_items.last_error` after a sync), for Plaid's errors and for ours.
 *
 * Plain values only: never an AxiosError, a request config, an access token, nor a database error's
 * message (drizzle's carries the statement and its parameters: amounts, names). Each error carries the
 * decision taken about it: the `action`, whether the job queue should retry, and after how long.
 * `toSyncErrorView` is what the API shows of it (`GET /v1/sync/runs`, `GET /v1/items`).
 */

import type { z } from 'zod';
import { loggedDatabaseError, withoutStatement } from '../../db/errors.js';
import { CursorMovedError } from '../../db/repositories/sync-data.js';
import { cleanOptionalUntrustedText, cleanUntrustedText, UNTRUSTED_TEXT_LIMITS } from '../../lib/text.js';
import {
  classifyPlaidError,
  isPlaidApiError,
  type ErrorItemStatus,
  type PlaidApiErrorDetails,
  type PlaidErrorAction,
  type ProductState,
} from '../../plaid/errors.js';
import type { syncErrorSchema } from '../../http/schemas/sync-error.js';

/**
 * What was done about an error: Plaid's policy (`PlaidErrorAction`), or one of ours:
 * `absorbed` — another sync of the item covers this run (a pending one, or the one that took over from a
 * lost worker); `item_blocked` — the item needs its owner, nothing was called; `product_off` — the
 * product is not synced for this item (not linked, or Plaid said it is unsupported).
 */
export const syncErrorActions = [
  'needs_user',
  'retry',
  'restart_sync',
  'product_unavailable',
  'item_gone',
  'permission_revoked',
  'fatal',
  'absorbed',
  'item_blocked',
  'product_off',
] as const;
export type SyncErrorAction = (typeof syncErrorActions)[number];

/** Our own errors that end or skip a run (anything else unexpected is stored under its class name). */
export type InternalSyncErrorName =
  | 'Absorbed'
  | 'ItemNeedsOwner'
  | 'WorkerLost'
  | 'ProductNotSynced'
  | 'CursorMovedError'
  | 'TransactionsNotReady';

/** The decision taken about an error. */
export interface SyncErrorDecision {
  action: SyncErrorAction;
  /** True when the job queue retries the sync (transient errors). */
  retryable: boolean;
  /** The smallest sensible delay before that retry; null when not retried. */
  retryAfterMs: number | null;
}

export type SyncRunError =
  | (PlaidApiErrorDetails &
      SyncErrorDecision & {
        kind: 'plaid';
        name: 'PlaidApiError';
        action: PlaidErrorAction;
        /** The item's new status when the error says something about the item's health. */
        itemStatus: ErrorItemStatus | null;
      })
  | (SyncErrorDecision & {
      kind: 'internal';
      name: InternalSyncErrorName | (string & {});
      message: string;
      /** SQLSTATE of a database error (e.g. 40P01), when it was one. */
      code?: string;
    });

export type InternalSyncRunError = Extract<SyncRunError, { kind: 'internal' }>;

/** One of our own errors. */
export function internalSyncError(
  name: InternalSyncErrorName,
  message: string,
  decision: SyncErrorDecision,
): InternalSyncRunError {
  return { kind: 'internal', name, message, ...decision };
}

/** The product state a run error puts the product in (unsupported / not ready), if any. */
export function productStateOf(error: SyncRunError): ProductState | null {
  if (error.kind === 'internal') return error.name === 'TransactionsNotReady' ? 'not_ready' : null;
  return classifyPlaidError(error).productState ?? null;
}

const fatal: SyncErrorDecision = { action: 'fatal', retryable: false, retryAfterMs: null };

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
    return internalSyncError('CursorMovedError', error.message, {
      action: 'retry',
      retryable: true,
      retryAfterMs: 1000,
    });
  }
  const db = loggedDatabaseError(error);
  if (db.code) {
    // Never the message: drizzle's holds the statement and its parameters.
    const detail = [db.constraint && `constraint ${db.constraint}`, db.table && `table ${db.table}`]
      .filter(Boolean)
      .join(', ');
    return {
      kind: 'internal',
      name: db.name,
      code: db.code,
      message: `database error ${db.code}${detail ? ` (${detail})` : ''}`,
      ...fatal,
    };
  }
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  // A drizzle wrapper without a SQLSTATE (a pool timeout, a dropped connection) keeps no statement either.
  return { kind: 'internal', name, message: withoutStatement(message).slice(0, 500), ...fatal };
}

/** Actions after which no further Plaid call is made for the item in this run. */
export const ITEM_STOPPING_ACTIONS: ReadonlySet<SyncErrorAction> = new Set([
  'needs_user',
  'item_gone',
  'permission_revoked',
]);

// ---------------------------------------------------------------------------------------------------
// Reading a stored error back, and the API's view of it.

function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

const actionSet: ReadonlySet<string> = new Set(syncErrorActions);

/** Rows written before every internal error carried its action (WorkerLost, Absorbed, ItemNeedsOwner…). */
function legacyInternalAction(name: string, retryable: boolean): SyncErrorAction {
  if (name === 'Absorbed') return 'absorbed';
  if (name === 'ItemNeedsOwner') return 'item_blocked';
  return retryable ? 'retry' : 'fatal';
}

/**
 * A stored error (`sync_runs.error`, `item_products.reason`) as a `SyncRunError`; null when there is
 * none. Tolerates rows written by earlier versions (internal errors without an action).
 */
export function readSyncRunError(stored: unknown): SyncRunError | null {
  if (stored === null || typeof stored !== 'object') return null;
  const e = stored as Record<string, unknown>;
  const retryable = e.retryable === true;
  const retryAfterMs = num(e.retryAfterMs);
  if (e.kind === 'plaid') {
    const errorType = str(e.errorType) ?? 'UNKNOWN';
    const errorCode = str(e.errorCode) ?? 'UNKNOWN';
    const action = str(e.action);
    return {
      kind: 'plaid',
      name: 'PlaidApiError',
      status: num(e.status),
      errorType,
      errorCode,
      // Plaid's messages may quote a bank's text: served as untrusted text, like every bank field.
      errorMessage: cleanUntrustedText(str(e.errorMessage) ?? '', UNTRUSTED_TEXT_LIMITS.description),
      displayMessage: cleanOptionalUntrustedText(str(e.displayMessage), UNTRUSTED_TEXT_LIMITS.description),
      requestId: str(e.requestId),
      endpoint: str(e.endpoint) ?? '',
      action:
        action && actionSet.has(action)
          ? (action as PlaidErrorAction)
          : classifyPlaidError({ errorType, errorCode }).action,
      itemStatus: (str(e.itemStatus) as ErrorItemStatus | null) ?? null,
      retryable,
      retryAfterMs,
    };
  }
  const name = str(e.name) ?? 'Error';
  const action = str(e.action);
  const code = str(e.code);
  return {
    kind: 'internal',
    name,
    message: str(e.message) ?? '',
    ...(code ? { code } : {}),
    action:
      action && actionSet.has(action) ? (action as SyncErrorAction) : legacyInternalAction(name, retryable),
    retryable,
    retryAfterMs,
  };
}

/** What the API shows of a run error: the `SyncError` schema (src/http/schemas/sync-error.ts) is its type. */
export type SyncErrorView = z.output<typeof syncErrorSchema>;

export function toSyncErrorView(stored: unknown): SyncErrorView | null {
  const e = readSyncRunError(stored);
  if (!e) return null;
  const decision = { action: e.action, retryable: e.retryable, retry_after_ms: e.retryAfterMs };
  if (e.kind === 'internal') {
    return {
      source: 'internal',
      code: e.name,
      message: e.message,
      ...decision,
      item_status: null,
      plaid: null,
    };
  }
  return {
    source: 'plaid',
    code: e.errorCode,
    message: e.errorMessage,
    ...decision,
    item_status: e.itemStatus,
    plaid: {
      error_type: e.errorType,
      error_code: e.errorCode,
      error_message: e.errorMessage,
      display_message: e.displayMessage,
      request_id: e.requestId,
      http_status: e.status,
      endpoint: e.endpoint,
    },
  };
}
