import type { FastifyInstance } from 'fastify';
import { PersonalFinanceCategoryVersion, TransactionsUpdateStatus } from 'plaid';
import type { TransactionsRefreshResponse, TransactionsSyncResponse } from 'plaid';
import { z } from 'zod';
import { mutateOnce } from '../../activity/inject.js';
import { mark, notifyDataChanged } from '../../activity/notifications.js';
import { dynamicRefresh } from '../../generator/dynamic-refresh.js';
import type { EmulatorRuntime } from '../../runtime.js';
import { coveredBySync } from '../../state/account-record.js';
import type { EmulatedItem } from '../../state/item.js';
import type { EmulatorStore } from '../../state/store.js';
import { syncPage } from '../../sync/transactions-sync.js';
import { webhookPayloads } from '../../webhooks/payloads.js';
import { toPlaidAccount } from '../../wire/account.js';
import { plaidErrors } from '../plaid-error.js';
import { plaidRoute } from '../plaid-route.js';
import { accessToken, credentials, daysRequested } from '../schema-parts.js';

export const transactionsSyncSchema = z.strictObject({
  ...credentials,
  access_token: accessToken,
  cursor: z.string().max(256).nullable().optional(),
  count: z.number().int().min(1).max(500).optional(),
  options: z
    .strictObject({
      include_original_description: z.boolean().nullable().optional(),
      include_personal_finance_category: z.boolean().optional(),
      include_logo_and_counterparty_beta: z.boolean().optional(),
      personal_finance_category_version: z
        .enum(Object.values(PersonalFinanceCategoryVersion) as [string, ...string[]])
        .optional(),
      days_requested: daysRequested.optional(),
      account_id: z.string().optional(),
    })
    .optional(),
});

export const transactionsRefreshSchema = z.strictObject({ ...credentials, access_token: accessToken });

/** Calling a transactions endpoint adds the product when the institution supports it. */
function ensureTransactionsProduct(store: EmulatorStore, item: EmulatedItem): void {
  if (item.products.includes('transactions')) return;
  const institution = store.institutions.get(item.institutionId);
  if (!institution?.products.includes('transactions')) throw plaidErrors.productsNotSupported();
  item.products = [...item.products, 'transactions'];
}

/** The first sync call turns SYNC_UPDATES_AVAILABLE on; the pulls are complete, so both fire. */
function activateSync(store: EmulatorStore, item: EmulatedItem): void {
  if (item.syncActivated) return;
  item.syncActivated = true;
  const fire = () => {
    if (item.removed) return;
    store.notify(item, webhookPayloads.syncUpdatesAvailable(item.id, true, false));
    store.notify(item, webhookPayloads.syncUpdatesAvailable(item.id, true, true));
  };
  const wait = item.readyAt - store.wall();
  if (wait <= 0) fire();
  else setTimeout(fire, wait).unref();
}

export function registerTransactionRoutes(app: FastifyInstance, runtime: EmulatorRuntime): void {
  const { store } = runtime;

  plaidRoute(
    app,
    runtime,
    '/transactions/sync',
    transactionsSyncSchema,
    (body, ctx): TransactionsSyncResponse => {
      const item = ctx.item(body.access_token);
      ensureTransactionsProduct(store, item);
      const accountId = body.options?.account_id ?? null;
      if (accountId !== null) {
        const account = item.account(accountId);
        if (!account || !coveredBySync(account)) throw plaidErrors.invalidAccountId();
      }
      activateSync(store, item);
      if (store.wall() < item.readyAt) {
        return {
          added: [],
          modified: [],
          removed: [],
          next_cursor: '',
          has_more: false,
          transactions_update_status: TransactionsUpdateStatus.NotReady,
          accounts: [],
          request_id: ctx.requestId,
        };
      }
      const page = syncPage(item, {
        cursor: body.cursor ?? null,
        count: body.count ?? 100,
        accountId,
        includeOriginalDescription: body.options?.include_original_description === true,
      });
      const today = store.clock.today();
      const accounts = item.accounts
        .filter((a) => coveredBySync(a) && (accountId === null || a.id === accountId))
        .map((a) => toPlaidAccount(item, a, today));
      if (page.hasMore && item.mutateAfterPages !== null) {
        item.mutateAfterPages--;
        if (item.mutateAfterPages <= 0) {
          item.mutateAfterPages = null;
          const since = mark(item);
          mutateOnce(item, today, 0);
          notifyDataChanged(store, item, since, false);
        }
      }
      return {
        added: page.added,
        modified: page.modified,
        removed: page.removed,
        next_cursor: page.nextCursor,
        has_more: page.hasMore,
        transactions_update_status: TransactionsUpdateStatus.HistoricalUpdateComplete,
        accounts,
        request_id: ctx.requestId,
      };
    },
  );

  plaidRoute(
    app,
    runtime,
    '/transactions/refresh',
    transactionsRefreshSchema,
    (body, ctx): TransactionsRefreshResponse => {
      const item = ctx.item(body.access_token);
      ensureTransactionsProduct(store, item);
      if (item.profile === 'dynamic') {
        const since = mark(item);
        item.refreshes++;
        dynamicRefresh(item, store.clock.today(), item.refreshes);
        notifyDataChanged(store, item, since, false);
      }
      return { request_id: ctx.requestId };
    },
  );
}
