import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountsService } from '../../domain/accounts/service.js';
import { SUGGEST_MONTHS, type BudgetsService } from '../../domain/budgets/service.js';
import { bearerSecurity, principalOf } from '../plugins/auth.js';
import { dateSchema, envelopeShape, moneySchema } from '../schemas/common.js';
import { monthParam, monthSchema } from '../schemas/month.js';
import { problemResponses } from '../schemas/problem.js';

const CURRENCY_MESSAGE =
  'expected a currency code: 3 to 10 capital letters or digits, starting with a letter (USD)';
const AMOUNT_MESSAGE = 'expected a non-negative decimal string with at most 4 decimals, e.g. "250.00"';
const CATEGORY_MESSAGE =
  'expected a category of 1 to 100 characters (as cash flow names it, e.g. FOOD_AND_DRINK)';

export const currencyCode = z
  .string({ message: CURRENCY_MESSAGE })
  .regex(/^[A-Z][A-Z0-9]{2,9}$/, { message: CURRENCY_MESSAGE })
  .meta({ example: 'USD' });

export const budgetParams = z.strictObject({
  category: z
    .string({ message: CATEGORY_MESSAGE })
    .min(1, { message: CATEGORY_MESSAGE })
    .max(100, { message: CATEGORY_MESSAGE })
    .describe('The spending category as cash flow names it: a Plaid primary category or your own'),
});

export const putBudgetBody = z.strictObject({
  amount: z
    .string({ message: AMOUNT_MESSAGE })
    .regex(/^\d{1,16}(\.\d{1,4})?$/, { message: AMOUNT_MESSAGE })
    .describe('The monthly limit, a positive decimal string'),
  currency: currencyCode,
  rollover: z
    .boolean({ message: 'expected true or false' })
    .optional()
    .describe("Carry last month's remainder (or overspending) into each month (default false)"),
});

export const budgetSchema = z.object({
  category: z.string(),
  currency: z.string(),
  amount: moneySchema,
  rollover: z.boolean(),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
});

const figures = {
  budgeted: moneySchema,
  rollover_carried: moneySchema.describe(
    "With rollover: last month's budget − its spending (negative = overspent)",
  ),
  available: moneySchema.describe('budgeted + rollover_carried'),
  spent: moneySchema.describe('Posted spending this month (positive), as cash flow counts it'),
  pending: moneySchema.describe('Pending spending, not in spent'),
  remaining: moneySchema.describe('available − spent'),
  projected_spent: moneySchema.describe(
    'Month-end projection: spent + the daily pace of the non-recurring spending × days left + recurring bills still due',
  ),
  projected_remaining: moneySchema.describe('available − projected_spent'),
  recurring_due: moneySchema.describe('Recurring bills of the category expected later this month'),
};

export const budgetsMonthResponse = z.object({
  ...envelopeShape,
  month: monthSchema,
  as_of_date: dateSchema.describe(
    "The last day counted: the month's last day, or today in the current month",
  ),
  budgets: z.array(
    z.object({ category: z.string(), currency: z.string(), rollover: z.boolean(), ...figures }),
  ),
  totals: z
    .array(z.object({ currency: z.string(), ...figures }))
    .describe('Per currency: amounts in different currencies are never added together'),
});

export const budgetSuggestionsResponse = z.object({
  ...envelopeShape,
  months: z.array(monthSchema).describe(`The ${SUGGEST_MONTHS} complete months the medians are taken over`),
  suggestions: z.array(
    z.object({
      currency: z.string(),
      category: z.string(),
      suggested_amount: moneySchema.describe('The median of the monthly spending (positive)'),
      monthly_spending: z.array(z.object({ month: monthSchema, spent: moneySchema })),
    }),
  ),
});

export const budgetRoutes: FastifyPluginAsyncZod<{
  budgets: BudgetsService;
  accounts: AccountsService;
}> = async (app, { budgets, accounts }) => {
  app.put(
    '/v1/budgets/:category',
    {
      onRequest: app.requireAuth('write'),
      schema: {
        operationId: 'putBudget',
        summary: 'Set my monthly budget for a spending category in one currency',
        tags: ['budgets'],
        security: bearerSecurity,
        params: budgetParams,
        body: putBudgetBody,
        response: { 200: z.object({ data: budgetSchema }), ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => ({
      data: await budgets.put(principalOf(request).userId, request.params.category, request.body),
    }),
  );

  app.delete(
    '/v1/budgets/:category',
    {
      onRequest: app.requireAuth('write'),
      schema: {
        operationId: 'deleteBudget',
        summary: 'Remove my budget for a category in one currency',
        tags: ['budgets'],
        security: bearerSecurity,
        params: budgetParams,
        querystring: z.strictObject({ currency: currencyCode }),
        response: { 204: z.null().describe('Deleted'), ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await budgets.delete(principalOf(request).userId, request.params.category, request.query.currency);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/budgets',
    {
      onRequest: app.requireAuth('read'),
      schema: {
        operationId: 'getBudgets',
        summary:
          'My budgets for a month: budgeted, spent (posted; pending apart), remaining, rollover, projection',
        description:
          'Per category and currency, with totals per currency. Spending counts as GET /v1/cashflow/summary counts ' +
          'it: transfers between my own accounts and excluded transactions out, my category overrides in. ' +
          'Positive = spent.',
        tags: ['budgets'],
        security: bearerSecurity,
        querystring: z.strictObject({
          month: monthParam
            .optional()
            .describe('The month (YYYY-MM, default: the current one; not a later one)'),
        }),
        response: { 200: budgetsMonthResponse, ...problemResponses(400, 401) },
      },
    },
    async (request) => {
      const userId = principalOf(request).userId;
      const month = budgets.month(request.query.month);
      const [envelope, answer] = await Promise.all([
        accounts.envelope(userId),
        budgets.forMonth(userId, month),
      ]);
      return { ...envelope, month: month.month, as_of_date: month.asOf, ...answer };
    },
  );

  app.get(
    '/v1/budgets/suggest',
    {
      onRequest: app.requireAuth('read'),
      schema: {
        operationId: 'suggestBudgets',
        summary: `A starting budget per category: the median of my spending over the last ${SUGGEST_MONTHS} complete months`,
        tags: ['budgets'],
        security: bearerSecurity,
        querystring: z.strictObject({}),
        response: { 200: budgetSuggestionsResponse, ...problemResponses(400, 401) },
      },
    },
    async (request) => {
      const userId = principalOf(request).userId;
      const [envelope, answer] = await Promise.all([accounts.envelope(userId), budgets.suggest(userId)]);
      return { ...envelope, ...answer };
    },
  );
};
