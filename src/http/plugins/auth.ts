import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import type {} from '@fastify/cookie';
import type { ApiTokenScope } from '../../db/schema/index.js';
import type { AuthService, Principal } from '../../domain/auth/service.js';
import type { WebSessionsService } from '../../domain/web-sessions/service.js';
import { errors } from '../../errors/catalog.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** An onRequest hook that requires a bearer token (or the dashboard's session cookie) carrying `scope`. */
    requireAuth(scope: ApiTokenScope): onRequestAsyncHookHandler;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** The OpenAPI security requirement of authenticated routes. */
export const bearerSecurity = [{ bearerAuth: [] }];

/** The header the dashboard echoes its session's CSRF token in. */
export const CSRF_HEADER = 'x-csrf-token';

/** Methods that change nothing: a session cookie alone authenticates them. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

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

export interface AuthPluginOptions {
  auth: AuthService;
  /**
   * Settles when the person's read-model refresh running in process is done (embedded mode; undefined
   * when none runs): their request waits for it rather than read a half-rewritten read model.
   */
  refreshSettled?: (userId: string) => Promise<void> | undefined;
  /** The dashboard's cookie sessions; without them only bearer tokens are accepted. */
  webSessions?: {
    service: WebSessionsService;
    cookieName: string;
    /** PUBLIC_URL's origin: a cookie request naming another Origin is refused. */
    publicOrigin: string;
  };
}

/**
 * Accepts a short-lived JWT or a personal access token as `Authorization: Bearer`, or, without that
 * header, the dashboard's session cookie (read and write scopes) — for a request that changes state only
 * with the session's CSRF token in `X-CSRF-Token` and not from another site. Only routes that use
 * `requireAuth` (the REST API under /v1) take the cookie: /mcp and the OAuth endpoints authenticate
 * bearer tokens themselves and never read it.
 */
export const authPlugin = fp(
  async (app: FastifyInstance, options: AuthPluginOptions) => {
    const { webSessions } = options;

    const sessionPrincipal = async (request: FastifyRequest, cookie: string): Promise<Principal> => {
      const { service, publicOrigin } = webSessions!;
      const { session } = await service.authenticate(cookie);
      if (!SAFE_METHODS.has(request.method)) {
        const origin = request.headers.origin;
        const sameOrigin =
          origin === undefined ||
          origin === publicOrigin ||
          (request.headers.host !== undefined && URL.parse(origin)?.host === request.headers.host);
        if (!sameOrigin || request.headers['sec-fetch-site'] === 'cross-site') throw errors.csrfRejected();
        const given = request.headers[CSRF_HEADER];
        if (!service.csrfMatches(session, typeof given === 'string' ? given : undefined))
          throw errors.csrfRejected();
      }
      return { userId: session.userId, kind: 'web_session', scopes: ['read', 'write'], tokenId: session.id };
    };

    app.decorateRequest('principal', null);
    app.decorate('requireAuth', (scope: ApiTokenScope) => {
      return async (request: FastifyRequest) => {
        const cookie =
          webSessions && request.headers.authorization === undefined
            ? request.cookies?.[webSessions.cookieName]
            : undefined;
        const principal =
          cookie !== undefined
            ? await sessionPrincipal(request, cookie)
            : await options.auth.authenticate(bearerToken(request));
        if (!principal.scopes.includes(scope)) throw errors.insufficientScope(scope);
        await options.refreshSettled?.(principal.userId);
        request.principal = principal;
        request.log = request.log.child({ userId: principal.userId });
      };
    });
  },
  { name: 'auth' },
);
