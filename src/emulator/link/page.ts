import type { InstitutionEntry } from '../catalog/institutions.js';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON safe to embed inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

export interface LinkPageModel {
  readonly linkToken: string;
  readonly clientName: string;
  readonly institutions: readonly InstitutionEntry[];
  /** Update mode: the institution is fixed. */
  readonly updateInstitutionId: string | null;
  readonly redirectUri: string | null;
}

/**
 * The emulated Link: pick an institution, type Sandbox credentials, get a `public_token`. The result
 * goes to the host as Plaid Link's onSuccess would get it: a `postMessage` to the opener or parent
 * window (`{source: 'plaid-emulator-link', event: 'success', public_token, metadata}`), and a
 * redirect to `redirect_uri?public_token=…` when one was given.
 */
export function renderLinkPage(model: LinkPageModel): string {
  const options = model.institutions
    .filter((i) => model.updateInstitutionId === null || i.institution_id === model.updateInstitutionId)
    .map(
      (i) =>
        `<option value="${escapeHtml(i.institution_id)}">${escapeHtml(i.name)} (${escapeHtml(i.institution_id)})</option>`,
    )
    .join('');
  const config = { linkToken: model.linkToken, redirectUri: model.redirectUri };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Plaid Link (emulator)</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 26rem; margin: 3rem auto; padding: 0 1rem; color: #111; }
  h1 { font-size: 1.25rem; } label { display: block; margin-top: 1rem; font-size: .9rem; }
  input, select, button { width: 100%; padding: .6rem; margin-top: .3rem; font-size: 1rem; box-sizing: border-box; }
  button { margin-top: 1.5rem; background: #111; color: #fff; border: 0; border-radius: 4px; cursor: pointer; }
  button.secondary { background: #eee; color: #111; } .hint { color: #555; font-size: .85rem; }
  #result { margin-top: 1rem; word-break: break-all; } .error { color: #b00020; }
</style>
</head>
<body>
<h1>${escapeHtml(model.clientName)} uses Plaid to connect your account</h1>
<p class="hint">Emulated Plaid Link${model.updateInstitutionId ? ' — update mode' : ''}. Sandbox users: <code>user_good</code> / <code>pass_good</code>,
<code>user_transactions_dynamic</code> / any password, or a password <code>error_&lt;CODE&gt;</code>.</p>
<form id="link-form">
  <label>Institution <select name="institution_id" id="institution">${options}</select></label>
  <label>Username <input name="username" id="username" autocomplete="username" value="user_good" required></label>
  <label>Password <input name="password" id="password" type="password" autocomplete="current-password" value="pass_good" required></label>
  <button type="submit" id="submit">Continue</button>
  <button type="button" class="secondary" id="exit">Exit</button>
</form>
<div id="result" role="status"></div>
<script>
const config = ${scriptJson(config)};
function deliver(message) {
  if (window.opener) window.opener.postMessage(message, '*');
  else if (window.parent !== window) window.parent.postMessage(message, '*');
}
document.getElementById('exit').addEventListener('click', () => {
  deliver({ source: 'plaid-emulator-link', event: 'exit', error: null, metadata: { status: 'requires_credentials', link_session_id: null } });
});
document.getElementById('link-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const result = document.getElementById('result');
  result.textContent = 'Connecting…';
  result.className = '';
  const response = await fetch('link/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ link_token: config.linkToken, institution_id: form.get('institution_id'), username: form.get('username'), password: form.get('password') }),
  });
  const body = await response.json();
  if (!response.ok) {
    result.className = 'error';
    result.textContent = body.display_message || body.error_message || body.error_code;
    deliver({ source: 'plaid-emulator-link', event: 'error', error: body });
    return;
  }
  result.innerHTML = '';
  result.append('Connected. public_token: ');
  const code = document.createElement('code');
  code.id = 'public-token';
  code.textContent = body.public_token;
  result.append(code);
  deliver({ source: 'plaid-emulator-link', event: 'success', public_token: body.public_token, metadata: body.metadata });
  if (config.redirectUri) {
    const target = new URL(config.redirectUri);
    target.searchParams.set('public_token', body.public_token);
    window.location.assign(target.toString());
  }
});
</script>
</body>
</html>`;
}
