import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { checkSandboxLogin } from '../catalog/sandbox-users.js';
import { newRequestId } from '../core/ids.js';
import { PlaidApiError, plaidErrors } from '../http/plaid-error.js';
import { parseRequest } from '../http/validation.js';
import type { EmulatorRuntime } from '../runtime.js';
import type { EmulatedItem } from '../state/item.js';
import { webhookPayloads } from '../webhooks/payloads.js';
import { renderLinkPage } from './page.js';

const sessionSchema = z.strictObject({
  link_token: z.string().min(1),
  institution_id: z.string().min(1),
  username: z.string().min(1),
  password: z.string().min(1),
});

/** Plaid Link's onSuccess metadata. */
function successMetadata(item: EmulatedItem) {
  return {
    institution: { name: item.institutionName, institution_id: item.institutionId },
    accounts: item.accounts.map((a) => ({
      id: a.id,
      name: a.name,
      mask: a.mask,
      type: a.type,
      subtype: a.subtype,
      verification_status: null,
    })),
    link_session_id: randomUUID(),
    transfer_status: null,
  };
}

/** `GET /link?token=…` serves the page; `POST /link/session` completes it. */
export function registerLinkPage(app: FastifyInstance, runtime: EmulatorRuntime): void {
  const { store } = runtime;

  app.get<{ Querystring: { token?: string; redirect_uri?: string } }>('/link', (request, reply) => {
    const token = request.query.token ?? '';
    try {
      const record = store.linkToken(token);
      const updateItem = record.itemId ? store.items.get(record.itemId) : undefined;
      return reply.type('text/html; charset=utf-8').send(
        renderLinkPage({
          linkToken: record.token,
          clientName: record.clientName,
          // Plaid Link offers only the institutions that support every required product.
          institutions: store.institutions
            .list()
            .filter((i) => record.products.every((p) => i.products.includes(p as never))),
          updateInstitutionId: updateItem?.institutionId ?? null,
          redirectUri: request.query.redirect_uri ?? null,
        }),
      );
    } catch {
      return reply
        .code(400)
        .type('text/html; charset=utf-8')
        .send('<!doctype html><p>This link token is invalid or expired.</p>');
    }
  });

  app.post('/link/session', (request, reply) => {
    try {
      const body = parseRequest(sessionSchema, request.body ?? {});
      const record = store.linkToken(body.link_token);
      let item: EmulatedItem;
      if (record.itemId) {
        // Update mode: the same user logs in again, which repairs ITEM_LOGIN_REQUIRED.
        const existing = store.items.get(record.itemId);
        if (!existing || existing.removed) throw plaidErrors.itemNotFound();
        if (body.username !== existing.username) throw new PlaidApiError('INVALID_CREDENTIALS');
        if (existing.profile !== 'fixture') checkSandboxLogin(body.username, body.password);
        const wasBroken = existing.error !== null;
        existing.error = null;
        if (wasBroken) store.notify(existing, webhookPayloads.loginRepaired(existing.id));
        item = existing;
      } else {
        item = store.link({
          institutionId: body.institution_id,
          username: body.username,
          password: body.password,
          products: record.products,
          requiredIfSupportedProducts: record.requiredIfSupportedProducts,
          optionalProducts: record.optionalProducts,
          webhook: record.webhook,
          daysRequested: record.daysRequested,
        });
      }
      return reply.send({ public_token: store.issuePublicToken(item), metadata: successMetadata(item) });
    } catch (error) {
      const plaid = error instanceof PlaidApiError ? error : new PlaidApiError('INTERNAL_SERVER_ERROR');
      return reply.code(plaid.status).send(plaid.toResponse(newRequestId()));
    }
  });
}
