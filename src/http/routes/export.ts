import { Readable } from 'node:stream';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { PersonalDataService } from '../../domain/export/service.js';
import { bearerSecurity, principalOf } from '../plugins/auth.js';
import { problemResponses } from '../schemas/problem.js';

const exportQuery = z
  .strictObject({
    format: z
      .enum(['json', 'csv'], { message: 'expected json or csv' })
      .default('json')
      .describe('json: everything, one document; csv: everything, a zip of one CSV file per section'),
    section: z
      .enum(['transactions'], { message: 'expected transactions' })
      .optional()
      .describe('with format=csv: this section alone as one CSV file (transactions: the spreadsheet layout)'),
  })
  .refine((query) => query.section === undefined || query.format === 'csv', {
    path: ['section'],
    message: 'only with format=csv',
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
        summary: 'Download all of your data (JSON, or a zip of CSV files)',
        description:
          'Streams one JSON document: `format`, `version`, `exported_at`, then `user`, `institutions`, ' +
          '`items` (never their access tokens), `item_products`, `accounts`, `balance_history`, ' +
          '`transactions` (with your notes, categories and transfer pairing), `transaction_edits_kept` ' +
          '(your edits of transactions the bank removed), `securities` you hold or traded, `holdings`, ' +
          '`holding_snapshots`, `investment_transactions`, `liabilities`, `budgets`, `rules` and ' +
          '`sync_runs`, each an array of rows with the database column names; amounts are exact ' +
          'decimals (negative = money out). `format=csv` gives the same sections as a zip ' +
          '(`application/zip`) of one CSV file each with a README.txt; `format=csv&section=transactions` ' +
          "the transactions alone as one CSV file. Never a token, a password hash or another person's row.",
        tags: ['me'],
        security: bearerSecurity,
        querystring: exportQuery,
        response: {
          200: z
            .object({ format: z.string(), version: z.number().int(), exported_at: z.string() })
            .loose()
            .describe(
              'The export document (JSON); with format=csv a zip (application/zip), with ' +
                'section=transactions text/csv',
            ),
          ...problemResponses(400, 401, 403),
        },
      },
    },
    async (request, reply) => {
      const { userId } = principalOf(request);
      const now = new Date();
      const day = now.toISOString().slice(0, 10);
      const { format, section } = request.query;
      const [chunks, type, file] =
        format === 'json'
          ? [personalData.exportJson(userId, now), 'application/json; charset=utf-8', `${day}.json`]
          : section === 'transactions'
            ? [
                personalData.exportTransactionsCsv(userId),
                'text/csv; charset=utf-8',
                `${day}.transactions.csv`,
              ]
            : [personalData.exportCsvZip(userId, now), 'application/zip', `${day}.zip`];
      return (
        reply
          .type(type)
          .header('cache-control', 'no-store')
          .header('content-disposition', `attachment; filename="finance-export-${file}"`)
          // A stream is sent as it comes (no serializer); the 200 schema above documents the JSON form.
          .send(Readable.from(chunks as AsyncIterable<string | Buffer>) as never)
      );
    },
  );
};
