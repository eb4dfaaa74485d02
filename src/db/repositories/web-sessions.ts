import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Database } from '../client.js';
import { users, webSessions } from '../schema/index.js';

export type WebSessionRow = typeof webSessions.$inferSelect;

/** Signed-in browser sessions (the dashboard). Only hashes of the cookie secret and CSRF token are kept. */
export function createWebSessionsRepository(db: Database) {
  // Hot path (every dashboard request): built once, prepared by name.
  const byHash = db
    .select({ session: webSessions })
    .from(webSessions)
    .innerJoin(users, eq(users.id, webSessions.userId))
    .where(eq(webSessions.tokenHash, sql.placeholder('tokenHash')))
    .limit(1)
    .prepare('web_sessions_by_hash');

  return {
    async insert(values: {
      userId: string;
      tokenHash: string;
      csrfHash: string;
      expiresAt: Date;
    }): Promise<WebSessionRow> {
      const [row] = await db.insert(webSessions).values(values).returning();
      return row!;
    },

    /** Authentication lookup by the cookie secret's hash: the secret itself identifies the user. */
    async findByHash(tokenHash: string): Promise<WebSessionRow | undefined> {
      const [row] = await byHash.execute({ tokenHash });
      return row?.session;
    },

    async touch(userId: string, sessionId: string, at: Date): Promise<void> {
      await db
        .update(webSessions)
        .set({ lastSeenAt: at })
        .where(and(eq(webSessions.id, sessionId), eq(webSessions.userId, userId)));
    },

    /** Revokes the caller's own session; false when it is not theirs, unknown or already revoked. */
    async revoke(userId: string, sessionId: string, at: Date): Promise<boolean> {
      const rows = await db
        .update(webSessions)
        .set({ revokedAt: at })
        .where(
          and(eq(webSessions.id, sessionId), eq(webSessions.userId, userId), isNull(webSessions.revokedAt)),
        )
        .returning({ id: webSessions.id });
      return rows.length > 0;
    },
  };
}

export type WebSessionsRepository = ReturnType<typeof createWebSessionsRepository>;
