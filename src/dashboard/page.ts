/**
 * The dashboard's HTML shell: the bundle's stylesheet and module script, and what the page needs to know
 * at start in a JSON data block (never executed, so the CSP applies unchanged): the signed-in session
 * (user and CSRF token; the page is same-origin and no-store), how Link opens, which optional endpoints
 * exist. Everything else the page asks the REST API.
 */
export const DASHBOARD_ASSETS_PATH = '/app/assets';

export interface DashboardPageConfig {
  session: { user: { id: string; email: string }; csrf_token: string } | null;
  link: { kind: 'emulator'; url: string } | { kind: 'plaid'; scriptUrl: string };
  features: {
    budgets: boolean;
    insights: boolean;
    transactionEdits: boolean;
    export: boolean;
    deleteMe: boolean;
  };
}

/** JSON safe inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

export function renderDashboardPage(
  assets: { js: string; css: string },
  config: DashboardPageConfig,
): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<meta name="color-scheme" content="light dark">
<title>Finance</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${DASHBOARD_ASSETS_PATH}/${assets.css}">
<script type="application/json" id="dashboard-config">${scriptJson(config)}</script>
<script type="module" src="${DASHBOARD_ASSETS_PATH}/${assets.js}"></script>
</head>
<body>
<div id="root"><noscript>The dashboard needs JavaScript. The API itself is at <a href="/docs">/docs</a>.</noscript></div>
</body>
</html>
`;
}

/** The dashboard's own Content-Security-Policy (stricter than the API's): no inline script or style. */
export function dashboardCsp(plaidScriptOrigin?: string): string {
  const plaid = plaidScriptOrigin ? ` ${plaidScriptOrigin}` : '';
  return [
    "default-src 'self'",
    `script-src 'self'${plaid}`,
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    `frame-src 'self'${plaid}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "object-src 'none'",
  ].join('; ');
}
