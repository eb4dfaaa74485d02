/**
 * The authorization server's pages: sign-in, consent and errors. Server-rendered HTML whose only
 * subresource is our stylesheet (PAGES_CSS_PATH); no script at all, no inline style. Every value shown
 * is escaped.
 */

export const PAGES_CSS_PATH = '/oauth/assets/pages.css';

export const PAGES_CSS = `:root{color-scheme:light dark;font-family:system-ui,-apple-system,"Segoe UI",sans-serif}
body{margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center;background:#f4f5f7}
main{background:#fff;max-width:26rem;width:100%;padding:2rem;border-radius:.75rem;box-shadow:0 1px 4px rgba(0,0,0,.12)}
h1{font-size:1.35rem;margin:0 0 1rem}
p{line-height:1.45}
label{display:block;margin:.9rem 0 .3rem;font-weight:600}
input[type=email],input[type=password]{width:100%;box-sizing:border-box;padding:.6rem;font-size:1rem;border:1px solid #bbb;border-radius:.4rem}
.actions{display:flex;gap:.75rem;margin-top:1.4rem}
button{flex:1;padding:.65rem;font-size:1rem;border-radius:.4rem;border:1px solid #1f5fbf;cursor:pointer}
button.primary{background:#1f5fbf;color:#fff}
button.secondary{background:#fff;color:#1f5fbf}
.error{color:#a4161a;background:#fdecea;padding:.6rem;border-radius:.4rem}
ul.scopes{padding-left:1.2rem}
.host{font-family:ui-monospace,monospace;word-break:break-all}
@media (prefers-color-scheme:dark){body{background:#15171a}main{background:#202327;color:#eee}button.secondary{background:#202327}}
`;

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`=]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${escapeHtml(title)} · Finance API</title>
<link rel="stylesheet" href="${PAGES_CSS_PATH}">
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

export interface SignInPageInput {
  action: string;
  csrf: string;
  clientName: string;
  email?: string;
  error?: string;
}

export function signInPage(input: SignInPageInput): string {
  return layout(
    'Sign in',
    `<h1>Sign in</h1>
<p><strong>${escapeHtml(input.clientName)}</strong> wants to access your finance data. Sign in to continue.</p>
${input.error ? `<p class="error" role="alert">${escapeHtml(input.error)}</p>` : ''}
<form method="post" action="${escapeHtml(input.action)}" autocomplete="on">
<input type="hidden" name="csrf" value="${escapeHtml(input.csrf)}">
<label for="email">Email</label>
<input id="email" name="email" type="email" required maxlength="254" autocomplete="username" value="${escapeHtml(input.email ?? '')}">
<label for="password">Password</label>
<input id="password" name="password" type="password" required maxlength="1024" autocomplete="current-password">
<div class="actions"><button class="primary" type="submit">Sign in</button></div>
</form>`,
  );
}

export interface ConsentPageInput {
  action: string;
  csrf: string;
  clientName: string;
  redirectHost: string;
  scopes: string[];
}

const SCOPE_TEXT: Record<string, string> = {
  read: 'read: see your accounts, transactions, balances, holdings, net worth and sync status',
  write: 'write: start syncs of your linked institutions',
};

export function consentPage(input: ConsentPageInput): string {
  const scopes = input.scopes.map((scope) => `<li>${escapeHtml(SCOPE_TEXT[scope] ?? scope)}</li>`).join('\n');
  return layout(
    'Allow access',
    `<h1>Allow ${escapeHtml(input.clientName)}?</h1>
<p><strong>${escapeHtml(input.clientName)}</strong> will be sent back to <span class="host">${escapeHtml(input.redirectHost)}</span> and may:</p>
<ul class="scopes">
${scopes}
</ul>
<p>You can revoke this access at any time (<code>GET /v1/auth/grants</code>).</p>
<form method="post" action="${escapeHtml(input.action)}">
<input type="hidden" name="csrf" value="${escapeHtml(input.csrf)}">
<div class="actions">
<button class="secondary" type="submit" name="decision" value="deny">Deny</button>
<button class="primary" type="submit" name="decision" value="allow">Allow</button>
</div>
</form>`,
  );
}

export function errorPage(error: string, description?: string): string {
  return layout(
    'Error',
    `<h1>Something went wrong</h1>
<p class="error">${escapeHtml(error)}${description ? `: ${escapeHtml(description)}` : ''}</p>
<p>Go back to the application and try connecting again.</p>`,
  );
}
