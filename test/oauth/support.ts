import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { expect } from 'vitest';
import { FACTORY_PASSWORD, newUser } from '../factories/users.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import type { DatabaseKind, TestDatabase } from '../helpers/database.js';
import type { Logger } from '../../src/lib/logger.js';

/** A free loopback port (the app's PUBLIC_URL must name the port it listens on). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface ListeningApp extends TestApp {
  baseUrl: string;
}

/** The real app on a real socket, its PUBLIC_URL its own address. */
export async function listeningApp(
  kind: DatabaseKind,
  env: Record<string, string> = {},
  options: { database?: TestDatabase; port?: number; logger?: Logger } = {},
): Promise<ListeningApp> {
  const port = options.port ?? (await freePort());
  const baseUrl = `http://127.0.0.1:${port}`;
  const t = await buildTestApp(
    kind,
    {
      PUBLIC_URL: baseUrl,
      AUTH_RATE_LIMIT_PER_MINUTE: '1000',
      OAUTH_REGISTRATION_RATE_LIMIT_PER_MINUTE: '1000',
      ...env,
    },
    options.logger,
    options.database ? { database: options.database } : {},
  );
  await t.app.listen({ host: '127.0.0.1', port });
  return { ...t, baseUrl };
}

/** A browser without a browser: a cookie jar and manual redirects over fetch. */
export class Browser {
  private readonly cookies = new Map<string, string>();
  constructor(private readonly origin: string) {}

  /** Puts a cookie in the jar as if the origin had set it. */
  setCookie(name: string, value: string): void {
    this.cookies.set(name, value);
  }

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url, this.origin);
    const headers = new Headers(init.headers);
    if (target.origin === this.origin && this.cookies.size > 0) {
      headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    }
    const response = await fetch(target, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  /** Follows same-origin redirects; stops at the first page or at a redirect elsewhere. */
  async follow(url: string, init: RequestInit = {}): Promise<{ response: Response; url: string }> {
    let current = new URL(url, this.origin).toString();
    let response = await this.request(current, init);
    for (let hops = 0; hops < 10 && response.status >= 300 && response.status < 400; hops += 1) {
      const next = new URL(response.headers.get('location')!, current).toString();
      if (new URL(next).origin !== this.origin) return { response, url: next };
      current = next;
      response = await this.request(current);
    }
    return { response, url: current };
  }

  async postForm(url: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
    return this.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: this.origin, ...headers },
      body: new URLSearchParams(fields).toString(),
    });
  }
}

export function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

export const REDIRECT_URI = 'http://127.0.0.1:9/callback';

/** Registers a public client through DCR (RFC 7591). */
export async function registerClient(
  baseUrl: string,
  metadata: Record<string, unknown> = {},
): Promise<{ client_id: string; [key: string]: unknown }> {
  const response = await fetch(`${baseUrl}/oauth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: 'Test Client',
      redirect_uris: [REDIRECT_URI],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      ...metadata,
    }),
  });
  expect(response.status, await response.clone().text()).toBe(201);
  return (await response.json()) as { client_id: string };
}

export function formField(html: string, name: string): string {
  const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  if (!match) throw new Error(`no ${name} field`);
  return match[1]!.replace(/&#(\d+);/g, (_m, code: string) => String.fromCharCode(Number(code)));
}

export function formAction(html: string): string {
  const match = /<form method="post" action="([^"]+)"/.exec(html);
  if (!match) throw new Error('no form');
  return match[1]!;
}

export interface AuthorizeOptions {
  clientId: string;
  resource?: string | undefined;
  scope?: string | undefined;
  redirectUri?: string;
  challenge?: string | undefined;
  method?: string | undefined;
  decision?: 'allow' | 'deny';
  email: string;
  password?: string;
}

/**
 * The authorization code flow through our pages: /authorize → sign-in → consent → redirect. Returns the
 * redirect's query parameters (code, state, iss, or error).
 */
export async function authorize(baseUrl: string, options: AuthorizeOptions): Promise<URLSearchParams> {
  const browser = new Browser(baseUrl);
  const params = new URLSearchParams({
    client_id: options.clientId,
    response_type: 'code',
    redirect_uri: options.redirectUri ?? REDIRECT_URI,
    state: randomBytes(8).toString('hex'),
  });
  if (options.scope !== undefined) params.set('scope', options.scope);
  if (options.resource !== undefined) params.set('resource', options.resource);
  if (options.challenge !== undefined) params.set('code_challenge', options.challenge);
  if (options.method !== undefined) params.set('code_challenge_method', options.method);
  let { response, url } = await browser.follow(`/oauth/authorize?${params}`);
  if (new URL(url).origin !== baseUrl) return new URL(url).searchParams;
  let html = await response.text();
  expect(response.status, html).toBe(200);
  // sign in
  const login = await browser.postForm(formAction(html), {
    csrf: formField(html, 'csrf'),
    email: options.email,
    password: options.password ?? FACTORY_PASSWORD,
  });
  expect(login.status, await login.clone().text()).toBe(303);
  ({ response, url } = await browser.follow(login.headers.get('location')!));
  if (new URL(url).origin !== baseUrl) return new URL(url).searchParams;
  html = await response.text();
  expect(html).toContain('Allow');
  const consent = await browser.postForm(formAction(html), {
    csrf: formField(html, 'csrf'),
    decision: options.decision ?? 'allow',
  });
  expect(consent.status).toBe(303);
  ({ url } = await browser.follow(consent.headers.get('location')!));
  expect(new URL(url).origin).not.toBe(baseUrl);
  return new URL(url).searchParams;
}

export async function tokenRequest(baseUrl: string, fields: Record<string, string>) {
  const response = await fetch(`${baseUrl}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

export interface Tokens {
  access_token: string;
  refresh_token?: string;
  expires_in: number;
  scope?: string;
  token_type: string;
}

/** Registers a client, signs a new user in and exchanges the code: tokens for `resource`. */
export async function tokensFor(
  t: ListeningApp,
  options: { resource: string; scope?: string; email?: string },
): Promise<{ tokens: Tokens; clientId: string; userId: string; email: string }> {
  const { user, email } = options.email
    ? { user: await t.app.services.users.getByEmail(options.email), email: options.email }
    : await newUser(t.app);
  const client = await registerClient(t.baseUrl);
  const { verifier, challenge } = pkce();
  const result = await authorize(t.baseUrl, {
    clientId: client.client_id,
    resource: options.resource,
    scope: options.scope ?? 'read write',
    challenge,
    method: 'S256',
    email,
  });
  const code = result.get('code');
  expect(code, result.toString()).toBeTruthy();
  const exchanged = await tokenRequest(t.baseUrl, {
    grant_type: 'authorization_code',
    code: code!,
    code_verifier: verifier,
    client_id: client.client_id,
    redirect_uri: REDIRECT_URI,
    resource: options.resource,
  });
  expect(exchanged.status, JSON.stringify(exchanged.body)).toBe(200);
  return { tokens: exchanged.body as unknown as Tokens, clientId: client.client_id, userId: user.id, email };
}
