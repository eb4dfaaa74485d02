/**
 * Plaid webhooks: `receive` verifies and records one delivery and enqueues its processing; `process`
 * (run by the job worker) does the work. Nothing slow happens in the request: Plaid gives a webhook
 * 10 s before it retries, and the best receiver just records, enqueues and answers 200.
 *
 * Webhooks arrive late, twice and out of order, so `process` never trusts their order: an ITEM webhook
 * makes us read the item's state again from Plaid (`/item/get`), and a data webhook asks for a sync,
 * which reads from our saved cursor. Running `process` twice for one event is harmless.
 */

import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Database } from '../../db/client.js';
import { createRepositories, type Repositories } from '../../db/repositories/index.js';
import type { PlaidItemRow } from '../../db/repositories/items.js';
import type { WebhookEventRow } from '../../db/repositories/webhook-events.js';
import { errors } from '../../errors/catalog.js';
import type { JobQueue } from '../sync/queue.js';
import type { Logger } from '../../lib/logger.js';
import type { PlaidClient } from '../../plaid/client.js';
import { isPlaidApiError } from '../../plaid/errors.js';
import {
  bodySha256Hex,
  createWebhookVerifier,
  type WebhookVerifierOptions,
} from '../../plaid/webhook-verification.js';
import { textProblemsIn } from '../../lib/text.js';
import { decryptItemAccessToken, type AccessTokenCipher } from '../items/access-token-cipher.js';
import { BLOCKED_ITEM_STATUSES } from '../sync/service.js';
import {
  healthFromItemGet,
  healthFromItemGetFailure,
  healthFromWebhook,
  isItemHealthCode,
  observedError,
  type HealthChange,
  type ItemWebhook,
} from './item-health.js';

/** How long a revocation waits for a running sync of the item, and the lease it takes meanwhile. */
const REVOKE_LOCK_WAIT_MS = 30_000;
const REVOKE_LOCK_LEASE_SECONDS = 60;

/**
 * A verified body equal to one still waiting for its job (received within this window) is a duplicate.
 * Once the first is processed, the same bytes are a new notification: Plaid sends identical
 * SYNC_UPDATES_AVAILABLE bodies for every refresh, and processing again is harmless.
 */
export const DUPLICATE_WINDOW_MS = 60 * 60 * 1000;

/** What `rejection_reason` holds for a verified body we could not use (answered 400). */
export const MALFORMED_BODY = 'malformed_body';

/** Data webhooks answered with a sync of the item ("type/code"). */
const SYNC_WEBHOOKS = new Set([
  'TRANSACTIONS/SYNC_UPDATES_AVAILABLE',
  'HOLDINGS/DEFAULT_UPDATE',
  'INVESTMENTS_TRANSACTIONS/DEFAULT_UPDATE',
  'LIABILITIES/DEFAULT_UPDATE',
]);

/** The fields every Plaid webhook has; the rest of the body is read by the handler that needs it. */
const webhookBodySchema = z.looseObject({
  webhook_type: z.string().min(1).max(64),
  webhook_code: z.string().min(1).max(64),
  item_id: z.string().min(1).max(256).nullish(),
});

export interface WebhookServiceDeps {
  db: Database;
  /** The composition root's repositories (src/domain/services.ts); by default, over `db`. */
  repositories?: Pick<Repositories, 'webhookEvents' | 'items' | 'itemLocks'>;
  plaid: Pick<PlaidClient, 'itemGet' | 'webhookVerificationKeyGet'>;
  cipher: AccessTokenCipher;
  jobs: JobQueue;
  materializers: { refreshUserAnalytics(userId: string): Promise<unknown> };
  now?: () => Date;
  logger?: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Verifier settings (tests); `fetchKey` is always Plaid's /webhook_verification_key/get. */
  verifier?: Omit<WebhookVerifierOptions, 'fetchKey'>;
}

/** What `receive` gives the route when the webhook verified and was recorded. */
export interface WebhookReceipt {
  eventId: string;
  /** True when the same body is already waiting to be processed: recorded, not enqueued again. */
  duplicate: boolean;
}

export type WebhookAction =
  /** A sync of the item was asked for (the queue keeps one pending sync per item). */
  | 'sync_enqueued'
  /** A data webhook for an item that cannot sync now (login_required, revoked, error). */
  | 'sync_skipped'
  /** ITEM webhook: status, error and consent expiry set from `/item/get` (or the webhook, if it failed). */
  | 'item_health_updated'
  /** ITEM webhook: the item's health was refreshed and, being good again, a sync was asked for. */
  | 'item_health_updated_sync_enqueued'
  /** USER_PERMISSION_REVOKED (or an /item/get saying so): status revoked, data deleted, analytics refreshed. */
  | 'item_revoked'
  /** The item is revoked already: nothing brings it back but linking again. */
  | 'ignored_revoked_item'
  /** No item of ours has this Plaid item_id (removed, another deployment, or not linked yet). */
  | 'ignored_unknown_item'
  /** A webhook type/code we do not act on (legacy transactions codes, WEBHOOK_UPDATE_ACKNOWLEDGED...). */
  | 'ignored_unhandled'
  /** The event is rejected, malformed or a duplicate: never acted on. */
  | 'ignored_not_actionable';

export interface WebhookProcessResult {
  eventId: string;
  /** `already_processed`: an earlier run finished it; nothing was done this time. */
  outcome: 'processed' | 'already_processed' | 'not_found';
  action: WebhookAction | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

function errorCodeOf(error: unknown): string {
  if (isPlaidApiError(error)) return error.errorCode;
  return error instanceof Error ? error.name : 'unknown';
}

export function createWebhookService(deps: WebhookServiceDeps) {
  const { webhookEvents: events, items, itemLocks: locks } = deps.repositories ?? createRepositories(deps.db);
  const now = deps.now ?? (() => new Date());
  const { plaid, logger } = deps;

  // One verifier for the service's lifetime, so keys stay cached by kid between webhooks.
  const verifier = createWebhookVerifier({
    ...deps.verifier,
    fetchKey: async (kid) => {
      try {
        return (await plaid.webhookVerificationKeyGet({ key_id: kid })).key;
      } catch (error) {
        // An unknown kid (INVALID_WEBHOOK_VERIFICATION_KEY_ID) or Plaid unreachable: the webhook is refused
        // and Plaid retries it later. The kid is the sender's claim: logged short, never trusted.
        logger?.warn(
          { kid: kid.slice(0, 64), plaidError: errorCodeOf(error) },
          'could not fetch the webhook verification key',
        );
        throw error;
      }
    },
  });

  /**
   * Verifies the `Plaid-Verification` header over the exact body bytes, records the delivery in
   * `webhook_events` and enqueues its processing. Throws `webhookRejected` (401) when it does not verify
   * (recorded as rejected, nothing enqueued) and a 400 for a verified body that is not a Plaid webhook.
   */
  async function receive(
    headers: Record<string, string | string[] | undefined>,
    rawBody: Uint8Array,
  ): Promise<WebhookReceipt> {
    const bodySha256 = bodySha256Hex(rawBody);
    const verification = await verifier.verify(headerValue(headers['plaid-verification']), rawBody);
    if (!verification.ok) {
      // Nothing the unverified body says is stored or trusted: only its hash and why it was refused.
      const row = await events.insert({
        bodySha256,
        verification: 'rejected',
        rejectionReason: verification.reason,
      });
      logger?.warn(
        { webhookEventId: row.id, reason: verification.reason },
        'plaid webhook rejected: it did not verify',
      );
      throw errors.webhookRejected(verification.reason);
    }

    let json: unknown;
    try {
      json = JSON.parse(Buffer.from(rawBody).toString('utf8'));
    } catch (error) {
      await recordMalformed(bodySha256, null);
      throw errors.malformedJson(error instanceof Error ? error.message : 'not JSON');
    }
    // The raw body skips the validator's text check: jsonb cannot hold a NUL or an unpaired surrogate,
    // and no Plaid webhook carries one. Refused, only its hash kept.
    const [badText] = textProblemsIn(json, 1);
    if (badText) {
      await recordMalformed(bodySha256, null);
      throw errors.malformedJson(`body.${badText.path.join('.')}: ${badText.message}`);
    }
    const parsed = webhookBodySchema.safeParse(json);
    if (!parsed.success) {
      await recordMalformed(bodySha256, typeof json === 'object' ? json : null);
      throw errors.validationFailed(
        parsed.error.issues.map((issue) => ({
          field: ['body', ...issue.path.map(String)].join('.'),
          message: issue.message,
        })),
        'The body is signed by Plaid but is not a Plaid webhook (webhook_type, webhook_code, item_id).',
      );
    }
    const body = parsed.data;
    const plaidItemId = body.item_id ?? null;
    const item = plaidItemId ? await items.findByPlaidItemId(plaidItemId) : undefined;
    const receivedAt = now();
    const original = await events.findPendingOriginal(
      bodySha256,
      new Date(receivedAt.getTime() - DUPLICATE_WINDOW_MS),
    );
    // The event and its processing job commit together: a crash leaves neither a recorded event that
    // nothing processes (Plaid's redelivery would be taken for a duplicate) nor a job without its event.
    const row = await deps.db.transaction(async (tx) => {
      const inserted = await createRepositories(tx).webhookEvents.insert({
        receivedAt,
        plaidItemId,
        itemId: item?.id ?? null,
        webhookType: body.webhook_type,
        webhookCode: body.webhook_code,
        bodySha256,
        body: json,
        verification: 'verified',
        duplicateOf: original?.id ?? null,
        // A duplicate is handled by its original's job: it is done the moment it is recorded.
        processedAt: original ? receivedAt : null,
      });
      if (!original) await deps.jobs.enqueueWebhook({ webhookEventId: inserted.id }, { tx });
      return inserted;
    });
    const logFields = {
      webhookEventId: row.id,
      webhookType: body.webhook_type,
      webhookCode: body.webhook_code,
      itemId: item?.id ?? null,
      ...(item ? { userId: item.userId } : {}),
    };
    if (original) {
      logger?.info({ ...logFields, duplicateOf: original.id }, 'plaid webhook received again (duplicate)');
      return { eventId: row.id, duplicate: true };
    }
    logger?.info(logFields, 'plaid webhook received');
    return { eventId: row.id, duplicate: false };
  }

  async function recordMalformed(bodySha256: string, body: unknown): Promise<void> {
    const at = now();
    const row = await events.insert({
      receivedAt: at,
      bodySha256,
      body: body ?? null,
      verification: 'verified',
      rejectionReason: MALFORMED_BODY,
      processedAt: at,
    });
    logger?.warn({ webhookEventId: row.id }, 'plaid webhook verified but its body is not a Plaid webhook');
  }

  /**
   * The job worker's entry point: does what one recorded webhook asks, then marks it processed.
   * Idempotent: an event already processed is left alone, and every action is safe to repeat (a job
   * that failed half-way runs again). Throws only when the database or the queue fails, so the job is
   * retried; a Plaid failure while re-reading the item falls back to the webhook's own content.
   */
  async function process(webhookEventId: string): Promise<WebhookProcessResult> {
    const event = UUID.test(webhookEventId) ? await events.findById(webhookEventId) : undefined;
    if (!event) {
      logger?.warn({ webhookEventId }, 'webhook event to process not found');
      return { eventId: webhookEventId, outcome: 'not_found', action: null };
    }
    if (event.processedAt) return { eventId: event.id, outcome: 'already_processed', action: null };

    const action = await act(event);
    const marked = await events.markProcessed(event.id, now());
    logger?.info(
      { webhookEventId: event.id, webhookType: event.webhookType, webhookCode: event.webhookCode, action },
      'plaid webhook processed',
    );
    return { eventId: event.id, outcome: marked ? 'processed' : 'already_processed', action };
  }

  async function act(event: WebhookEventRow): Promise<WebhookAction> {
    if (event.verification !== 'verified' || event.rejectionReason || event.duplicateOf) {
      return 'ignored_not_actionable';
    }
    const body = (typeof event.body === 'object' && event.body !== null ? event.body : {}) as Record<
      string,
      unknown
    >;
    const type = event.webhookType ?? '';
    const code = event.webhookCode ?? '';
    const handled =
      SYNC_WEBHOOKS.has(`${type}/${code}`) ||
      (type === 'ITEM' && (isItemHealthCode(code) || code === 'USER_PERMISSION_REVOKED'));
    if (!handled) return 'ignored_unhandled';

    // Found again here: a webhook can beat the link that stores the item, and the item may be gone since.
    const item = event.plaidItemId ? await items.findByPlaidItemId(event.plaidItemId) : undefined;
    if (!item) return 'ignored_unknown_item';
    if (event.itemId !== item.id) await events.setItem(event.id, item.id);

    if (code === 'USER_PERMISSION_REVOKED') {
      // Even when already revoked: a run that failed half-way must still delete the data.
      await revoke(item, observedError(body.error, 'webhook'));
      return 'item_revoked';
    }
    // Revoked is final: nothing but linking again brings the item (and its deleted data) back.
    if (item.status === 'revoked') return 'ignored_revoked_item';
    if (SYNC_WEBHOOKS.has(`${type}/${code}`)) {
      if (BLOCKED_ITEM_STATUSES.has(item.status)) return 'sync_skipped';
      await deps.jobs.enqueueSync({ userId: item.userId, itemId: item.id, trigger: 'webhook' });
      return 'sync_enqueued';
    }
    if (!isItemHealthCode(code)) return 'ignored_unhandled';

    const webhook: ItemWebhook = { code, body };
    const change = await observeHealth(item, webhook);
    if (change.permissionRevoked) {
      await revoke(item, change.lastError ?? null);
      return 'item_revoked';
    }
    await items.updateHealth(item.userId, item.id, {
      ...(change.status ? { status: change.status } : {}),
      ...(change.lastError !== undefined ? { lastError: change.lastError } : {}),
      ...(change.consentExpiresAt !== undefined ? { consentExpiresAt: change.consentExpiresAt } : {}),
      // When Plaid told us, not when the job ran; repeating it sets the same value.
      ...(code === 'NEW_ACCOUNTS_AVAILABLE' ? { newAccountsAvailableAt: event.receivedAt } : {}),
    });
    if (code === 'LOGIN_REPAIRED' && change.status === 'good') {
      await deps.jobs.enqueueSync({ userId: item.userId, itemId: item.id, trigger: 'webhook' });
      return 'item_health_updated_sync_enqueued';
    }
    return 'item_health_updated';
  }

  /** The item's state now, from Plaid's `/item/get`; the webhook's content when that cannot be read. */
  async function observeHealth(item: PlaidItemRow, webhook: ItemWebhook): Promise<HealthChange> {
    const current = { status: item.status, consentExpiresAt: item.consentExpiresAt };
    try {
      const accessToken = decryptItemAccessToken(deps.cipher, item);
      const response = await plaid.itemGet({ access_token: accessToken });
      return healthFromItemGet(response.item, webhook, current, now());
    } catch (error) {
      const fromFailure = isPlaidApiError(error) ? healthFromItemGetFailure(error) : null;
      logger?.warn(
        { userId: item.userId, itemId: item.id, plaidError: errorCodeOf(error), usedWebhook: !fromFailure },
        'could not read the item from Plaid while processing a webhook',
      );
      return fromFailure ?? healthFromWebhook(webhook, now());
    }
  }

  /**
   * Consent withdrawn: under the item's sync lock (a sync that is writing finishes first, so nothing it
   * fetched lands after the deletion), status revoked (no sync starts after it), then the data goes.
   * Logs once when it finds the lock taken and waits; throws when the lock stays taken, so that the
   * webhook job is retried.
   */
  async function revoke(item: PlaidItemRow, error: unknown): Promise<void> {
    const owner = `webhook-revoke/${randomUUID()}`;
    const deadline = Date.now() + REVOKE_LOCK_WAIT_MS;
    let waiting = false;
    while (!(await locks.acquire(item.userId, item.id, owner, REVOKE_LOCK_LEASE_SECONDS))) {
      if (Date.now() > deadline) throw new Error(`item ${item.id} is being synced; revocation retried later`);
      if (!waiting) {
        logger?.info(
          { userId: item.userId, itemId: item.id },
          'revocation waits for the sync holding the item',
        );
        waiting = true;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    try {
      await items.setStatus(item.userId, item.id, 'revoked', error ?? null);
      await items.deleteItemData(item.userId, item.id);
    } finally {
      await locks.release(item.id, owner);
    }
    await deps.materializers.refreshUserAnalytics(item.userId);
  }

  return { receive, process };
}

export type WebhookService = ReturnType<typeof createWebhookService>;
