import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { apiTokenScopes } from '../../db/schema/index.js';
import type { PersonalDataService } from '../../domain/export/service.js';
import { toUserView, type UsersService } from '../../domain/users/service.js';
import { errors } from '../../errors/catalog.js';
import { bearerSecurity, principalOf } from '../plugins/auth.js';
import { problemResponses } from '../schemas/problem.js';
import { userSchema } from '../schemas/users.js';

const deleteMeBody = z.strictObject({
  confirm: z
    .string()
    .max(320)
    .describe('Your email address, exactly: the explicit confirmation that everything goes'),
});

export const meRoutes: FastifyPluginAsyncZod<{
  users: UsersService;
  /** Without it (an app without Plaid's pipeline) there is no DELETE /v1/me. */
  personalData?: PersonalDataService;
}> = async (app, { users, personalData }) => {
  app.get(
    '/v1/me',
    {
      onRequest: app.requireAuth('read'),
      schema: {
        operationId: 'getMe',
        summary: 'The calling user, and how they authenticated',
        tags: ['auth'],
        security: bearerSecurity,
        response: {
          200: userSchema.extend({
            auth: z.object({
              kind: z.enum(['jwt', 'access_token', 'oauth', 'web_session']),
              scopes: z.array(z.enum(apiTokenScopes)),
            }),
          }),
          ...problemResponses(401),
        },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const user = await users.get(principal.userId);
      return { ...toUserView(user), auth: { kind: principal.kind, scopes: principal.scopes } };
    },
  );

  if (!personalData) return;
  app.delete(
    '/v1/me',
    {
      onRequest: app.requireAuth('write'),
      schema: {
        operationId: 'deleteMe',
        summary: 'Delete yourself and all of your data',
        description:
          'Removes each of your items at Plaid (`/item/remove`; a Plaid error is logged and does not stop ' +
          'the deletion), then deletes you and every row of yours: items, accounts, balances, ' +
          'transactions, holdings, liabilities, budgets, raw payloads, sync ledger, webhook events of ' +
          'your items, queued jobs, tokens, sessions and OAuth grants. `confirm` must be your email ' +
          'address. Irreversible: take `GET /v1/export` first.',
        tags: ['me'],
        security: bearerSecurity,
        body: deleteMeBody,
        response: { 204: z.null().describe('Deleted'), ...problemResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const { userId } = principalOf(request);
      const user = await users.get(userId);
      if (request.body.confirm.trim().toLowerCase() !== user.email) {
        throw errors.validationFailed([
          { field: 'body.confirm', message: 'expected your email address, to confirm the deletion' },
        ]);
      }
      await personalData.deletePerson(userId);
      return reply.code(204).send(null);
    },
  );
};
