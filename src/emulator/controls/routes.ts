import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { advanceDays } from '../activity/advance.js';
import { injectTransactions, mutateOnce } from '../activity/inject.js';
import { mark, notifyDataChanged } from '../activity/notifications.js';
import { amountToCents } from '../core/money.js';
import { newRequestId } from '../core/ids.js';
import { PlaidApiError, plaidErrors } from '../http/plaid-error.js';
import { isoDate } from '../http/schema-parts.js';
import { parseRequest } from '../http/validation.js';
import type { EmulatorRuntime } from '../runtime.js';
import type { EmulatedItem } from '../state/item.js';
import { webhookPayloads } from '../webhooks/payloads.js';
import { addBulkHistory } from './bulk-history.js';
import { groundTruth } from './ground-truth.js';

const advanceSchema = z.strictObject({ days: z.number().int().min(1).max(3650) });
const injectSchema = z.strictObject({
  transactions: z
    .array(
      z.strictObject({
        account_id: z.string().optional(),
        amount: z.number().finite(),
        date: isoDate.optional(),
        authorized_date: isoDate.optional(),
        name: z.string().min(1),
        merchant_name: z.string().nullable().optional(),
        pending: z.boolean().optional(),
        posts_after_days: z.number().int().min(1).nullable().optional(),
      }),
    )
    .min(1)
    .max(10_000),
});
const bulkSchema = z.strictObject({
  count: z.number().int().min(1).max(2_000_000),
  account_id: z.string().optional(),
});
const armSchema = z.strictObject({ after_pages: z.number().int().min(1).optional() });
const ITEM_EVENTS = [
  'ITEM_LOGIN_REQUIRED',
  'LOGIN_REPAIRED',
  'USER_PERMISSION_REVOKED',
  'PENDING_EXPIRATION',
  'PENDING_DISCONNECT',
  'NEW_ACCOUNTS_AVAILABLE',
  'ERROR',
] as const;
const eventSchema = z.strictObject({ event: z.enum(ITEM_EVENTS), error_code: z.string().optional() });
const faultSchema = z.strictObject({
  endpoint: z.string().min(1),
  error_code: z.string().min(1),
  count: z.number().int().min(1).max(1_000_000).optional(),
  status: z.number().int().min(400).max(599).optional(),
  error_type: z.string().optional(),
  item_id: z.string().optional(),
});
const latencySchema = z.strictObject({
  endpoint: z.string().min(1).optional(),
  ms: z.number().int().min(0).max(120_000),
});
const replaySchema = z.strictObject({ delivery_id: z.number().int().min(1) });
const dropSchema = z.strictObject({ enabled: z.boolean() });

type Params = { item_id: string };

/**
 * The emulator's own controls under `/__emulator/*` (not Plaid): the clock, data injection and
 * mutation, fault and latency injection, webhook keys and deliveries, and the ground truth.
 * Answers are JSON; errors use Plaid's error object.
 */
export function registerControlRoutes(app: FastifyInstance, runtime: EmulatorRuntime): void {
  const { store } = runtime;
  const itemOf = (id: string): EmulatedItem => {
    const item = store.items.get(id);
    if (!item || item.removed) throw plaidErrors.itemNotFound();
    return item;
  };
  const guard = async (reply: FastifyReply, work: () => unknown): Promise<FastifyReply> => {
    try {
      return reply.code(200).send(await work());
    } catch (error) {
      const plaid = error instanceof PlaidApiError ? error : new PlaidApiError('INTERNAL_SERVER_ERROR');
      if (!(error instanceof PlaidApiError)) runtime.logger.error({ err: error }, 'emulator control failed');
      return reply.code(plaid.status).send(plaid.toResponse(newRequestId()));
    }
  };

  app.get('/__emulator/state', (_req, reply) =>
    guard(reply, () => ({
      now: store.clock.now().toISOString(),
      seed: store.seed,
      items: [...store.items.values()].map((item) => ({
        item_id: item.id,
        institution_id: item.institutionId,
        username: item.username,
        removed: item.removed,
        error: item.error,
        webhook: item.webhook,
        access_tokens: store.accessTokensOf(item.id),
        transactions: item.ledger.size,
        version: item.ledger.version,
      })),
    })),
  );

  app.post('/__emulator/clock/advance', (req, reply) =>
    guard(reply, () => advanceDays(store, parseRequest(advanceSchema, req.body ?? {}).days)),
  );

  app.post<{ Params: Params }>('/__emulator/items/:item_id/transactions', (req, reply) =>
    guard(reply, () => {
      const item = itemOf(req.params.item_id);
      const body = parseRequest(injectSchema, req.body ?? {});
      const since = mark(item);
      const today = store.clock.today();
      const ids = injectTransactions(
        item,
        body.transactions.map((t) => ({
          accountId: t.account_id,
          amountCents: amountToCents(t.amount),
          date: t.date ?? today,
          authorizedDate: t.authorized_date,
          name: t.name,
          merchantName: t.merchant_name,
          pending: t.pending,
          postsAfterDays: t.posts_after_days,
        })),
      );
      notifyDataChanged(store, item, since, false);
      return { transaction_ids: ids };
    }),
  );

  app.post<{ Params: Params }>('/__emulator/items/:item_id/transactions/generate', (req, reply) =>
    guard(reply, () => {
      const item = itemOf(req.params.item_id);
      const body = parseRequest(bulkSchema, req.body ?? {});
      addBulkHistory(item, body.count, store.clock.today(), body.account_id);
      return { transactions: item.ledger.size, version: item.ledger.version };
    }),
  );

  app.post<{ Params: Params }>('/__emulator/items/:item_id/mutate', (req, reply) =>
    guard(reply, () => {
      const item = itemOf(req.params.item_id);
      const since = mark(item);
      const change = mutateOnce(item, store.clock.today(), 1);
      notifyDataChanged(store, item, since, false);
      return { change, version: item.ledger.version };
    }),
  );

  app.post<{ Params: Params }>('/__emulator/items/:item_id/mutate-between-pages', (req, reply) =>
    guard(reply, () => {
      const item = itemOf(req.params.item_id);
      item.mutateAfterPages = parseRequest(armSchema, req.body ?? {}).after_pages ?? 1;
      return { armed: true, after_pages: item.mutateAfterPages };
    }),
  );

  app.post<{ Params: Params }>('/__emulator/items/:item_id/events', (req, reply) =>
    guard(reply, () => {
      const item = itemOf(req.params.item_id);
      const body = parseRequest(eventSchema, req.body ?? {});
      const inAWeek = new Date(store.clock.now().getTime() + 7 * 86_400_000).toISOString();
      switch (body.event) {
        case 'ITEM_LOGIN_REQUIRED':
        case 'ERROR':
          item.error = new PlaidApiError(body.error_code ?? 'ITEM_LOGIN_REQUIRED').toItemError();
          store.notify(item, webhookPayloads.itemError(item.id, item.error));
          break;
        case 'LOGIN_REPAIRED':
          item.error = null;
          store.notify(item, webhookPayloads.loginRepaired(item.id));
          break;
        case 'USER_PERMISSION_REVOKED':
          item.error = new PlaidApiError('USER_PERMISSION_REVOKED').toItemError();
          store.notify(item, webhookPayloads.userPermissionRevoked(item.id, item.error));
          break;
        case 'PENDING_EXPIRATION':
          store.notify(item, webhookPayloads.pendingExpiration(item.id, inAWeek));
          break;
        case 'PENDING_DISCONNECT':
          store.notify(item, webhookPayloads.pendingDisconnect(item.id, inAWeek));
          break;
        case 'NEW_ACCOUNTS_AVAILABLE':
          store.notify(item, webhookPayloads.newAccountsAvailable(item.id));
          break;
      }
      return { item_id: item.id, error: item.error };
    }),
  );

  app.get<{ Params: Params }>('/__emulator/items/:item_id/ground-truth', (req, reply) =>
    guard(reply, () => groundTruth(store, itemOf(req.params.item_id))),
  );

  app.post('/__emulator/faults', (req, reply) =>
    guard(reply, () => {
      const body = parseRequest(faultSchema, req.body ?? {});
      runtime.faults.add({
        endpoint: body.endpoint,
        remaining: body.count ?? 1,
        errorCode: body.error_code,
        status: body.status,
        errorType: body.error_type as never,
        itemId: body.item_id ?? null,
      });
      return { faults: runtime.faults.list() };
    }),
  );
  app.get('/__emulator/faults', (_req, reply) => guard(reply, () => ({ faults: runtime.faults.list() })));
  app.delete('/__emulator/faults', (_req, reply) =>
    guard(reply, () => {
      runtime.faults.clear();
      return { faults: [] };
    }),
  );

  app.post('/__emulator/latency', (req, reply) =>
    guard(reply, () => {
      const body = parseRequest(latencySchema, req.body ?? {});
      runtime.faults.setLatency(body.endpoint ?? '*', body.ms);
      return { endpoint: body.endpoint ?? '*', ms: body.ms };
    }),
  );

  app.post('/__emulator/webhook-keys/rotate', (_req, reply) =>
    guard(reply, async () => ({ key_id: await runtime.keys.rotate(), keys: runtime.keys.list() })),
  );

  app.get('/__emulator/webhooks', (_req, reply) =>
    guard(reply, () => ({ deliveries: runtime.webhooks.log() })),
  );
  app.post('/__emulator/webhooks/replay', (req, reply) =>
    guard(reply, () => {
      const delivery = runtime.webhooks.replay(parseRequest(replaySchema, req.body ?? {}).delivery_id);
      if (!delivery) throw plaidErrors.invalidField('unknown delivery_id');
      return { delivery };
    }),
  );
  app.post('/__emulator/webhooks/drop', (req, reply) =>
    guard(reply, () => {
      runtime.webhooks.dropping = parseRequest(dropSchema, req.body ?? {}).enabled;
      return { dropping: runtime.webhooks.dropping };
    }),
  );
}
