import type { FastifyInstance } from 'fastify';
import type {
  SandboxItemFireWebhookResponse,
  SandboxItemResetLoginResponse,
  SandboxPublicTokenCreateResponse,
  SandboxTransactionsCreateResponse,
} from 'plaid';
import { WebhookType, SandboxItemFireWebhookRequestWebhookCodeEnum } from 'plaid';
import { z } from 'zod';
import { amountToCents } from '../../core/money.js';
import { injectTransactions } from '../../activity/inject.js';
import { mark, notifyDataChanged } from '../../activity/notifications.js';
import type { EmulatorRuntime } from '../../runtime.js';
import type { EmulatedItem } from '../../state/item.js';
import type { WebhookPayload } from '../../webhooks/payloads.js';
import { webhookPayloads } from '../../webhooks/payloads.js';
import { PlaidApiError, plaidErrors } from '../plaid-error.js';
import { plaidRoute } from '../plaid-route.js';
import { accessToken, anyObject, credentials, daysRequested, isoDate, product } from '../schema-parts.js';

export const sandboxPublicTokenCreateSchema = z.strictObject({
  ...credentials,
  institution_id: z.string().min(1),
  initial_products: z.array(product).min(1),
  options: z
    .strictObject({
      webhook: z.url({ protocol: /^https?$/ }).optional(),
      override_username: z.string().nullable().optional(),
      override_password: z.string().nullable().optional(),
      transactions: z
        .strictObject({
          start_date: isoDate.optional(),
          end_date: isoDate.optional(),
          days_requested: daysRequested.optional(),
        })
        .nullable()
        .optional(),
      statements: anyObject.nullable().optional(),
      income_verification: anyObject.optional(),
    })
    .optional(),
  user_token: z.string().optional(),
  user_id: z.string().optional(),
});

export const fireWebhookSchema = z.strictObject({
  ...credentials,
  access_token: accessToken,
  webhook_type: z.enum(Object.values(WebhookType) as [string, ...string[]]).optional(),
  webhook_code: z.enum(Object.values(SandboxItemFireWebhookRequestWebhookCodeEnum) as [string, ...string[]]),
});

export const resetLoginSchema = z.strictObject({ ...credentials, access_token: accessToken });

export const sandboxTransactionsCreateSchema = z.strictObject({
  ...credentials,
  access_token: accessToken,
  transactions: z
    .array(
      z.strictObject({
        date_transacted: isoDate,
        date_posted: isoDate,
        amount: z.number().finite(),
        description: z.string().min(1),
        iso_currency_code: z.string().length(3).optional(),
      }),
    )
    .min(1)
    .max(10),
});

function requireProduct(item: EmulatedItem, productName: string): void {
  if (!item.products.includes(productName)) throw new PlaidApiError('SANDBOX_PRODUCT_NOT_ENABLED');
}

/** The body `/sandbox/item/fire_webhook` sends for a type and code. */
function firedWebhook(item: EmulatedItem, type: string | undefined, code: string, now: Date): WebhookPayload {
  const inAWeek = new Date(now.getTime() + 7 * 86_400_000).toISOString();
  switch (code) {
    case 'SYNC_UPDATES_AVAILABLE':
      requireProduct(item, 'transactions');
      return webhookPayloads.syncUpdatesAvailable(item.id, true, true);
    case 'DEFAULT_UPDATE':
      if (type === 'TRANSACTIONS') {
        requireProduct(item, 'transactions');
        return webhookPayloads.transactionsLegacy(item.id, 'DEFAULT_UPDATE', 0);
      }
      if (type === 'HOLDINGS') {
        requireProduct(item, 'investments');
        return webhookPayloads.holdingsUpdate(item.id, 0, 0);
      }
      if (type === 'INVESTMENTS_TRANSACTIONS') {
        requireProduct(item, 'investments');
        return webhookPayloads.investmentsTransactionsUpdate(item.id, 0, 0);
      }
      if (type === 'LIABILITIES') {
        requireProduct(item, 'liabilities');
        return {
          webhook_type: 'LIABILITIES',
          webhook_code: 'DEFAULT_UPDATE',
          item_id: item.id,
          error: null,
          account_ids_with_new_liabilities: {},
          account_ids_with_updated_liabilities: {},
          environment: 'sandbox',
        };
      }
      throw plaidErrors.invalidField(
        'webhook_type must be TRANSACTIONS, HOLDINGS, INVESTMENTS_TRANSACTIONS or LIABILITIES for DEFAULT_UPDATE',
      );
    case 'NEW_ACCOUNTS_AVAILABLE':
      return webhookPayloads.newAccountsAvailable(item.id);
    case 'LOGIN_REPAIRED':
      return webhookPayloads.loginRepaired(item.id);
    case 'PENDING_DISCONNECT':
      return webhookPayloads.pendingDisconnect(item.id, inAWeek);
    case 'USER_PERMISSION_REVOKED':
      return webhookPayloads.userPermissionRevoked(
        item.id,
        new PlaidApiError('USER_PERMISSION_REVOKED').toItemError(),
      );
    case 'USER_ACCOUNT_REVOKED':
      return {
        webhook_type: 'ITEM',
        webhook_code: 'USER_ACCOUNT_REVOKED',
        item_id: item.id,
        account_id: item.accounts[0]?.id ?? '',
        environment: 'sandbox',
      };
    default:
      // AUTH, ASSETS and recurring-transactions codes need products the emulator does not serve.
      throw new PlaidApiError('SANDBOX_PRODUCT_NOT_ENABLED');
  }
}

export function registerSandboxRoutes(app: FastifyInstance, runtime: EmulatorRuntime): void {
  const { store } = runtime;

  plaidRoute(
    app,
    runtime,
    '/sandbox/public_token/create',
    sandboxPublicTokenCreateSchema,
    (body, ctx): SandboxPublicTokenCreateResponse => {
      const options = body.options;
      const item = store.link({
        institutionId: body.institution_id,
        username: options?.override_username ?? 'user_good',
        password: options?.override_password ?? 'pass_good',
        products: [...new Set(body.initial_products)],
        webhook: options?.webhook ?? null,
        daysRequested: options?.transactions?.days_requested ?? 90,
      });
      return { public_token: store.issuePublicToken(item), request_id: ctx.requestId };
    },
  );

  plaidRoute(
    app,
    runtime,
    '/sandbox/item/fire_webhook',
    fireWebhookSchema,
    (body, ctx): SandboxItemFireWebhookResponse => {
      const item = ctx.item(body.access_token, { allowItemError: true });
      const payload = firedWebhook(item, body.webhook_type, body.webhook_code, store.clock.now());
      if (!item.webhook) throw new PlaidApiError('SANDBOX_WEBHOOK_INVALID');
      store.notify(item, payload);
      return { webhook_fired: true, request_id: ctx.requestId };
    },
  );

  plaidRoute(
    app,
    runtime,
    '/sandbox/item/reset_login',
    resetLoginSchema,
    (body, ctx): SandboxItemResetLoginResponse => {
      const item = ctx.item(body.access_token, { allowItemError: true });
      item.error = new PlaidApiError('ITEM_LOGIN_REQUIRED').toItemError();
      store.notify(item, webhookPayloads.itemError(item.id, item.error));
      return { reset_login: true, request_id: ctx.requestId };
    },
  );

  plaidRoute(
    app,
    runtime,
    '/sandbox/transactions/create',
    sandboxTransactionsCreateSchema,
    (body, ctx): SandboxTransactionsCreateResponse => {
      const item = ctx.item(body.access_token);
      if (item.profile !== 'dynamic') {
        throw plaidErrors.invalidField(
          '/sandbox/transactions/create only works on Items created with user_transactions_dynamic',
        );
      }
      const since = mark(item);
      const today = store.clock.today();
      injectTransactions(
        item,
        body.transactions.map((t) => ({
          amountCents: amountToCents(t.amount),
          date: t.date_posted > today ? today : t.date_posted,
          authorizedDate: t.date_transacted,
          name: t.description,
          pending: t.date_posted > today,
          postsAfterDays:
            t.date_posted > today
              ? Math.max(1, Math.round((Date.parse(t.date_posted) - Date.parse(today)) / 86_400_000))
              : undefined,
        })),
      );
      notifyDataChanged(store, item, since, false);
      return { request_id: ctx.requestId };
    },
  );
}
