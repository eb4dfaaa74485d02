import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { OAuthService } from '../../../domain/oauth/service.js';
import { bearerSecurity, principalOf } from '../../plugins/auth.js';
import { problemResponses } from '../../schemas/problem.js';

const GRANT_ID_MESSAGE = 'expected a grant id (from GET /v1/auth/grants)';

export const grantSchema = z
  .object({
    id: z.string().describe('The grant id'),
    client_id: z.string().describe('The OAuth client it was given to'),
    client_name: z.string().nullable().describe('The client’s registered name, when it gave one'),
    resources: z
      .array(
        z.object({
          resource: z.string().describe('PUBLIC_URL/mcp (MCP) or PUBLIC_URL/v1 (REST API)'),
          scopes: z.array(z.string()).describe('read, write'),
        }),
      )
      .describe('What the client may reach, and with which scopes'),
    created_at: z.iso.datetime(),
    expires_at: z.iso.datetime().nullable(),
  })
  .meta({ id: 'OAuthGrant' });

/** The OAuth authorizations the caller gave (ChatGPT, Claude, a custom GPT): list and revoke. */
export const grantRoutes: FastifyPluginAsyncZod<{ oauth: OAuthService }> = async (app, { oauth }) => {
  app.get(
    '/v1/auth/grants',
    {
      onRequest: app.requireAuth('read'),
      schema: {
        operationId: 'listOAuthGrants',
        summary: 'List the OAuth clients I have allowed (ChatGPT, Claude, …) and their scopes',
        tags: ['auth'],
        security: bearerSecurity,
        response: { 200: z.object({ data: z.array(grantSchema) }), ...problemResponses(401) },
      },
    },
    async (request) => ({ data: await oauth.listGrants(principalOf(request).userId) }),
  );

  app.delete(
    '/v1/auth/grants/:id',
    {
      onRequest: app.requireAuth('write'),
      schema: {
        operationId: 'revokeOAuthGrant',
        summary: 'Revoke an OAuth grant: its refresh tokens and access tokens stop working at once',
        tags: ['auth'],
        security: bearerSecurity,
        params: z.strictObject({
          id: z
            .string({ message: GRANT_ID_MESSAGE })
            .regex(/^[A-Za-z0-9_-]{1,64}$/, { message: GRANT_ID_MESSAGE }),
        }),
        response: { 204: z.null().describe('Revoked'), ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await oauth.revokeGrant(principalOf(request).userId, request.params.id);
      return reply.code(204).send(null);
    },
  );
};
