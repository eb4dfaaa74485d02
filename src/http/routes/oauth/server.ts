import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Provider, InteractionDetails } from 'oidc-provider';
import { z } from 'zod';
import type { AuthService } from '../../../domain/auth/service.js';
import { OAUTH_PATHS, OAUTH_SCOPES, type OAuthResources } from '../../../domain/oauth/resources.js';
import { isAppError } from '../../../errors/app-error.js';
import { consentPage, errorPage, PAGES_CSS, PAGES_CSS_PATH, signInPage } from '../../oauth-pages/pages.js';

export interface OAuthServerRoutesOptions {
  provider: Provider;
  auth: AuthService;
  publicUrl: string;
  resources: OAuthResources;
  /** Secret the CSRF tokens are derived from (JWT_SECRET_KEY). */
  secret: string;
  /** Sign-in attempts per client address per minute (the same as POST /v1/auth/token). */
  signInRateLimitPerMinute: number;
  /** Dynamic client registrations per client address per minute. */
  registrationRateLimitPerMinute: number;
  /**
   * The dashboard's sign-in (src/http/routes/auth/web-session.ts): a browser already signed in there
   * skips the sign-in page and goes straight to the consent page (one sign-in for both).
   */
  webSession?: { cookieName: string; userOf(cookie: string): Promise<string> };
}

/** Headers of every authorization-server response we hand to the library or render ourselves. */
function pageSecurityHeaders(formActions: string[] = []): Record<string, string> {
  return {
    'content-security-policy': [
      "default-src 'none'",
      "style-src 'self'",
      "img-src 'self'",
      `form-action 'self'${formActions.map((origin) => ` ${origin}`).join('')}`,
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ].join('; '),
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    // same-origin: a form post keeps its Origin header (no-referrer makes it `null`), nothing leaks elsewhere.
    'referrer-policy': 'same-origin',
    'cache-control': 'no-store',
  };
}

/**
 * The OAuth 2.1 authorization server on our origin: oidc-provider's endpoints (/oauth/authorize, token,
 * register, revoke, jwks) handed the raw request (the library reads its own bodies: our content-type
 * parser here leaves them unread), its metadata at the RFC 8414 and OIDC discovery addresses, the
 * protected-resource metadata of /mcp and /v1 (RFC 9728), and our sign-in and consent pages.
 */
export async function oauthServerRoutes(app: FastifyInstance, options: OAuthServerRoutesOptions) {
  const { provider, publicUrl, resources } = options;
  const callback = provider.callback();
  const publicOrigin = new URL(publicUrl).origin;
  const secure = publicUrl.startsWith('https:');
  // The library derives cookie flags and URLs from the request: tell it what PUBLIC_URL says, whatever
  // a client sent (our own x-forwarded-* headers replace any the request carried).
  provider.proxy = true;

  /** The request as the library must see it: at PUBLIC_URL's scheme and host (its cookies' flags). */
  const asPublic = (request: FastifyRequest) => {
    const raw = request.raw;
    for (const header of ['x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-for', 'x-forwarded-port']) {
      delete raw.headers[header];
    }
    raw.headers['x-forwarded-proto'] = secure ? 'https' : 'http';
    raw.headers['x-forwarded-host'] = new URL(publicUrl).host;
    return raw;
  };

  const handOver = (request: FastifyRequest, reply: FastifyReply, url?: string) => {
    reply.hijack();
    const raw = asPublic(request);
    if (url) raw.url = url;
    for (const [name, value] of Object.entries(pageSecurityHeaders())) reply.raw.setHeader(name, value);
    reply.raw.setHeader('x-request-id', request.id);
    callback(raw, reply.raw);
  };

  // --- The library's endpoints -------------------------------------------------------------------
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
    const handler = async (request: FastifyRequest, reply: FastifyReply) => handOver(request, reply);
    scope.post(
      OAUTH_PATHS.registration,
      {
        config: { rateLimit: { max: options.registrationRateLimitPerMinute, timeWindow: '1 minute' } },
        schema: { hide: true },
      },
      handler,
    );
    scope.route({
      method: ['GET', 'POST', 'DELETE', 'PUT', 'OPTIONS'],
      url: '/oauth/*',
      schema: { hide: true },
      handler,
    });
    // RFC 8414 metadata is the library's discovery document (it lists every RFC 8414 member we need).
    for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
      scope.get(path, { schema: { hide: true } }, async (request, reply) =>
        handOver(request, reply, '/.well-known/openid-configuration'),
      );
    }
  });

  // --- Protected resource metadata (RFC 9728) ------------------------------------------------------
  const resourceMetadata = (resource: string) => ({
    resource,
    authorization_servers: [publicUrl],
    scopes_supported: [...OAUTH_SCOPES],
    bearer_methods_supported: ['header'],
    resource_name: 'Finance Aggregation API',
    resource_documentation: `${publicUrl}/docs`,
  });
  for (const [path, resource] of [
    ['/.well-known/oauth-protected-resource', resources.mcp],
    ['/.well-known/oauth-protected-resource/mcp', resources.mcp],
    ['/.well-known/oauth-protected-resource/v1', resources.rest],
  ] as const) {
    app.get(path, { schema: { hide: true } }, async (_request, reply) =>
      reply
        .header('cache-control', 'public, max-age=3600')
        // Public documents: browser-based MCP clients read them from other origins.
        .header('access-control-allow-origin', '*')
        .send(resourceMetadata(resource)),
    );
  }

  // --- Our pages ---------------------------------------------------------------------------------
  app.get(PAGES_CSS_PATH, { schema: { hide: true } }, async (_request, reply) =>
    reply
      .header('content-type', 'text/css; charset=utf-8')
      .header('cache-control', 'public, max-age=3600')
      .send(PAGES_CSS),
  );

  const csrfKey = Buffer.from(hkdfSync('sha256', options.secret, 'finance-api', 'oauth-csrf', 32));
  const csrfFor = (uid: string) => createHmac('sha256', csrfKey).update(uid).digest('base64url');
  const csrfMatches = (uid: string, token: string) => {
    const expected = Buffer.from(csrfFor(uid));
    const given = Buffer.from(token);
    return expected.length === given.length && timingSafeEqual(expected, given);
  };

  const sendPage = (reply: FastifyReply, status: number, html: string, formActions: string[] = []) =>
    reply
      .code(status)
      .headers(pageSecurityHeaders(formActions))
      .header('content-type', 'text/html; charset=utf-8')
      .send(html);

  const sendError = (reply: FastifyReply, status: number, error: string, description?: string) =>
    sendPage(reply, status, errorPage(error, description));

  /** The interaction this browser is in (its cookie), which must be the one the URL names. */
  const interactionOf = async (
    request: FastifyRequest<{ Params: { uid: string } }>,
    reply: FastifyReply,
  ): Promise<InteractionDetails | undefined> => {
    try {
      const details = await provider.interactionDetails(asPublic(request), reply.raw);
      if (details.uid === request.params.uid) return details;
    } catch {
      // falls through: unknown, expired or another browser's interaction
    }
    sendError(reply, 400, 'invalid_request', 'This sign-in expired or belongs to another browser window.');
    return undefined;
  };

  /** The client's name and where it will send the browser back (shown; and allowed as a form action). */
  const clientView = async (details: InteractionDetails) => {
    const clientId = String(details.params.client_id ?? '');
    const client = await provider.Client.find(clientId);
    const redirect = URL.parse(String(details.params.redirect_uri ?? client?.redirectUris[0] ?? ''));
    return {
      name: client?.clientName ?? clientId,
      redirectHost: redirect?.host ?? '',
      redirectOrigin: redirect && /^https?:$/.test(redirect.protocol) ? redirect.origin : undefined,
    };
  };

  const requestedScopes = (details: InteractionDetails): string[] => {
    const missing = (details.prompt.details.missingResourceScopes ?? {}) as Record<string, string[]>;
    const scopes = new Set(Object.values(missing).flat());
    if (scopes.size === 0) for (const s of String(details.params.scope ?? '').split(' ')) scopes.add(s);
    return OAUTH_SCOPES.filter((scope) => scopes.has(scope));
  };

  /** Form posts come from our own pages: the same origin (when the browser says) and the CSRF token. */
  const checkPost = (request: FastifyRequest<{ Params: { uid: string } }>, csrf: string) => {
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== publicOrigin) return false;
    if (request.headers['sec-fetch-site'] === 'cross-site') return false;
    return csrfMatches(request.params.uid, csrf);
  };

  const pageParams = z.strictObject({ uid: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) });

  /** The user of the request's valid dashboard session cookie, if any. */
  const dashboardUser = async (request: FastifyRequest): Promise<string | undefined> => {
    const cookie = options.webSession ? request.cookies?.[options.webSession.cookieName] : undefined;
    if (cookie === undefined) return undefined;
    try {
      return await options.webSession!.userOf(cookie);
    } catch (error) {
      if (isAppError(error)) return undefined; // expired, signed out or malformed: sign in here
      throw error;
    }
  };

  await app.register(async (pages) => {
    pages.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 8 * 1024 },
      (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
    );

    pages.get<{ Params: { uid: string } }>(
      `${OAUTH_PATHS.interaction}/:uid`,
      { schema: { hide: true, params: pageParams } },
      async (request, reply) => {
        const details = await interactionOf(request, reply);
        if (!details) return reply;
        const client = await clientView(details);
        const formActions = client.redirectOrigin ? [client.redirectOrigin] : [];
        const csrf = csrfFor(details.uid);
        if (details.prompt.name === 'login') {
          const signedIn = await dashboardUser(request);
          if (signedIn !== undefined) {
            // Signed in to the dashboard: that sign-in stands for this one; consent is still asked.
            const returnTo = await provider.interactionResult(
              asPublic(request),
              reply.raw,
              { login: { accountId: signedIn } },
              { mergeWithLastSubmission: false },
            );
            return reply.headers(pageSecurityHeaders(formActions)).redirect(returnTo, 303);
          }
          return sendPage(
            reply,
            200,
            signInPage({
              action: `${OAUTH_PATHS.interaction}/${details.uid}/login`,
              csrf,
              clientName: client.name,
            }),
            formActions,
          );
        }
        return sendPage(
          reply,
          200,
          consentPage({
            action: `${OAUTH_PATHS.interaction}/${details.uid}/confirm`,
            csrf,
            clientName: client.name,
            redirectHost: client.redirectHost,
            scopes: requestedScopes(details),
          }),
          formActions,
        );
      },
    );

    pages.post<{ Params: { uid: string }; Body: { csrf: string; email: string; password: string } }>(
      `${OAUTH_PATHS.interaction}/:uid/login`,
      {
        config: { rateLimit: { max: options.signInRateLimitPerMinute, timeWindow: '1 minute' } },
        schema: {
          hide: true,
          params: pageParams,
          body: z.strictObject({
            csrf: z.string().max(200),
            email: z.string().trim().toLowerCase().min(1).max(254),
            password: z.string().min(1).max(1024),
          }),
        },
      },
      async (request, reply) => {
        const details = await interactionOf(request, reply);
        if (!details) return reply;
        if (!checkPost(request, request.body.csrf))
          return sendError(reply, 403, 'forbidden', 'Invalid form token.');
        if (details.prompt.name !== 'login')
          return sendError(reply, 400, 'invalid_request', 'Already signed in.');
        const client = await clientView(details);
        const formActions = client.redirectOrigin ? [client.redirectOrigin] : [];
        let accountId: string;
        try {
          accountId = await options.auth.verifyCredentials(request.body.email, request.body.password);
        } catch (error) {
          if (!isAppError(error) || error.code !== 'INVALID_CREDENTIALS') throw error;
          return sendPage(
            reply,
            401,
            signInPage({
              action: `${OAUTH_PATHS.interaction}/${details.uid}/login`,
              csrf: csrfFor(details.uid),
              clientName: client.name,
              email: request.body.email,
              error: 'The email or the password is wrong.',
            }),
            formActions,
          );
        }
        const returnTo = await provider.interactionResult(
          asPublic(request),
          reply.raw,
          { login: { accountId } },
          { mergeWithLastSubmission: false },
        );
        return reply.headers(pageSecurityHeaders(formActions)).redirect(returnTo, 303);
      },
    );

    pages.post<{ Params: { uid: string }; Body: { csrf: string; decision: 'allow' | 'deny' } }>(
      `${OAUTH_PATHS.interaction}/:uid/confirm`,
      {
        schema: {
          hide: true,
          params: pageParams,
          body: z.strictObject({ csrf: z.string().max(200), decision: z.enum(['allow', 'deny']) }),
        },
      },
      async (request, reply) => {
        const details = await interactionOf(request, reply);
        if (!details) return reply;
        if (!checkPost(request, request.body.csrf))
          return sendError(reply, 403, 'forbidden', 'Invalid form token.');
        if (details.prompt.name !== 'consent' || !details.session) {
          return sendError(reply, 400, 'invalid_request', 'Nothing to consent to.');
        }
        const client = await clientView(details);
        const formActions = client.redirectOrigin ? [client.redirectOrigin] : [];
        let result: Record<string, unknown>;
        if (request.body.decision === 'deny') {
          result = { error: 'access_denied', error_description: 'The user denied access.' };
        } else {
          const grant =
            (details.grantId ? await provider.Grant.find(details.grantId) : undefined) ??
            new provider.Grant({
              accountId: details.session.accountId,
              clientId: String(details.params.client_id),
            });
          const missing = (details.prompt.details.missingResourceScopes ?? {}) as Record<string, string[]>;
          for (const [resource, scopes] of Object.entries(missing)) {
            const allowed = scopes.filter((scope) => (OAUTH_SCOPES as readonly string[]).includes(scope));
            if (allowed.length > 0) grant.addResourceScope(resource, allowed.join(' '));
          }
          const missingOidc = details.prompt.details.missingOIDCScope as string[] | undefined;
          if (missingOidc?.length) grant.addOIDCScope(missingOidc.join(' '));
          result = { consent: { grantId: await grant.save() } };
        }
        const returnTo = await provider.interactionResult(asPublic(request), reply.raw, result, {
          mergeWithLastSubmission: true,
        });
        return reply.headers(pageSecurityHeaders(formActions)).redirect(returnTo, 303);
      },
    );
  });
}
