/**
 * Items as their owner sees them: linking through Plaid Link (link tokens, the public-token exchange),
 * Link update mode for an item that needs its owner, item health, and deletion.
 *
 * Every read and write takes the owner's id: another user's item is answered exactly like a missing one.
 * Access tokens are decrypted only to call Plaid (AAD = our item id) and never leave this module. Plaid
 * failures become problems from the error catalog: a client's mistake (a bad public token) is a 4xx,
 * Plaid being down is a 502 that says nothing was changed; never a 500.
 */

import { CountryCode, Products, type LinkTokenCreateRequest } from 'plaid';
import type { z } from 'zod';
import type { AccountsRepository } from '../../db/repositories/accounts.js';
import type {
  ItemsRepository,
  ItemSummaryRow,
  LastSuccessfulSyncRow,
  PlaidItemRow,
} from '../../db/repositories/items.js';
import { syncProducts, type ItemStatus } from '../../db/schema/index.js';
import type { AppError } from '../../errors/app-error.js';
import { errors } from '../../errors/catalog.js';
import type { itemSchema, syncRequestSchema } from '../../http/routes/items.js';
import type { linkTokenSchema } from '../../http/routes/plaid-link.js';
import type { JobQueue } from '../sync/queue.js';
import type { Logger } from '../../lib/logger.js';
import type { PlaidClient } from '../../plaid/client.js';
import { classifyPlaidError, isPlaidApiError, type PlaidApiError } from '../../plaid/errors.js';
import { isStale } from '../accounts/freshness.js';
import { toAccountView, type AccountView } from '../accounts/service.js';
import { syncProductsView } from '../sync/products.js';
import { decryptItemAccessToken, type AccessTokenCipher } from './access-token-cipher.js';
import type { ItemLinking } from './item-linking.js';

/** Where Plaid sends this service's webhooks, under `publicUrl`. */
export const PLAID_WEBHOOK_PATH = '/v1/sync/plaid/webhook';
/** Shown by Link ("<client name> uses Plaid to connect your account"); Plaid allows 30 characters. */
export const LINK_CLIENT_NAME = 'Finance Aggregation API';
/** Plaid's maximum; fixed once Transactions is set up on an item, so ask for all of it at link time. */
export const TRANSACTIONS_DAYS_REQUESTED = 730;

/** Statuses for which Link update mode is what the owner has to do. */
export const UPDATE_MODE_STATUSES: ReadonlySet<ItemStatus> = new Set([
  'login_required',
  'pending_expiration',
]);
/** Statuses that Link update mode cannot fix: the item is gone at Plaid or its token is unusable. */
const UNREPAIRABLE_STATUSES: ReadonlySet<ItemStatus> = new Set(['revoked', 'error']);
/** Plaid codes of `/item/remove` that mean there is nothing left to remove at Plaid for us. */
const ALREADY_GONE_CODES: ReadonlySet<string> = new Set([
  'ITEM_NOT_FOUND',
  'ITEM_CONCURRENTLY_DELETED',
  // The token does not work in this environment (e.g. a Sandbox item after a switch to Production).
  'INVALID_ACCESS_TOKEN',
]);

type SyncProduct = (typeof syncProducts)[number];

// What the item routes show, typed by their response schemas (src/http/routes/items.ts, plaid-link.ts).
export type ItemView = z.output<typeof itemSchema>;
export type ItemErrorView = NonNullable<ItemView['last_error']>;
export type SyncRequestView = NonNullable<z.output<typeof syncRequestSchema>>;
export type LinkTokenView = z.output<typeof linkTokenSchema>;

export interface ItemsServiceDeps {
  items: ItemsRepository;
  accounts: AccountsRepository;
  linking: Pick<ItemLinking, 'linkItem'>;
  plaid: PlaidClient;
  cipher: AccessTokenCipher;
  jobs: Pick<JobQueue, 'enqueueSync'>;
  materializers: { refreshUserAnalytics(userId: string): Promise<unknown> };
  /** Absolute URL Plaid posts webhooks to: `config.publicUrl + PLAID_WEBHOOK_PATH`. */
  webhookUrl: string;
  countryCodes?: CountryCode[];
  now?: () => Date;
  logger?: Pick<Logger, 'info' | 'warn' | 'error'>;
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value.slice(0, 500) : null;
}

/**
 * `plaid_items.last_error` → code, message and action only. It holds a sync run's error (camelCase,
 * `kind: 'plaid' | 'internal'`) or a Plaid error object from a webhook (snake_case); anything else in it
 * (request ids, endpoints, internal messages) stays private.
 */
export function toItemErrorView(lastError: unknown): ItemErrorView | null {
  if (lastError === null || typeof lastError !== 'object') return null;
  const e = lastError as Record<string, unknown>;
  if (e.kind === 'internal') {
    return {
      code: 'INTERNAL_ERROR',
      message: 'An internal error stopped the last sync; it was logged.',
      action: e.retryable === true ? 'retry' : 'fatal',
    };
  }
  const code = text(e.errorCode) ?? text(e.error_code);
  if (!code) return null;
  const type = text(e.errorType) ?? text(e.error_type) ?? '';
  return {
    code,
    message:
      text(e.displayMessage) ?? text(e.display_message) ?? text(e.errorMessage) ?? text(e.error_message),
    action: text(e.action) ?? classifyPlaidError({ errorType: type, errorCode: code }).action,
  };
}

export function toItemView(row: ItemSummaryRow, syncs: LastSuccessfulSyncRow[], now: Date): ItemView {
  const last = Object.fromEntries(syncProducts.map((p) => [p, null])) as Record<SyncProduct, string | null>;
  for (const s of syncs) if (s.itemId === row.id) last[s.product] = s.finishedAt?.toISOString() ?? null;
  return {
    id: row.id,
    institution: row.institutionId ? { id: row.institutionId, name: row.institutionName } : null,
    status: row.status,
    needs_update: UPDATE_MODE_STATUSES.has(row.status) || row.newAccountsAvailableAt !== null,
    products: row.products,
    sync_products: syncProductsView(row.products, row.productStates),
    last_synced_at: row.lastSyncedAt?.toISOString() ?? null,
    last_successful_sync: last,
    consent_expires_at: row.consentExpiresAt?.toISOString() ?? null,
    new_accounts_available_at: row.newAccountsAvailableAt?.toISOString() ?? null,
    last_error: toItemErrorView(row.lastError),
    accounts_count: row.accountsCount,
    stale: isStale(row, now),
    created_at: row.createdAt.toISOString(),
  };
}

export function createItemsService(deps: ItemsServiceDeps) {
  const now = deps.now ?? (() => new Date());
  const countryCodes = deps.countryCodes ?? [CountryCode.Us];
  const { items, plaid } = deps;

  /**
   * A Plaid failure as a problem. `itemId` is set when the call was about one of our items, so that
   * "this item is gone or broken at Plaid" can be told apart from "Plaid is down".
   */
  function plaidProblem(error: PlaidApiError, itemId?: string): AppError {
    if (error.errorCode === 'INVALID_PUBLIC_TOKEN') return errors.invalidPublicToken();
    const c = classifyPlaidError(error);
    if (c.action === 'retry' || c.action === 'restart_sync') {
      return errors.plaidUnavailable(
        error.errorCode,
        Math.max(1, Math.ceil((c.retryAfterMs ?? 1000) / 1000)),
      );
    }
    if (itemId && c.itemStatus === 'login_required')
      return errors.itemStillNeedsUpdate(itemId, error.errorCode);
    if (itemId && c.itemStatus && UNREPAIRABLE_STATUSES.has(c.itemStatus)) {
      return errors.itemNotRepairable(itemId, c.itemStatus);
    }
    deps.logger?.warn({ itemId, plaidError: error.toJSON() }, 'Plaid refused a request');
    return errors.plaidRequestFailed(error.errorCode);
  }

  /** Runs a Plaid call (or a domain step that makes them); Plaid errors become problems. */
  async function viaPlaid<T>(work: () => Promise<T>, itemId?: string): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (isPlaidApiError(error)) throw plaidProblem(error, itemId);
      throw error;
    }
  }

  async function ownItem(userId: string, itemId: string): Promise<PlaidItemRow> {
    const item = await items.findItem(userId, itemId);
    if (!item) throw errors.notFound('item', itemId);
    return item;
  }

  /**
   * Asks the queue for a sync. The item already exists, so a queue failure must not turn into an error
   * (the client would link again and get ITEM_ALREADY_LINKED): it is logged, `null` is returned and the
   * scheduled refresh picks the item up.
   */
  async function requestSync(
    userId: string,
    itemId: string,
    trigger: 'link' | 'manual',
  ): Promise<SyncRequestView | null> {
    try {
      const enqueued = await deps.jobs.enqueueSync({ userId, itemId, trigger });
      return { run_ids: enqueued.runIds, absorbed: enqueued.absorbed };
    } catch (error) {
      deps.logger?.error({ userId, itemId, trigger, err: error }, 'could not enqueue a sync');
      return null;
    }
  }

  /** One item as its owner sees it at `at`. */
  async function viewOf(userId: string, itemId: string, at: Date = now()): Promise<ItemView> {
    const [rows, syncs] = await Promise.all([
      items.listSummaries(userId, itemId),
      items.lastSuccessfulSyncs(userId, itemId),
    ]);
    const [row] = rows;
    if (!row) throw errors.notFound('item', itemId);
    return toItemView(row, syncs, at);
  }

  return {
    /** The caller's items, oldest first, with `as_of` (the instant staleness was judged at). */
    async list(userId: string): Promise<{ as_of: string; data: ItemView[] }> {
      const at = now();
      const [rows, syncs] = await Promise.all([
        items.listSummaries(userId),
        items.lastSuccessfulSyncs(userId),
      ]);
      return { as_of: at.toISOString(), data: rows.map((row) => toItemView(row, syncs, at)) };
    },

    async get(userId: string, itemId: string): Promise<{ as_of: string; data: ItemView }> {
      const at = now();
      return { as_of: at.toISOString(), data: await viewOf(userId, itemId, at) };
    },

    /**
     * A Link token. Without `itemId`: a new link (Transactions required, Investments and Liabilities
     * when the institution has them, 730 days of history, our webhook). With `itemId`: update mode for
     * an item that needs its owner (its access token, no products). Account selection is turned on when
     * Plaid announced new accounts (NEW_ACCOUNTS_AVAILABLE) or the owner asks for it (`accountSelection`),
     * and then update mode is allowed for an item in good health too.
     */
    async createLinkToken(
      userId: string,
      input: { itemId?: string; accountSelection?: boolean } = {},
    ): Promise<LinkTokenView> {
      const base: LinkTokenCreateRequest = {
        client_name: LINK_CLIENT_NAME,
        language: 'en',
        country_codes: countryCodes,
        user: { client_user_id: userId },
        webhook: deps.webhookUrl,
      };
      if (!input.itemId) {
        const created = await viaPlaid(() =>
          plaid.linkTokenCreate({
            ...base,
            products: [Products.Transactions],
            optional_products: [Products.Investments, Products.Liabilities],
            transactions: { days_requested: TRANSACTIONS_DAYS_REQUESTED },
          }),
        );
        return { link_token: created.link_token, expiration: created.expiration, mode: 'create' };
      }

      const item = await ownItem(userId, input.itemId);
      if (UNREPAIRABLE_STATUSES.has(item.status)) throw errors.itemNotRepairable(item.id, item.status);
      const accountSelection = input.accountSelection === true || item.newAccountsAvailableAt !== null;
      if (!UPDATE_MODE_STATUSES.has(item.status) && !accountSelection) {
        throw errors.itemUpdateNotNeeded(item.id);
      }
      const accessToken = decryptItemAccessToken(deps.cipher, item);
      const created = await viaPlaid(
        () =>
          plaid.linkTokenCreate({
            ...base,
            access_token: accessToken,
            ...(accountSelection ? { update: { account_selection_enabled: true } } : {}),
          }),
        item.id,
      );
      return { link_token: created.link_token, expiration: created.expiration, mode: 'update' };
    },

    /** Link's public token → a stored item and its accounts, then its first sync is enqueued. */
    async exchangePublicToken(
      userId: string,
      publicToken: string,
    ): Promise<{ item: ItemView; accounts: AccountView[]; sync: SyncRequestView | null }> {
      // The first sync is enqueued in the transaction that stores the item: both or neither.
      let sync: SyncRequestView | null = null;
      const linked = await viaPlaid(() =>
        deps.linking.linkItem({
          userId,
          publicToken,
          withinLink: async (tx, itemId) => {
            const enqueued = await deps.jobs
              .enqueueSync({ userId, itemId, trigger: 'link' }, { tx })
              .catch((error: unknown) => {
                deps.logger?.error({ userId, itemId, err: error }, 'could not enqueue the first sync');
                throw errors.jobQueueUnavailable(5);
              });
            sync = { run_ids: enqueued.runIds, absorbed: enqueued.absorbed };
          },
        }),
      );
      const at = now();
      const accounts = (await deps.accounts.listForUser(userId))
        .filter((row) => row.item.id === linked.id)
        .map((row) => toAccountView(row, at));
      return { item: await viewOf(userId, linked.id), accounts, sync };
    },

    /**
     * After Link update mode succeeded in the browser (Plaid needs no exchange: the access token stays
     * the same). Plaid is asked whether the item is healthy now; only then is it set back to `good` and
     * a sync enqueued. Also fine after `account_selection` on a healthy item (the sync picks new
     * accounts up).
     */
    async markRepaired(
      userId: string,
      itemId: string,
    ): Promise<{ item: ItemView; sync: SyncRequestView | null }> {
      const item = await ownItem(userId, itemId);
      if (item.status === 'revoked') throw errors.itemNotRepairable(item.id, item.status);
      const accessToken = decryptItemAccessToken(deps.cipher, item);
      const { item: atPlaid } = await viaPlaid(() => plaid.itemGet({ access_token: accessToken }), item.id);
      if (atPlaid.error) throw errors.itemStillNeedsUpdate(item.id, atPlaid.error.error_code);
      const consent = atPlaid.consent_expiration_time ? new Date(atPlaid.consent_expiration_time) : null;
      await items.markRepaired(userId, item.id, consent);
      const sync = await requestSync(userId, item.id, 'manual');
      return { item: await viewOf(userId, item.id), sync };
    },

    /**
     * Removes the item at Plaid (which stops billing and invalidates the token), then deletes it with
     * every row that came from it, then refreshes the owner's analytics. If Plaid cannot be reached or
     * refuses, nothing is deleted (so the owner can retry and no live item is left behind at Plaid);
     * if Plaid says the item is already gone, or our copy of the token is unusable, deletion goes on.
     */
    async remove(userId: string, itemId: string): Promise<void> {
      const item = await ownItem(userId, itemId);
      let accessToken: string | null = null;
      try {
        accessToken = decryptItemAccessToken(deps.cipher, item);
      } catch (error) {
        deps.logger?.warn(
          { userId, itemId, err: error },
          'access token cannot be decrypted; deleting the item without removing it at Plaid',
        );
      }
      if (accessToken !== null) {
        try {
          await plaid.itemRemove({ access_token: accessToken });
        } catch (error) {
          if (!isPlaidApiError(error)) throw error;
          if (!ALREADY_GONE_CODES.has(error.errorCode)) throw plaidProblem(error);
          deps.logger?.info(
            { userId, itemId, plaidCode: error.errorCode },
            'item already gone at Plaid; deleting it here',
          );
        }
      }
      await items.deleteItem(userId, itemId);
      await deps.materializers.refreshUserAnalytics(userId);
    },
  };
}

export type ItemsService = ReturnType<typeof createItemsService>;
