import type { FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { loadDashboardBundle, type DashboardAsset, type DashboardBundle } from '../../dashboard/bundle.js';
import {
  DASHBOARD_ASSETS_PATH,
  dashboardCsp,
  renderDashboardPage,
  type DashboardPageConfig,
} from '../../dashboard/page.js';
import type { WebSessionsService } from '../../domain/web-sessions/service.js';
import { isAppError } from '../../errors/app-error.js';
import { errors } from '../../errors/catalog.js';
import { PLAID_LINK_SCRIPT_URL } from '../link/page.js';
import { webSessionCookieName } from './auth/web-session.js';

export interface DashboardRoutesOptions {
  webSessions: WebSessionsService;
  publicUrl: string;
  /** The emulator's base URL as browsers reach it, in emulator mode; without it Link is Plaid's own. */
  emulatorUrl?: () => string | undefined;
  /** Where the bundle comes from (tests may give their own); default bin/dashboard-bundle.js's. */
  loadBundle?: () => Promise<DashboardBundle | undefined>;
}

/** Endpoints other engineers are adding: a panel shows only when the service has its route. */
const OPTIONAL_ENDPOINTS: Record<keyof DashboardPageConfig['features'], [HTTPMethods, string]> = {
  budgets: ['GET', '/v1/budgets'],
  insights: ['GET', '/v1/insights'],
  transactionEdits: ['PATCH', '/v1/transactions/:id'],
  export: ['GET', '/v1/export'],
  deleteMe: ['DELETE', '/v1/me'],
};

/**
 * The personal dashboard at /app (and / for browsers): an HTML shell, the bundle's hashed script and
 * stylesheet (served gzipped, cached for a year), under a strict CSP of its own. The page itself talks
 * to the REST API with the session cookie (src/http/routes/auth/web-session.ts). Hidden from the
 * OpenAPI document.
 */
export const dashboardRoutes: FastifyPluginAsyncZod<DashboardRoutesOptions> = async (app, options) => {
  const cookieName = webSessionCookieName(options.publicUrl);
  const load = options.loadBundle ?? (() => loadDashboardBundle());
  let bundle: Promise<DashboardBundle | undefined> | undefined;
  const bundleOnce = () => {
    bundle ??= load().catch((error: unknown) => {
      bundle = undefined; // the next request tries again
      throw error;
    });
    return bundle;
  };

  const features = (): DashboardPageConfig['features'] => {
    const out = {} as DashboardPageConfig['features'];
    for (const [feature, [method, url]] of Object.entries(OPTIONAL_ENDPOINTS)) {
      out[feature as keyof typeof out] = app.hasRoute({ method, url });
    }
    return out;
  };

  const sessionOf = async (request: FastifyRequest, reply: FastifyReply) => {
    const cookie = request.cookies[cookieName];
    if (cookie === undefined) return null;
    try {
      const { session, csrfToken } = await options.webSessions.authenticate(cookie);
      const user = await options.webSessions.userOf(session);
      return { user: { id: user.id, email: user.email }, csrf_token: csrfToken };
    } catch (error) {
      if (!isAppError(error) || error.status !== 401) throw error;
      reply.clearCookie(cookieName, { path: '/' });
      return null;
    }
  };

  const page = async (request: FastifyRequest, reply: FastifyReply) => {
    const built = await bundleOnce();
    if (!built)
      throw errors.notReady(
        'The dashboard is not built: run `npm run build` (or install the development dependencies).',
      );
    let link: DashboardPageConfig['link'];
    let plaidOrigin: string | undefined;
    if (options.emulatorUrl) {
      const url = options.emulatorUrl();
      if (!url) throw errors.notReady('The Plaid emulator is still starting; reload in a moment.');
      link = { kind: 'emulator', url: url.replace(/\/+$/, '') };
    } else {
      link = { kind: 'plaid', scriptUrl: PLAID_LINK_SCRIPT_URL };
      plaidOrigin = new URL(PLAID_LINK_SCRIPT_URL).origin;
    }
    const config: DashboardPageConfig = {
      session: await sessionOf(request, reply),
      link,
      features: features(),
    };
    return reply
      .headers({
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': dashboardCsp(plaidOrigin),
        'x-frame-options': 'DENY',
        'referrer-policy': 'same-origin',
        'cache-control': 'no-store',
      })
      .send(renderDashboardPage({ js: built.js.name, css: built.css.name }, config));
  };

  app.get('/app', { schema: { hide: true } }, page);
  // Client-side addresses under /app (bookmarks) get the same shell.
  app.get('/app/*', { schema: { hide: true } }, async (request, reply) => {
    if (request.url.startsWith(`${DASHBOARD_ASSETS_PATH}/`)) throw errors.routeNotFound('GET', request.url);
    return page(request, reply);
  });

  app.get(
    `${DASHBOARD_ASSETS_PATH}/:name`,
    { schema: { hide: true, params: z.object({ name: z.string().max(200) }) } },
    async (request, reply) => {
      const built = await bundleOnce();
      const asset: DashboardAsset | undefined = [built?.js, built?.css].find(
        (a) => a?.name === request.params.name,
      );
      if (!asset) throw errors.routeNotFound('GET', request.url);
      const gzip = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
      reply.headers({
        'content-type': asset.contentType,
        // The name carries the content's hash: a new build is a new name.
        'cache-control': 'public, max-age=31536000, immutable',
        vary: 'accept-encoding',
      });
      if (gzip) reply.header('content-encoding', 'gzip');
      return reply.send(gzip ? asset.gzip : asset.body);
    },
  );

  // Browsers asking for the root get the dashboard; API clients still get a problem+json 404.
  app.get('/', { schema: { hide: true } }, async (request, reply) => {
    if (!String(request.headers.accept ?? '').includes('text/html')) throw errors.routeNotFound('GET', '/');
    return reply.redirect('/app', 302);
  });
};
