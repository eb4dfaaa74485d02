/**
 * Plaid errors, and the one policy that turns them into domain state.
 *
 * A `PlaidApiError` holds only plain values copied out of Plaid's error body: never the AxiosError, its
 * request config or its headers (they carry PLAID-SECRET). `classifyPlaidError` is pure and decides what
 * the sync does next and what the item's status becomes (docs/plaid-adapter.md has the table).
 */

import type { ItemStatus } from '../db/schema/items.js';

/** Error type used when no HTTP response arrived (timeout, refused connection, reset). */
export const NETWORK_ERROR_TYPE = 'NETWORK';

export interface PlaidApiErrorDetails {
  /** HTTP status, or null when no response arrived. */
  status: number | null;
  /** Plaid's `error_type` (e.g. ITEM_ERROR), 'NETWORK', or 'HTTP_ERROR' for a non-Plaid error body. */
  errorType: string;
  /** Plaid's `error_code` (e.g. ITEM_LOGIN_REQUIRED), 'TIMEOUT'/'NETWORK_ERROR', or 'HTTP_<status>'. */
  errorCode: string;
  /** Plaid's developer message: unstable text, for logs only; never branch on it. */
  errorMessage: string;
  /** Plaid's message meant for end users, when it sends one. */
  displayMessage: string | null;
  requestId: string | null;
  /** The Plaid path that failed, e.g. '/transactions/sync'. */
  endpoint: string;
}

export class PlaidApiError extends Error implements PlaidApiErrorDetails {
  override readonly name = 'PlaidApiError';
  readonly status: number | null;
  readonly errorType: string;
  readonly errorCode: string;
  readonly errorMessage: string;
  readonly displayMessage: string | null;
  readonly requestId: string | null;
  readonly endpoint: string;

  constructor(details: PlaidApiErrorDetails) {
    super(
      `Plaid ${details.endpoint} failed: ${details.errorType}/${details.errorCode} (${details.status ?? 'no response'})`,
    );
    this.status = details.status;
    this.errorType = details.errorType;
    this.errorCode = details.errorCode;
    this.errorMessage = details.errorMessage;
    this.displayMessage = details.displayMessage;
    this.requestId = details.requestId;
    this.endpoint = details.endpoint;
  }

  /** The plain fields, for logs, `plaid_items.last_error` and `sync_runs.error`. */
  toJSON(): PlaidApiErrorDetails & { name: 'PlaidApiError' } {
    return {
      name: this.name,
      status: this.status,
      errorType: this.errorType,
      errorCode: this.errorCode,
      errorMessage: this.errorMessage,
      displayMessage: this.displayMessage,
      requestId: this.requestId,
      endpoint: this.endpoint,
    };
  }
}

export function isPlaidApiError(value: unknown): value is PlaidApiError {
  return value instanceof PlaidApiError;
}

/** What the sync does next. */
export type PlaidErrorAction =
  /** The user must act (Link update mode): stop syncing the item until they do. */
  | 'needs_user'
  /** Transient: try again later with backoff (see `backoffMs`), without bothering the user. */
  | 'retry'
  /** /transactions/sync changed during pagination: restart the whole loop from the original cursor now. */
  | 'restart_sync'
  /** Permanent for this item and product: turn the product off for the item; other products carry on. */
  | 'product_unavailable'
  /** The item no longer exists at Plaid: the user must link again. */
  | 'item_gone'
  /** The user withdrew consent: delete the item's data and remove the item. */
  | 'permission_revoked'
  /** A bug, a configuration problem or a permanent failure: no retry; log it and surface it. */
  | 'fatal';

/** Item statuses the policy can set ('good' is set by a successful sync, never by an error). */
export type ErrorItemStatus = Exclude<ItemStatus, 'good'>;

/**
 * What the error says about the product that was called: `unsupported` (permanent for this item: the
 * institution or the item's accounts do not offer it) or `not_ready` (Plaid is still preparing it).
 */
export type ProductState = 'unsupported' | 'not_ready';

export interface PlaidErrorClassification {
  action: PlaidErrorAction;
  /** Set when the error is about the product called rather than the item or the request. */
  productState?: ProductState;
  /** The item's new status, when the error says something about the item's health. */
  itemStatus?: ErrorItemStatus;
  /** For 'retry': the smallest sensible delay; use it as `baseMs` of `backoffMs` for later attempts. */
  retryAfterMs?: number;
}

/** The fields the policy reads; a PlaidApiError has them, and so does a webhook's `error` once renamed. */
export interface PlaidErrorLike {
  status?: number | null;
  errorType: string;
  errorCode: string;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;

/** Delay floors for retryable errors (Plaid's rate-limit windows are per minute). */
export const retryDelays = {
  network: 1 * SECOND,
  serverError: 2 * SECOND,
  rateLimit: 1 * MINUTE,
  productNotReady: 1 * MINUTE,
  institution: 5 * MINUTE,
  plannedMaintenance: 5 * MINUTE,
} as const;

const needsUserCodes = new Set([
  'ITEM_LOGIN_REQUIRED',
  'INVALID_CREDENTIALS',
  'INVALID_MFA',
  'INVALID_UPDATED_USERNAME',
  'INSUFFICIENT_CREDENTIALS',
  'ITEM_LOCKED',
  'USER_SETUP_REQUIRED',
  'MFA_NOT_SUPPORTED',
  'ACCESS_NOT_GRANTED',
  'PASSWORD_RESET_REQUIRED',
]);

/** ITEM webhook codes that announce the login will stop working soon; the user should re-authenticate. */
const pendingExpirationCodes = new Set(['PENDING_EXPIRATION', 'PENDING_DISCONNECT']);

const productUnavailableCodes = new Set([
  'PRODUCTS_NOT_SUPPORTED',
  'PRODUCT_NOT_ENABLED',
  'NO_ACCOUNTS',
  'NO_INVESTMENT_ACCOUNTS',
  'NO_INVESTMENT_AUTH_ACCOUNTS',
  'NO_LIABILITY_ACCOUNTS',
  'NO_AUTH_ACCOUNTS',
  'ADDITIONAL_CONSENT_REQUIRED',
]);

const institutionTransientCodes = new Set([
  'INSTITUTION_DOWN',
  'INSTITUTION_NOT_RESPONDING',
  'INSTITUTION_NOT_AVAILABLE',
]);

/** Codes that say the item's access token is unusable (wrong environment, corrupted token...). */
const brokenItemCodes = new Set(['INVALID_ACCESS_TOKEN', 'INSTITUTION_NO_LONGER_SUPPORTED']);

/**
 * Plaid's error → what to do and the item's new status (NOTES §6). Branches on `error_type`/`error_code`
 * and the HTTP status only, never on message text. Unknown codes fall back on the status: 429 and 5xx
 * are retried; anything else is fatal (and marks the item `error` when Plaid called it an ITEM_ERROR).
 */
export function classifyPlaidError(error: PlaidErrorLike): PlaidErrorClassification {
  const { errorType, errorCode } = error;
  const status = error.status ?? null;

  if (errorCode === 'TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION') return { action: 'restart_sync' };
  if (errorCode === 'USER_PERMISSION_REVOKED' || errorCode === 'USER_ACCOUNT_REVOKED') {
    return { action: 'permission_revoked', itemStatus: 'revoked' };
  }
  if (errorCode === 'ITEM_NOT_FOUND' || errorCode === 'ITEM_CONCURRENTLY_DELETED') {
    return { action: 'item_gone', itemStatus: 'revoked' };
  }
  if (needsUserCodes.has(errorCode)) return { action: 'needs_user', itemStatus: 'login_required' };
  if (pendingExpirationCodes.has(errorCode))
    return { action: 'needs_user', itemStatus: 'pending_expiration' };
  if (productUnavailableCodes.has(errorCode))
    return { action: 'product_unavailable', productState: 'unsupported' };
  if (errorCode === 'PRODUCT_NOT_READY')
    return { action: 'retry', retryAfterMs: retryDelays.productNotReady, productState: 'not_ready' };
  if (institutionTransientCodes.has(errorCode))
    return { action: 'retry', retryAfterMs: retryDelays.institution };
  if (errorCode === 'PLANNED_MAINTENANCE')
    return { action: 'retry', retryAfterMs: retryDelays.plannedMaintenance };
  if (errorType === 'RATE_LIMIT_EXCEEDED' || errorCode === 'RATE_LIMIT_EXCEEDED' || status === 429) {
    return { action: 'retry', retryAfterMs: retryDelays.rateLimit };
  }
  if (errorType === NETWORK_ERROR_TYPE) return { action: 'retry', retryAfterMs: retryDelays.network };
  if (errorType === 'API_ERROR' || (status !== null && status >= 500)) {
    return { action: 'retry', retryAfterMs: retryDelays.serverError };
  }
  if (brokenItemCodes.has(errorCode)) return { action: 'fatal', itemStatus: 'error' };
  // INVALID_REQUEST (our bug), INVALID_INPUT (keys, tokens, account ids), SANDBOX_ERROR, unknown codes.
  if (errorType === 'ITEM_ERROR') return { action: 'fatal', itemStatus: 'error' };
  return { action: 'fatal' };
}

export interface BackoffOptions {
  /** Delay ceiling before jitter for attempt 0 (default 1 s). */
  baseMs?: number;
  /** Upper bound of any delay (default 15 minutes). */
  capMs?: number;
}

/**
 * Exponential backoff with full jitter: a uniform delay in [0, min(cap, base × 2^attempt)).
 * `attempt` counts from 0; `random` returns a number in [0, 1) (inject it in tests).
 */
export function backoffMs(
  attempt: number,
  random: () => number = Math.random,
  { baseMs = 1000, capMs = 15 * MINUTE }: BackoffOptions = {},
): number {
  const safeAttempt = Number.isFinite(attempt) && attempt > 0 ? Math.floor(attempt) : 0;
  // 2^attempt overflows to Infinity for huge attempts; Math.min keeps it at the cap.
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(safeAttempt, 1024));
  const r = random();
  const unit = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0;
  return Math.floor(unit * ceiling);
}
