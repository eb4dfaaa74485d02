import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountsService } from '../../domain/accounts/service.js';
import { transactionEtag } from '../../domain/transactions/edits-etag.js';
import type { TransactionEditsService } from '../../domain/transactions/edits.js';
import { bearerSecurity, principalOf } from '../plugins/auth.js';
import { envelopeShape, idParams } from '../schemas/common.js';
import { transactionPatchSchema } from '../schemas/owner-edits.js';
import { problemResponses } from '../schemas/problem.js';
import { transactionDetailSchema } from './transaction-detail.js';

export const transactionEditRoutes: FastifyPluginAsyncZod<{
  edits: TransactionEditsService;
  accounts: AccountsService;
}> = async (app, { edits, accounts }) => {
  app.patch(
    '/v1/transactions/:id',
    {
      onRequest: app.requireAuth('write'),
      schema: {
        operationId: 'updateTransaction',
        summary: 'Edit my fields of one transaction: note, category, tags, exclusion, merchant name',
        description:
          'Only the fields sent change; null clears one. What you set here beats any rule and survives ' +
          'every later sync. If-Match (the ETag of GET /v1/transactions/{id}) or `version` is optional ' +
          'but honored: when the transaction changed since, nothing is written and the answer is 412. ' +
          'Cash flow and budgets follow at once; an excluded transaction stays listed.',
        tags: ['transactions'],
        security: bearerSecurity,
        params: idParams,
        headers: z.looseObject({
          'if-match': z
            .string()
            .max(1000, { message: 'expected at most 1000 characters' })
            .optional()
            .describe('The ETag you read ("v<version>"), or *'),
        }),
        body: transactionPatchSchema,
        response: {
          200: z.object({ ...envelopeShape, data: transactionDetailSchema }),
          ...problemResponses(400, 401, 403, 404, 412),
        },
      },
    },
    async (request, reply) => {
      const userId = principalOf(request).userId;
      const data = await edits.edit(userId, request.params.id, request.body, request.headers['if-match']);
      const envelope = await accounts.envelope(userId);
      void reply.header('etag', transactionEtag(data.version));
      return { ...envelope, data };
    },
  );
};
