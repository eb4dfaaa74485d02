import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FACTORY_PASSWORD, newUser } from '../factories/users.js';
import { databaseKinds } from '../helpers/database.js';
import {
  Browser,
  formAction,
  formField,
  listeningApp,
  pkce,
  registerClient,
  REDIRECT_URI,
  type ListeningApp,
} from './support.js';

describe.each(databaseKinds())('OAuth sign-in and consent pages on %s', (kind) => {
  let t: ListeningApp;
  beforeAll(async () => {
    t = await listeningApp(kind);
  });
  afterAll(async () => {
    await t?.close();
  });

  /** A browser at the sign-in page of a new authorization request. */
  async function atSignIn(app: ListeningApp = t, scope = 'read write', browser = new Browser(app.baseUrl)) {
    const client = await registerClient(app.baseUrl, { client_name: 'Evil <script>alert(1)</script> Co' });
    const params = new URLSearchParams({
      client_id: client.client_id,
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      scope,
      resource: `${app.baseUrl}/mcp`,
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
    });
    const { response, url } = await browser.follow(`/oauth/authorize?${params}`);
    const html = await response.text();
    return { browser, response, html, url };
  }

  it('serves the sign-in page with a strict CSP, no script, our stylesheet only and the client name escaped', async () => {
    const { response, html, url } = await atSignIn();
    expect(response.status).toBe(200);
    expect(new URL(url).pathname).toMatch(/^\/oauth\/interaction\/[A-Za-z0-9_-]+$/);
    const csp = response.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|script-src/);
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(html).not.toMatch(/<script|\sstyle=|\son[a-z]+=/i);
    expect(html).toContain('Evil &#60;script&#62;alert(1)&#60;/script&#62; Co');
    expect(html).toContain('name="email"');
    expect(html).toContain('type="password"');
    expect(html).toContain('<link rel="stylesheet" href="/oauth/assets/pages.css">');
    const css = await fetch(`${t.baseUrl}/oauth/assets/pages.css`);
    expect(css.headers.get('content-type')).toContain('text/css');
  });

  it('refuses a form post without the CSRF token or from another origin, and a wrong password re-renders (401)', async () => {
    const { email } = await newUser(t.app);
    const { browser, html } = await atSignIn();
    const action = formAction(html);
    const csrf = formField(html, 'csrf');
    const forged = await browser.postForm(action, {
      csrf: 'x'.repeat(43),
      email,
      password: FACTORY_PASSWORD,
    });
    expect(forged.status).toBe(403);
    const crossSite = await browser.postForm(
      action,
      { csrf, email, password: FACTORY_PASSWORD },
      { origin: 'https://attacker.example' },
    );
    expect(crossSite.status).toBe(403);
    const wrong = await browser.postForm(action, { csrf, email, password: 'not the password at all' });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('The email or the password is wrong.');
    // Another browser (no interaction cookie) cannot use this interaction, even with its token.
    const stranger = await new Browser(t.baseUrl).postForm(action, {
      csrf,
      email,
      password: FACTORY_PASSWORD,
    });
    expect(stranger.status).toBe(400);
  });

  it('names the client, its redirect host and the scopes on the consent page, with Allow and Deny', async () => {
    const { email } = await newUser(t.app);
    const { browser, html } = await atSignIn();
    const login = await browser.postForm(formAction(html), {
      csrf: formField(html, 'csrf'),
      email,
      password: FACTORY_PASSWORD,
    });
    expect(login.status).toBe(303);
    const { response } = await browser.follow(login.headers.get('location')!);
    const consent = await response.text();
    expect(consent).toContain('Evil &#60;script&#62;');
    expect(consent).toContain(new URL(REDIRECT_URI).host);
    expect(consent).toContain('read: see your accounts');
    expect(consent).toContain('write: start syncs');
    expect(consent).toContain('value="allow"');
    expect(consent).toContain('value="deny"');
    expect(response.headers.get('content-security-policy')).toContain(
      `form-action 'self' ${new URL(REDIRECT_URI).origin}`,
    );
    const forged = await browser.postForm(formAction(consent), { csrf: 'nope', decision: 'allow' });
    expect(forged.status).toBe(403);
  });

  it('skips the sign-in page for a browser signed in to the dashboard, and still asks for consent', async () => {
    const { email } = await newUser(t.app);
    const browser = new Browser(t.baseUrl);
    const signedIn = await browser.request('/v1/auth/web-session', {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: t.baseUrl },
      body: JSON.stringify({ email, password: FACTORY_PASSWORD }),
    });
    expect(signedIn.status).toBe(201);
    const { csrf_token: csrf } = (await signedIn.json()) as { csrf_token: string };
    const consent = await atSignIn(t, 'read write', browser);
    expect(consent.response.status).toBe(200);
    expect(consent.html).toContain('value="allow"');
    expect(consent.html).not.toContain('type="password"');

    // A session signed out of the dashboard, or a forged cookie, is no sign-in: the password is asked.
    const session = browser.cookie('finance_session')!;
    const out = await browser.request('/v1/auth/web-session', {
      method: 'DELETE',
      headers: { 'x-csrf-token': csrf, origin: t.baseUrl },
    });
    expect(out.status).toBe(204);
    for (const value of [session, 'forged']) {
      const other = new Browser(t.baseUrl);
      other.setCookie('finance_session', value);
      const { html } = await atSignIn(t, 'read write', other);
      expect(html, value).toContain('type="password"');
    }
  });

  it('rate-limits sign-in attempts like POST /v1/auth/token', async () => {
    const limited = await listeningApp(kind, { AUTH_RATE_LIMIT_PER_MINUTE: '3' });
    try {
      await signInUntilLimited(limited);
    } finally {
      await limited.close();
    }
  });

  async function signInUntilLimited(app: ListeningApp) {
    const { email } = await newUser(app.app);
    const { browser, html } = await atSignIn(app);
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const response = await browser.postForm(formAction(html), {
        csrf: formField(html, 'csrf'),
        email,
        password: 'not the password at all',
      });
      statuses.push(response.status);
    }
    expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
    expect(statuses.slice(3)).toEqual([429, 429]);
  }
});
