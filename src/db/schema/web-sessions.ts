import { index, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { createdAt, primaryId } from './columns.js';
import { ownerId } from './users.js';

/**
 * Signed-in browser sessions of the dashboard (and the OAuth consent pages' sign-in). The cookie carries
 * a random secret; only its SHA-256 (`token_hash`) is stored, like personal access tokens. `csrf_hash`
 * is the SHA-256 of the session's CSRF token, which every state-changing request must echo.
 */
export const webSessions = pgTable(
  'web_sessions',
  {
    id: primaryId(),
    userId: ownerId(),
    tokenHash: text('token_hash').notNull(),
    csrfHash: text('csrf_hash').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('web_sessions_token_hash_key').on(t.tokenHash),
    index('web_sessions_user_idx').on(t.userId),
    index('web_sessions_expires_idx').on(t.expiresAt),
  ],
);
