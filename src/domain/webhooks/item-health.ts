/**
 * What an ITEM webhook does to our item's health, as pure functions. Webhooks arrive late, twice and out
 * of order, so the webhook only says *that* something changed: the item's state is read again from
 * Plaid's `/item/get` (`healthFromItemGet`), and the webhook's own content is the fallback when that
 * call fails (`healthFromWebhook`).
 */

import type { Item, PlaidError } from 'plaid';
import type { ItemStatus } from '../../db/schema/index.js';
import { classifyPlaidError, type PlaidApiError } from '../../plaid/errors.js';

/** ITEM webhook codes whose answer is to read the item's state again. */
export const ITEM_HEALTH_CODES = [
  'ERROR',
  'PENDING_EXPIRATION',
  'PENDING_DISCONNECT',
  'LOGIN_REPAIRED',
  'NEW_ACCOUNTS_AVAILABLE',
] as const;
export type ItemHealthCode = (typeof ITEM_HEALTH_CODES)[number];

export function isItemHealthCode(code: string): code is ItemHealthCode {
  return (ITEM_HEALTH_CODES as readonly string[]).includes(code);
}

/** A consent that ends within this window makes the item `pending_expiration` (Plaid warns 7 days ahead). */
export const PENDING_EXPIRATION_WINDOW_MS = 7 * 24 * 60 * 60 * 1000;

/** What `plaid_items.last_error` holds after a webhook: Plaid's error as plain values, and where we saw it. */
export interface ObservedItemError {
  kind: 'plaid';
  source: 'item_get' | 'webhook';
  status: number | null;
  errorType: string;
  errorCode: string;
  errorMessage: string;
  displayMessage: string | null;
}

export interface HealthChange {
  /** The new status; null leaves it (a transient error says nothing about the login). */
  status: ItemStatus | null;
  /** The new `last_error`; null clears it, undefined leaves it. */
  lastError: ObservedItemError | null | undefined;
  /** The new `consent_expires_at`; undefined leaves it. */
  consentExpiresAt: Date | null | undefined;
  /** The user withdrew consent: the item's data must be deleted. */
  permissionRevoked: boolean;
  /** Where the state came from: Plaid's `/item/get`, or the webhook itself (fallback). */
  source: 'item_get' | 'webhook';
}

export interface CurrentHealth {
  status: ItemStatus;
  consentExpiresAt: Date | null;
}

export interface ItemWebhook {
  code: ItemHealthCode;
  body: Record<string, unknown>;
}

function parseDate(value: unknown): Date | null {
  if (typeof value !== 'string') return null;
  const time = Date.parse(value);
  return Number.isFinite(time) ? new Date(time) : null;
}

function stringOr<T>(value: unknown, fallback: T): string | T {
  return typeof value === 'string' ? value : fallback;
}

/** Plaid's error object (from /item/get or a webhook body) as plain, typed fields; null if it is not one. */
export function observedError(value: unknown, source: ObservedItemError['source']): ObservedItemError | null {
  if (typeof value !== 'object' || value === null) return null;
  const e = value as Partial<Record<keyof PlaidError, unknown>>;
  if (typeof e.error_type !== 'string' || typeof e.error_code !== 'string') return null;
  return {
    kind: 'plaid',
    source,
    status: typeof e.status === 'number' ? e.status : null,
    errorType: e.error_type,
    errorCode: e.error_code,
    errorMessage: stringOr(e.error_message, ''),
    displayMessage: stringOr(e.display_message, null),
  };
}

/** The error → status policy of the sync (`classifyPlaidError`), for an error that describes the item. */
function healthFromError(
  error: ObservedItemError,
): Pick<HealthChange, 'status' | 'lastError' | 'permissionRevoked'> {
  const c = classifyPlaidError(error);
  const transient = c.action === 'retry' || c.action === 'restart_sync';
  return {
    status: c.itemStatus ?? (transient ? null : 'error'),
    lastError: error,
    permissionRevoked: c.action === 'permission_revoked',
  };
}

/** The end of the login the webhook announces: PENDING_EXPIRATION's consent, PENDING_DISCONNECT's time. */
export function announcedExpiry(webhook: ItemWebhook): Date | null {
  if (webhook.code === 'PENDING_EXPIRATION') return parseDate(webhook.body.consent_expiration_time);
  if (webhook.code === 'PENDING_DISCONNECT') return parseDate(webhook.body.disconnect_time);
  return null;
}

/**
 * The item's state from `/item/get`, whatever webhook made us ask:
 * - `item.error` set → the sync's error policy (ITEM_LOGIN_REQUIRED → login_required, PENDING_* →
 *   pending_expiration, USER_PERMISSION_REVOKED → revoked, transient → unchanged, anything else → error);
 * - no error, consent ending within 7 days → pending_expiration until then;
 * - no error and no consent time (US/CA items): a PENDING_EXPIRATION/PENDING_DISCONNECT webhook's future
 *   date, or the pending date we already hold (until LOGIN_REPAIRED says the owner re-authenticated), is
 *   believed, since `/item/get` cannot show it;
 * - otherwise good.
 * A consent time later than the announced one means the consent was renewed since: good.
 */
export function healthFromItemGet(
  item: Pick<Item, 'error' | 'consent_expiration_time'>,
  webhook: ItemWebhook,
  current: CurrentHealth,
  now: Date,
): HealthChange {
  const consent = parseDate(item.consent_expiration_time);
  const error = item.error ? observedError(item.error, 'item_get') : null;
  if (error) {
    return { ...healthFromError(error), consentExpiresAt: consent ?? undefined, source: 'item_get' };
  }

  const announced = announcedExpiry(webhook);
  let pendingUntil: Date | null = null;
  if (consent) {
    const soon = consent.getTime() - now.getTime() <= PENDING_EXPIRATION_WINDOW_MS;
    const notRenewed = announced !== null && consent.getTime() <= announced.getTime();
    if (consent.getTime() > now.getTime() && (soon || notRenewed)) pendingUntil = consent;
  } else {
    const held =
      webhook.code !== 'LOGIN_REPAIRED' && current.status === 'pending_expiration'
        ? current.consentExpiresAt
        : null;
    const candidate = announced ?? held;
    if (candidate && candidate.getTime() > now.getTime()) pendingUntil = candidate;
  }
  if (pendingUntil) {
    return {
      status: 'pending_expiration',
      lastError: null,
      consentExpiresAt: pendingUntil,
      permissionRevoked: false,
      source: 'item_get',
    };
  }
  return {
    status: 'good',
    lastError: null,
    consentExpiresAt: consent,
    permissionRevoked: false,
    source: 'item_get',
  };
}

/**
 * `/item/get` failed with an error that itself describes the item (ITEM_NOT_FOUND → revoked,
 * INVALID_ACCESS_TOKEN → error, ITEM_LOGIN_REQUIRED...): that is the item's state. Null for a failure
 * that says nothing about the item (timeout, 5xx, rate limit): fall back to the webhook.
 */
export function healthFromItemGetFailure(error: PlaidApiError): HealthChange | null {
  const c = classifyPlaidError(error);
  if (!c.itemStatus) return null;
  return {
    status: c.itemStatus,
    lastError: {
      kind: 'plaid',
      source: 'item_get',
      status: error.status,
      errorType: error.errorType,
      errorCode: error.errorCode,
      errorMessage: error.errorMessage,
      displayMessage: error.displayMessage,
    },
    consentExpiresAt: undefined,
    permissionRevoked: c.action === 'permission_revoked',
    source: 'item_get',
  };
}

/** The fallback when `/item/get` could not be read: believe the webhook's own content. */
export function healthFromWebhook(webhook: ItemWebhook, now: Date): HealthChange {
  const unchanged: HealthChange = {
    status: null,
    lastError: undefined,
    consentExpiresAt: undefined,
    permissionRevoked: false,
    source: 'webhook',
  };
  switch (webhook.code) {
    case 'ERROR': {
      const error = observedError(webhook.body.error, 'webhook');
      return error ? { ...unchanged, ...healthFromError(error) } : unchanged;
    }
    case 'PENDING_EXPIRATION':
    case 'PENDING_DISCONNECT': {
      const until = announcedExpiry(webhook);
      return until && until.getTime() > now.getTime()
        ? { ...unchanged, status: 'pending_expiration', consentExpiresAt: until }
        : unchanged;
    }
    case 'LOGIN_REPAIRED':
      return { ...unchanged, status: 'good', lastError: null };
    case 'NEW_ACCOUNTS_AVAILABLE':
      return unchanged;
  }
}
