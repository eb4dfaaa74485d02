import type { FastifyInstance } from 'fastify';
import { ItemRemoveReasonCode } from 'plaid';
import type { ItemGetResponse, ItemRemoveResponse, ItemWebhookUpdateResponse } from 'plaid';
import { z } from 'zod';
import type { EmulatorRuntime } from '../../runtime.js';
import { webhookPayloads } from '../../webhooks/payloads.js';
import { toPlaidItem, toPlaidItemWithConsent } from '../../wire/item.js';
import { plaidRoute } from '../plaid-route.js';
import { accessToken, credentials } from '../schema-parts.js';

export const itemGetSchema = z.strictObject({ ...credentials, access_token: accessToken });
export const itemRemoveSchema = z.strictObject({
  ...credentials,
  access_token: accessToken,
  reason_code: z
    .enum(Object.values(ItemRemoveReasonCode) as [string, ...string[]])
    .nullable()
    .optional(),
  reason_note: z.string().max(512).nullable().optional(),
});
export const itemWebhookUpdateSchema = z.strictObject({
  ...credentials,
  access_token: accessToken,
  webhook: z
    .url({ protocol: /^https?$/ })
    .nullable()
    .optional(),
});

export function registerItemRoutes(app: FastifyInstance, runtime: EmulatorRuntime): void {
  const { store } = runtime;

  // /item/get, /item/remove and /item/webhook/update keep working while the item is in error.
  plaidRoute(app, runtime, '/item/get', itemGetSchema, (body, ctx): ItemGetResponse => {
    const item = ctx.item(body.access_token, { allowItemError: true });
    return {
      item: toPlaidItemWithConsent(store, item),
      status: {
        transactions: { last_successful_update: item.lastTransactionsUpdate, last_failed_update: null },
        investments: item.portfolio
          ? { last_successful_update: item.lastInvestmentsUpdate, last_failed_update: null }
          : null,
        last_webhook: item.lastWebhook,
      },
      request_id: ctx.requestId,
    };
  });

  plaidRoute(app, runtime, '/item/remove', itemRemoveSchema, (body, ctx): ItemRemoveResponse => {
    const item = ctx.item(body.access_token, { allowItemError: true });
    store.removeItem(item);
    return { request_id: ctx.requestId };
  });

  plaidRoute(
    app,
    runtime,
    '/item/webhook/update',
    itemWebhookUpdateSchema,
    (body, ctx): ItemWebhookUpdateResponse => {
      const item = ctx.item(body.access_token, { allowItemError: true });
      item.webhook = body.webhook ?? null;
      if (item.webhook)
        store.notifyUrl(item, item.webhook, webhookPayloads.webhookUpdateAcknowledged(item.id, item.webhook));
      return { item: toPlaidItem(store, item), request_id: ctx.requestId };
    },
  );
}
