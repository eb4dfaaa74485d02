import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountsService } from '../../domain/accounts/service.js';
import type { TransactionDetailService } from '../../domain/transactions/detail.js';
import { transactionEtag } from '../../domain/transactions/edits-etag.js';
import { bearerSecurity, principalOf } from '../plugins/auth.js';
import { envelopeShape, idParams } from '../schemas/common.js';
import { problemResponses } from '../schemas/problem.js';
import { transactionSchema } from './transactions.js';

export const transactionDetailSchema = transactionSchema
  .extend({
    plaid_category: z
      .object({
        primary: z.string().nullable(),
        detailed: z.string().nullable(),
        confidence: z.string().nullable(),
      })
      .describe("Plaid's personal finance category as Plaid gave it, whatever you overrode"),
    transfer_counterpart: transactionSchema
      .nullable()
      .describe('The other leg when this is a movement between your own accounts (transfer_pair_id)'),
    pending_transaction_id: z
      .string()
      .nullable()
      .describe(
        "Plaid's id of the pending transaction this one posted from (what you set on it was carried over)",
      ),
    pending_predecessor: transactionSchema
      .nullable()
      .describe('That pending transaction, while it is still stored (Plaid removes it once this one posts)'),
  })
  .meta({ id: 'TransactionDetail' });

export const transactionDetailRoutes: FastifyPluginAsyncZod<{
  detail: TransactionDetailService;
  accounts: AccountsService;
}> = async (app, { detail, accounts }) => {
  app.get(
    '/v1/transactions/:id',
    {
      onRequest: app.requireAuth('read'),
      schema: {
        operationId: 'getTransaction',
        summary: 'One transaction with its transfer counterpart, pending predecessor and Plaid categories',
        description:
          'The ETag header is the version of your fields (`"v<version>"`): send it as If-Match with ' +
          'PATCH /v1/transactions/{id} so that an edit made meanwhile is not overwritten (412).',
        tags: ['transactions'],
        security: bearerSecurity,
        params: idParams,
        response: {
          200: z.object({ ...envelopeShape, data: transactionDetailSchema }),
          ...problemResponses(400, 401, 404),
        },
      },
    },
    async (request, reply) => {
      const userId = principalOf(request).userId;
      const [envelope, data] = await Promise.all([
        accounts.envelope(userId),
        detail.get(userId, request.params.id),
      ]);
      // The version of the owner's fields, for If-Match on PATCH /v1/transactions/{id}.
      void reply.header('etag', transactionEtag(data.version));
      return { ...envelope, data };
    },
  );
};
