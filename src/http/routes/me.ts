import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { apiTokenScopes } from '../../db/schema/index.js';
import { toUserView, type UsersService } from '../../domain/users/service.js';
import { bearerSecurity, principalOf } from '../plugins/auth.js';
import { problemResponses } from '../schemas/problem.js';
import { userSchema } from '../schemas/users.js';

export const meRoutes: FastifyPluginAsyncZod<{ users: UsersService }> = async (app, { users }) => {
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
              kind: z.enum(['jwt', 'access_token', 'oauth']),
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
};
