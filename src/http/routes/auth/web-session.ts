import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AuthService } from '../../../domain/auth/service.js';
import { WEB_SESSION_TTL_MS, type WebSessionsService } from '../../../domain/web-sessions/service.js';
import { errors } from '../../../errors/catalog.js';
import { CSRF_HEADER, principalOf } from '../../plugins/auth.js';
import { problemResponses } from '../../schemas/problem.js';

export interface WebSessionRoutesOptions {
  auth: AuthService;
  webSessions: WebSessionsService;
  /** PUBLIC_URL: its scheme decides `Secure` (and the `__Host-` name), its origin the allowed Origin. */
  publicUrl: string;
  rateLimitPerMinute: number;
}

/** The session cookie's name: `__Host-` (Secure, Path=/, no Domain) when PUBLIC_URL is https. */
export function webSessionCookieName(publicUrl: string): string {
  return publicUrl.startsWith('https:') ? '__Host-finance_session' : 'finance_session';
}

const sessionSchema = z.object({
  user: z.object({ id: z.uuid(), email: z.string() }),
  csrf_token: z
    .string()
    .describe('Send it as `X-CSRF-Token` with every request that changes state (POST, PATCH, DELETE)'),
  expires_at: z.iso.datetime(),
});

/**
 * The dashboard's sign-in (email + password → an HttpOnly session cookie and its CSRF token), the
 * session as the page reloads it, and sign-out (the session row revoked). Hidden from the OpenAPI
 * document: browsers use them, API clients use bearer tokens.
 */
export const webSessionRoutes: FastifyPluginAsyncZod<WebSessionRoutesOptions> = async (app, options) => {
  const { webSessions } = options;
  const secure = options.publicUrl.startsWith('https:');
  const cookieName = webSessionCookieName(options.publicUrl);
  const publicOrigin = new URL(options.publicUrl).origin;
  const cookieOptions = { httpOnly: true, secure, sameSite: 'lax' as const, path: '/' };

  /** The session a request's cookie names, or 401. */
  const sessionOf = async (request: FastifyRequest) => {
    const cookie = request.cookies[cookieName];
    if (cookie === undefined) throw errors.unauthenticated('Sign in first (no session cookie).');
    return webSessions.authenticate(cookie);
  };

  const clearCookie = (reply: FastifyReply) => reply.clearCookie(cookieName, cookieOptions);

  app.post(
    '/v1/auth/web-session',
    {
      config: { rateLimit: { max: options.rateLimitPerMinute, timeWindow: '1 minute' } },
      schema: {
        hide: true,
        body: z.strictObject({
          email: z.string({ message: 'expected a string' }).trim().toLowerCase().min(1).max(254),
          password: z
            .string({ message: 'expected a string' })
            .min(1, { message: 'expected a password' })
            .max(1024),
        }),
        response: { 201: sessionSchema, ...problemResponses(400, 401, 403, 429) },
      },
    },
    async (request, reply) => {
      // Login CSRF: a sign-in only from our own pages (a JSON body already needs a CORS preflight).
      const origin = request.headers.origin;
      const sameOrigin =
        origin === undefined ||
        origin === publicOrigin ||
        (request.headers.host !== undefined && URL.parse(origin)?.host === request.headers.host);
      if (!sameOrigin || request.headers['sec-fetch-site'] === 'cross-site') throw errors.csrfRejected();
      const userId = await options.auth.verifyCredentials(request.body.email, request.body.password);
      const signedIn = await webSessions.signIn(userId);
      const user = await webSessions.userOf(signedIn.session);
      reply.setCookie(cookieName, signedIn.cookie, { ...cookieOptions, maxAge: WEB_SESSION_TTL_MS / 1000 });
      return reply
        .code(201)
        .header('cache-control', 'no-store')
        .send({
          user: { id: user.id, email: user.email },
          csrf_token: signedIn.csrfToken,
          expires_at: signedIn.session.expiresAt.toISOString(),
        });
    },
  );

  app.get(
    '/v1/auth/web-session',
    {
      schema: { hide: true, response: { 200: sessionSchema, ...problemResponses(401) } },
    },
    async (request, reply) => {
      const { session, csrfToken } = await sessionOf(request);
      const user = await webSessions.userOf(session);
      return reply.header('cache-control', 'no-store').send({
        user: { id: user.id, email: user.email },
        csrf_token: csrfToken,
        expires_at: session.expiresAt.toISOString(),
      });
    },
  );

  app.delete(
    '/v1/auth/web-session',
    {
      onRequest: app.requireAuth('write'),
      schema: {
        hide: true,
        headers: z.object({ [CSRF_HEADER]: z.string().max(200).optional() }),
        response: { 204: z.null(), ...problemResponses(401, 403) },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      // Only the cookie's own session is signed out here (a bearer token has nothing to sign out).
      if (principal.kind !== 'web_session' || !principal.tokenId)
        throw errors.unauthenticated('Sign in first (no session cookie).');
      await webSessions.signOut(principal.userId, principal.tokenId);
      clearCookie(reply);
      return reply.code(204).send(null);
    },
  );
};
