import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { LINK_APP_SCRIPT } from '../link/app-script.js';
import { LINK_SCRIPT_PATH, PLAID_LINK_SCRIPT_URL, renderLinkPage, type LinkPageLink } from '../link/page.js';

export interface LinkPageOptions {
  /**
   * Where the browser finds the emulator's Link page, in emulator mode (the emulator's base URL, e.g.
   * the Plaid client's `basePath`); without it the page opens Plaid's own Link from Plaid's CDN.
   */
  emulatorUrl?: () => string | undefined;
}

/**
 * GET /link: a small page to link an institution (or, with ?item_id=, repair one) from a browser, and
 * its script. Not API operations: hidden from the OpenAPI document. No authentication: the page asks
 * for an API token and sends it to the API itself.
 */
export const linkPageRoutes: FastifyPluginAsyncZod<LinkPageOptions> = async (app, options) => {
  const plaidPage = renderLinkPage({ kind: 'plaid', scriptUrl: PLAID_LINK_SCRIPT_URL });
  const { emulatorUrl } = options;

  app.get('/link', { schema: { hide: true } }, async (_request, reply) => {
    let page = plaidPage;
    if (emulatorUrl) {
      const url = emulatorUrl();
      if (!url) {
        return reply
          .code(503)
          .header('retry-after', '2')
          .type('text/plain; charset=utf-8')
          .send('The Plaid emulator is still starting; reload in a moment.');
      }
      const link: LinkPageLink = { kind: 'emulator', url: url.replace(/\/+$/, '') };
      page = renderLinkPage(link);
    }
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(page);
  });

  app.get(LINK_SCRIPT_PATH, { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(LINK_APP_SCRIPT),
  );
};
