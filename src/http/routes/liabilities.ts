import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountsService } from '../../domain/accounts/service.js';
import type { LiabilitiesService } from '../../domain/liabilities/service.js';
import { bearerSecurity, principalOf } from '../plugins/auth.js';
import { dateSchema, envelopeShape } from '../schemas/common.js';
import { problemResponses } from '../schemas/problem.js';

/**
 * The one sign of this resource: what is owed or was paid is POSITIVE (as Plaid and a statement show
 * it), unlike account balances elsewhere (negative = owed). docs/domain.md says it once.
 */
const owed = z
  .string()
  .regex(/^-?\d+\.\d{2,}$/)
  .nullable()
  .meta({ example: '1250.00' });
const percent = z.string().nullable().describe('In percent, e.g. "22.99"');

export const liabilitySchema = z
  .object({
    account: z.object({
      id: z.uuid(),
      item_id: z.uuid(),
      institution_name: z.string().nullable(),
      name: z.string(),
      mask: z.string().nullable(),
      type: z.string().describe('credit or loan (the list may grow)'),
      subtype: z.string().nullable(),
      currency: z.string(),
      last_synced_at: z.iso.datetime().nullable().describe("When the account's item last synced"),
    }),
    kind: z.enum(['credit', 'mortgage', 'student', 'loan', 'line_of_credit']),
    balance_owed: owed.describe(
      'What is owed now, POSITIVE (the account balance seen from the lender; 0 or negative = nothing owed or a credit)',
    ),
    credit_limit: owed.describe('Cards and lines of credit'),
    interest_rate_percentage: percent.describe(
      'Loans: the interest rate; cards: the purchase APR (else the first APR); see aprs',
    ),
    interest_rate_type: z.enum(['fixed', 'variable']).nullable().describe('Mortgages and loans, when known'),
    aprs: z
      .array(
        z.object({
          type: z
            .enum(['purchase_apr', 'cash_apr', 'balance_transfer_apr', 'special', 'other'])
            .describe('other: a type Plaid added since'),
          percentage: percent,
          balance_subject_to_apr: owed,
          interest_charge_amount: owed,
        }),
      )
      .describe('Cards: every APR by type; empty for loans'),
    last_statement_balance: owed.describe('Cards and student loans'),
    last_statement_issue_date: dateSchema.nullable(),
    minimum_payment_amount: owed.describe(
      'Cards and student loans: the minimum payment; mortgages and loans: the next scheduled payment',
    ),
    next_payment_due_date: dateSchema.nullable(),
    last_payment_amount: owed,
    last_payment_date: dateSchema.nullable(),
    is_overdue: z.boolean().nullable().describe('Cards and student loans, when Plaid says'),
    past_due_amount: owed.describe('Mortgages and loans, when Plaid says'),
    origination_principal_amount: owed.describe('Loans: the principal borrowed'),
    origination_date: dateSchema.nullable(),
    outstanding_interest_amount: owed.describe('Student loans: interest accrued and not yet paid'),
    payoff_date: dateSchema
      .nullable()
      .describe('Mortgages and loans: the maturity date; student loans: the expected payoff date'),
    escrow_balance: owed.describe('Mortgages'),
    has_pmi: z.boolean().nullable().describe('Mortgages: private mortgage insurance'),
    ytd_interest_paid: owed,
    ytd_principal_paid: owed,
    updated_at: z.iso.datetime().describe('When a sync last wrote these figures'),
  })
  .meta({ id: 'Liability' });

export const liabilitiesQuery = z.strictObject({
  account_id: z.uuid({ message: 'expected an account id (UUID)' }).optional().describe('Only this account'),
});

export const liabilitiesResponse = z.object({ ...envelopeShape, data: z.array(liabilitySchema) });

export const liabilityRoutes: FastifyPluginAsyncZod<{
  liabilities: LiabilitiesService;
  accounts: AccountsService;
}> = async (app, { liabilities, accounts }) => {
  app.get(
    '/v1/liabilities',
    {
      onRequest: app.requireAuth('read'),
      schema: {
        operationId: 'listLiabilities',
        summary: 'My credit cards, student loans, mortgages and loans: rates, payments, due dates',
        description:
          'Every amount here is what is owed or was paid, as a POSITIVE decimal string in the account ' +
          'currency (unlike account balances, where owed is negative). An unknown account_id is 404.',
        tags: ['accounts'],
        security: bearerSecurity,
        querystring: liabilitiesQuery,
        response: { 200: liabilitiesResponse, ...problemResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const userId = principalOf(request).userId;
      const [envelope, data] = await Promise.all([
        accounts.envelope(userId),
        liabilities.list(userId, request.query.account_id),
      ]);
      return { ...envelope, data };
    },
  );
};
