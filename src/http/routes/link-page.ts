import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { LINK_APP_SCRIPT } from '../link/app-script.js';
import { LINK_SCRIPT_PATH, PLAID_LINK_SCRIPT_URL, renderLinkPage, type LinkPageLink } from '../link/page.js';

export interface LinkPageOptions {
  /**
   * Where the browser finds the emulator's Link page, in emulator mode (the emulator's base URL, e.g.
   * the Plaid client's `basePath`); without it the page opens Plaid's own Link from Plaid's CDN.
   */
  emulatorUrl?: string;
}

/**
 * GET /link: a small page to link an institution (or, with ?item_id=, repair one) from a browser, and
 * its script. Not API operations: hidden from the OpenAPI document. No authentication: the page asks
 * for an API token and sends it to the API itself.
 */
export const linkPageRoutes: FastifyPluginAsyncZod<LinkPageOptions> = async (app, options) => {
  const link: LinkPageLink = options.emulatorUrl
    ? { kind: 'emulator', url: options.emulatorUrl.replace(/\/+$/, '') }
    : { kind: 'plaid', scriptUrl: PLAID_LINK_SCRIPT_URL };
  const page = renderLinkPage(link);

  app.get('/link', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(page),
  );

  app.get(LINK_SCRIPT_PATH, { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(LINK_APP_SCRIPT),
  );
};
