import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountsService } from '../../domain/accounts/service.js';
import type { CategoriesService } from '../../domain/categories/service.js';
import { bearerSecurity, principalOf } from '../plugins/auth.js';
import { envelopeShape } from '../schemas/common.js';
import { problemResponses } from '../schemas/problem.js';

const count = z.number().int().min(0);

export const categoriesData = z.object({
  plaid: z
    .array(
      z.object({
        primary: z.string().describe("Plaid's personal finance category, e.g. FOOD_AND_DRINK"),
        transaction_count: count,
        detailed: z.array(z.object({ detailed: z.string(), transaction_count: count })),
      }),
    )
    .describe('Every Plaid category in my transactions, as Plaid gave it (whatever I overrode), with counts'),
  own: z
    .array(z.object({ category: z.string(), transaction_count: count }))
    .describe('The categories I set on transactions (overrides), with counts'),
  uncategorized_count: count.describe('Transactions Plaid gave no category'),
});

export const categoryRoutes: FastifyPluginAsyncZod<{
  categories: CategoriesService;
  accounts: AccountsService;
}> = async (app, { categories, accounts }) => {
  app.get(
    '/v1/categories',
    {
      onRequest: app.requireAuth('read'),
      schema: {
        operationId: 'listCategories',
        summary: 'The categories in use in my transactions (Plaid primary/detailed, and my own), with counts',
        tags: ['transactions'],
        security: bearerSecurity,
        querystring: z.strictObject({}),
        response: {
          200: z.object({ ...envelopeShape, data: categoriesData }),
          ...problemResponses(400, 401),
        },
      },
    },
    async (request) => {
      const userId = principalOf(request).userId;
      const [envelope, data] = await Promise.all([accounts.envelope(userId), categories.list(userId)]);
      return { ...envelope, data };
    },
  );
};
