import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import type { ApiTokenScope } from '../../db/schema/index.js';
import type { AuthService, Principal } from '../../domain/auth/service.js';
import { errors } from '../../errors/catalog.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** An onRequest hook that requires a bearer token carrying `scope`. */
    requireAuth(scope: ApiTokenScope): onRequestAsyncHookHandler;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** The OpenAPI security requirement of authenticated routes. */
export const bearerSecurity = [{ bearerAuth: [] }];

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw errors.unauthenticated();
  return request.principal;
}

function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (!header) throw errors.unauthenticated();
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw errors.invalidToken('The Authorization header must be `Bearer <token>`.');
  return match[1]!;
}

/** Accepts a short-lived JWT or a personal access token as `Authorization: Bearer`. */
export const authPlugin = fp(
  async (app: FastifyInstance, options: { auth: AuthService }) => {
    app.decorateRequest('principal', null);
    app.decorate('requireAuth', (scope: ApiTokenScope) => {
      return async (request: FastifyRequest) => {
        const principal = await options.auth.authenticate(bearerToken(request));
        if (!principal.scopes.includes(scope)) throw errors.insufficientScope(scope);
        request.principal = principal;
        request.log = request.log.child({ userId: principal.userId });
      };
    });
  },
  { name: 'auth' },
);
