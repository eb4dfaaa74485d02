import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AuthService } from '../../../domain/auth/service.js';
import { toUserView, type UsersService } from '../../../domain/users/service.js';
import { emailSchema, passwordSchema } from '../../../domain/users/rules.js';
import { problemResponses } from '../../schemas/problem.js';
import { userSchema } from '../../schemas/users.js';

export interface SessionRoutesOptions {
  auth: AuthService;
  users: UsersService;
  allowRegistration: boolean;
  rateLimitPerMinute: number;
}

/** Logging in (JWT) and, when enabled, registering. Both are rate-limited per client address. */
export const sessionRoutes: FastifyPluginAsyncZod<SessionRoutesOptions> = async (app, options) => {
  const rateLimit = { max: options.rateLimitPerMinute, timeWindow: '1 minute' };

  app.post(
    '/v1/auth/token',
    {
      config: { rateLimit },
      schema: {
        operationId: 'createSessionToken',
        summary: 'Log in with email and password; returns a short-lived JWT',
        tags: ['auth'],
        body: z.strictObject({
          email: z.string({ message: 'expected a string' }).trim().toLowerCase().min(1).max(254),
          password: z
            .string({ message: 'expected a string' })
            .min(1, { message: 'expected a password' })
            .max(1024),
        }),
        response: {
          200: z.object({
            access_token: z.string(),
            token_type: z.literal('Bearer'),
            expires_in: z.number().int(),
            expires_at: z.iso.datetime(),
          }),
          ...problemResponses(400, 401, 429),
        },
      },
    },
    async (request) => {
      const issued = await options.auth.login(request.body.email, request.body.password);
      return {
        access_token: issued.token,
        token_type: 'Bearer' as const,
        expires_in: Math.round((issued.expiresAt.getTime() - Date.now()) / 1000),
        expires_at: issued.expiresAt.toISOString(),
      };
    },
  );

  if (options.allowRegistration) {
    app.post(
      '/v1/auth/register',
      {
        config: { rateLimit },
        schema: {
          operationId: 'register',
          summary: 'Create an account (only when ALLOW_REGISTRATION=true)',
          tags: ['auth'],
          body: z.strictObject({ email: emailSchema, password: passwordSchema }),
          response: { 201: userSchema, ...problemResponses(400, 409, 429) },
        },
      },
      async (request, reply) => {
        const { user } = await options.users.create(request.body);
        return reply.code(201).send(toUserView(user));
      },
    );
  }
};
