/**
 * The OAuth 2.1 authorization server's constants: the two protected resources (RFC 8707) an access token
 * can be meant for, the scopes, the lifetimes and the endpoint paths (the GPT Actions document names them).
 */

export interface OAuthResources {
  /** The MCP endpoint. */
  mcp: string;
  /** The REST API (GPT Actions' OAuth option). */
  rest: string;
}

export function oauthResources(publicUrl: string): OAuthResources {
  return { mcp: `${publicUrl}/mcp`, rest: `${publicUrl}/v1` };
}

export const OAUTH_SCOPES = ['read', 'write'] as const;
export type OAuthScope = (typeof OAUTH_SCOPES)[number];

/** Applied to an /authorize request without `scope` (ChatGPT's reconnect): the least privilege. */
export const DEFAULT_SCOPE: OAuthScope = 'read';

export const ACCESS_TOKEN_TTL_SECONDS = 3600;
export const REFRESH_TOKEN_TTL_SECONDS = 30 * 86_400;
/** A grant outlives the refresh tokens issued under it (each rotation starts a new 30 days). */
export const GRANT_TTL_SECONDS = 365 * 86_400;

export const OAUTH_PATHS = {
  authorization: '/oauth/authorize',
  token: '/oauth/token',
  registration: '/oauth/register',
  revocation: '/oauth/revoke',
  jwks: '/oauth/jwks',
  interaction: '/oauth/interaction',
} as const;

/** The library's other endpoints, all disabled or unused, kept under /oauth so they cannot shadow ours. */
export const OAUTH_OTHER_ROUTES = {
  backchannel_authentication: '/oauth/backchannel',
  code_verification: '/oauth/device',
  challenge: '/oauth/challenge',
  device_authorization: '/oauth/device/auth',
  end_session: '/oauth/session/end',
  introspection: '/oauth/introspect',
  pushed_authorization_request: '/oauth/par',
  userinfo: '/oauth/userinfo',
  credential: '/oauth/credential',
} as const;

/**
 * Redirect URIs we accept (registration, metadata documents and the CLI): https, or http on a loopback
 * address (native apps and local tools, RFC 8252 §7.3). Returns a reason, or undefined when acceptable.
 */
export function redirectUriProblem(uri: unknown): string | undefined {
  if (typeof uri !== 'string' || uri.length > 2000) return 'must be a URL of at most 2,000 characters';
  const parsed = URL.parse(uri);
  if (!parsed) return 'must be an absolute URL';
  if (parsed.hash || uri.includes('#')) return 'must not contain a fragment';
  if (parsed.username || parsed.password) return 'must not contain credentials';
  if (parsed.protocol === 'https:') return undefined;
  if (parsed.protocol === 'http:' && LOOPBACK_HOSTS.has(parsed.hostname)) return undefined;
  return 'must use https, or http on a loopback address (127.0.0.1, [::1], localhost)';
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);
