/**
 * The linking page (GET /link): HTML only, no inline script, so that helmet's CSP (`script-src 'self'`)
 * applies unchanged. Its behaviour is in `app-script.ts` (served at /link/app.js); what it needs to know
 * at run time is in a JSON data block, which browsers never execute.
 */

/** How the page opens Link. */
export type LinkPageLink =
  /** Real Plaid: Plaid's Link script from its CDN (the CSP must allow it; see docs/sync.md). */
  | { kind: 'plaid'; scriptUrl: string }
  /**
   * The offline emulator's Link page at `url` (as the browser reaches it). The page navigates there with
   * `redirect_uri` = itself and gets `?public_token=` back: no popup, no frame, no CSP change.
   */
  | { kind: 'emulator'; url: string };

export const PLAID_LINK_SCRIPT_URL = 'https://cdn.plaid.com/link/v2/stable/link-initialize.js';
export const LINK_SCRIPT_PATH = '/link/app.js';

/** JSON safe inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

export function renderLinkPage(link: LinkPageLink): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Link an account · Finance Aggregation API</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 34rem; margin: 3rem auto; padding: 0 1rem; color: #111; line-height: 1.4; }
  h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
  label { display: block; margin-top: 1rem; font-size: .9rem; }
  input { width: 100%; padding: .6rem; margin-top: .3rem; font-size: 1rem; box-sizing: border-box; }
  button { margin-top: 1rem; padding: .6rem 1rem; font-size: 1rem; background: #111; color: #fff; border: 0; border-radius: 4px; cursor: pointer; }
  button.secondary { background: #eee; color: #111; margin-left: .5rem; }
  .hint { color: #555; font-size: .85rem; } .error { color: #b00020; } .ok { color: #0a6b2d; }
  ul { padding-left: 1.2rem; } li { margin: .25rem 0; } code { font-size: .85rem; }
</style>
<script type="application/json" id="link-config">${scriptJson({ link })}</script>
<script src="${LINK_SCRIPT_PATH}" defer></script>
</head>
<body>
<main>
<h1 id="title">Link an account</h1>
<p class="hint" id="mode-hint">${link.kind === 'emulator' ? 'Plaid runs as the offline emulator: use <code>user_good</code> / <code>pass_good</code>.' : 'You will connect through Plaid Link.'}</p>
<section id="token-section" hidden>
  <form id="token-form">
    <label>API token <input id="api-token" name="api-token" type="password" autocomplete="off" required placeholder="fapat_…"></label>
    <p class="hint">A personal access token with the <code>write</code> scope (<code>npm run cli -- tokens create --email you@example.com --name link --scope write</code>). It stays in this browser tab only (sessionStorage).</p>
    <button type="submit" id="save-token">Continue</button>
  </form>
</section>
<section id="connect-section" hidden>
  <button type="button" id="connect">Connect an account</button><button type="button" class="secondary" id="forget">Forget the token</button>
</section>
<div id="status" role="status" aria-live="polite"></div>
<section id="result" hidden>
  <h2 id="result-title"></h2>
  <p class="hint" id="result-detail"></p>
  <ul id="accounts"></ul>
</section>
</main>
</body>
</html>
`;
}
