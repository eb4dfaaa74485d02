import { Readable } from 'node:stream';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { PersonalDataService } from '../../domain/export/service.js';
import { bearerSecurity, principalOf } from '../plugins/auth.js';
import { problemResponses } from '../schemas/problem.js';

const exportQuery = z.strictObject({
  format: z
    .enum(['json', 'csv'], { message: 'expected json or csv' })
    .default('json')
    .describe('json: everything, one document; csv: the transactions only'),
});

/** GET /v1/export: everything the caller has, streamed (docs/operations.md#my-data-out). */
export const exportRoutes: FastifyPluginAsyncZod<{ personalData: PersonalDataService }> = async (
  app,
  { personalData },
) => {
  app.get(
    '/v1/export',
    {
      onRequest: app.requireAuth('read'),
      schema: {
        operationId: 'exportMyData',
        summary: 'Download all of your data (JSON), or your transactions (CSV)',
        description:
          'Streams one JSON document: `format`, `version`, `exported_at`, then `user`, `institutions`, ' +
          '`items` (never their access tokens), `item_products`, `accounts`, `balance_history`, ' +
          '`transactions` (with your notes, categories and transfer pairing), `securities` you hold or ' +
          'traded, `holdings`, `holding_snapshots`, `investment_transactions`, `liabilities`, `budgets` ' +
          'and `sync_runs`, each an array of rows with the database column names; amounts are exact ' +
          'decimals (negative = money out). `format=csv` gives the transactions as CSV instead. Never ' +
          "a token, a password hash or another person's row.",
        tags: ['me'],
        security: bearerSecurity,
        querystring: exportQuery,
        response: {
          200: z
            .object({ format: z.string(), version: z.number().int(), exported_at: z.string() })
            .loose()
            .describe('The export document (JSON), or text/csv with format=csv'),
          ...problemResponses(400, 401, 403),
        },
      },
    },
    async (request, reply) => {
      const { userId } = principalOf(request);
      const day = new Date().toISOString().slice(0, 10);
      const csv = request.query.format === 'csv';
      const chunks = csv ? personalData.exportTransactionsCsv(userId) : personalData.exportJson(userId);
      return (
        reply
          .type(csv ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8')
          .header('cache-control', 'no-store')
          .header(
            'content-disposition',
            `attachment; filename="finance-export-${day}.${csv ? 'transactions.csv' : 'json'}"`,
          )
          // A stream is sent as it comes (no serializer); the 200 schema above documents the JSON form.
          .send(Readable.from(chunks) as never)
      );
    },
  );
};
