import { createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { WebSessionRow, WebSessionsRepository } from '../../db/repositories/web-sessions.js';
import type { UsersRepository } from '../../db/repositories/users.js';
import { errors } from '../../errors/catalog.js';

/**
 * Browser sessions of the dashboard: a random cookie secret (256 bits) whose SHA-256 is stored, and a
 * synchronizer CSRF token derived from it (HMAC under a key from JWT_SECRET_KEY) whose SHA-256 is stored
 * too. The page learns its CSRF token from the sign-in answer or from GET /v1/auth/web-session (a
 * same-origin read: no other site can read it), and echoes it as `X-CSRF-Token` on every state change.
 */
export const WEB_SESSION_MARKER = 'fawss_';
const COOKIE_PATTERN = /^fawss_[A-Za-z0-9_-]{43}$/;

/** How long a session lasts from sign-in (absolute; signing out ends it at once). */
export const WEB_SESSION_TTL_MS = 7 * 24 * 3600_000;
/** `last_seen_at` is written at most this often per session, off the request's path. */
const TOUCH_INTERVAL_MS = 60_000;

export interface WebSessionsServiceDeps {
  sessions: WebSessionsRepository;
  users: UsersRepository;
  /** JWT_SECRET_KEY: the CSRF tokens' key is derived from it. */
  secret: string;
  now?: () => Date;
}

export interface SignedIn {
  /** The cookie's value (the session secret): set it, never log it. */
  cookie: string;
  csrfToken: string;
  session: WebSessionRow;
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

function sameSecret(expectedHash: string, given: string): boolean {
  const a = Buffer.from(expectedHash, 'hex');
  const b = Buffer.from(sha256(given), 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

export function createWebSessionsService({
  sessions,
  users,
  secret,
  now = () => new Date(),
}: WebSessionsServiceDeps) {
  const csrfKey = Buffer.from(hkdfSync('sha256', secret, 'finance-api', 'web-session-csrf', 32));
  const csrfFor = (cookie: string) => createHmac('sha256', csrfKey).update(cookie).digest('base64url');
  const lastTouched = new Map<string, number>();

  return {
    /** A new session for a user whose credentials were checked (AuthService.verifyCredentials). */
    async signIn(userId: string): Promise<SignedIn> {
      const cookie = `${WEB_SESSION_MARKER}${randomBytes(32).toString('base64url')}`;
      const csrfToken = csrfFor(cookie);
      const session = await sessions.insert({
        userId,
        tokenHash: sha256(cookie),
        csrfHash: sha256(csrfToken),
        expiresAt: new Date(now().getTime() + WEB_SESSION_TTL_MS),
      });
      return { cookie, csrfToken, session };
    },

    /** The standing session a cookie names, or 401 INVALID_TOKEN (unknown, expired, revoked, user gone). */
    async authenticate(cookie: string): Promise<{ session: WebSessionRow; csrfToken: string }> {
      if (!COOKIE_PATTERN.test(cookie))
        throw errors.invalidToken('The session cookie is not valid; sign in again.');
      const session = await sessions.findByHash(sha256(cookie));
      const at = now();
      if (!session || session.revokedAt || session.expiresAt <= at)
        throw errors.invalidToken('The session expired or was signed out; sign in again.');
      const last = lastTouched.get(session.id) ?? session.lastSeenAt?.getTime() ?? 0;
      if (at.getTime() - last > TOUCH_INTERVAL_MS) {
        lastTouched.set(session.id, at.getTime());
        void sessions.touch(session.userId, session.id, at).catch(() => lastTouched.delete(session.id));
      }
      return { session, csrfToken: csrfFor(cookie) };
    },

    /** Whether `given` is the session's CSRF token (compared by hash, in constant time). */
    csrfMatches(session: WebSessionRow, given: string | undefined): boolean {
      return (
        typeof given === 'string' &&
        given.length > 0 &&
        given.length <= 200 &&
        sameSecret(session.csrfHash, given)
      );
    },

    /** The user a session belongs to (for the page's "signed in as"). */
    async userOf(session: WebSessionRow) {
      const user = await users.findById(session.userId);
      if (!user) throw errors.invalidToken('The session expired or was signed out; sign in again.');
      return user;
    },

    /** Signs out: the row is revoked, so the cookie is worthless even if a copy survives. */
    async signOut(userId: string, sessionId: string): Promise<void> {
      lastTouched.delete(sessionId);
      await sessions.revoke(userId, sessionId, now());
    },
  };
}

export type WebSessionsService = ReturnType<typeof createWebSessionsService>;
