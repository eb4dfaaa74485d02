import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { toApiTokenView, type AuthService } from '../../../domain/auth/service.js';
import { bearerSecurity, principalOf } from '../../plugins/auth.js';
import { problemResponses } from '../../schemas/problem.js';
import { apiTokenSchema, createApiTokenBodySchema } from '../../schemas/tokens.js';

/** Personal access tokens of the caller: create (shown once), list, revoke. */
export const tokenRoutes: FastifyPluginAsyncZod<{ auth: AuthService }> = async (app, { auth }) => {
  app.post(
    '/v1/auth/tokens',
    {
      onRequest: app.requireAuth('write'),
      schema: {
        operationId: 'createApiToken',
        summary: 'Create a personal access token (the token is shown only in this response)',
        tags: ['auth'],
        security: bearerSecurity,
        body: createApiTokenBodySchema,
        response: {
          201: apiTokenSchema.extend({
            token: z.string().describe('The secret token; store it now, it cannot be shown again'),
          }),
          ...problemResponses(400, 401, 403),
        },
      },
    },
    async (request, reply) => {
      const { token, row } = await auth.createToken(principalOf(request).userId, {
        name: request.body.name,
        scope: request.body.scope,
        expiresInDays: request.body.expires_in_days,
      });
      return reply.code(201).send({ ...toApiTokenView(row), token });
    },
  );

  app.get(
    '/v1/auth/tokens',
    {
      onRequest: app.requireAuth('read'),
      schema: {
        operationId: 'listApiTokens',
        summary: 'List my personal access tokens (never the secrets)',
        tags: ['auth'],
        security: bearerSecurity,
        response: { 200: z.object({ data: z.array(apiTokenSchema) }), ...problemResponses(401) },
      },
    },
    async (request) => ({ data: (await auth.listTokens(principalOf(request).userId)).map(toApiTokenView) }),
  );

  app.delete(
    '/v1/auth/tokens/:id',
    {
      onRequest: app.requireAuth('write'),
      schema: {
        operationId: 'revokeApiToken',
        summary: 'Revoke one of my personal access tokens',
        tags: ['auth'],
        security: bearerSecurity,
        params: z.strictObject({ id: z.uuid({ message: 'expected a token id (UUID)' }) }),
        response: { 204: z.null().describe('Revoked'), ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await auth.revokeToken(principalOf(request).userId, request.params.id);
      return reply.code(204).send(null);
    },
  );
};
