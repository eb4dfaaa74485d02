import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { Database } from '../client.js';
import type { ChannelSubscription, ListenerLifecycle } from '../notifications.js';
import { apiTokens, users, type ApiTokenScope } from '../schema/index.js';

export type ApiTokenRow = typeof apiTokens.$inferSelect;

export function createApiTokensRepository(db: Database) {
  // Hot path (every request with a personal access token): built once, prepared by name.
  const byHash = db
    .select({ token: apiTokens })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(eq(apiTokens.tokenHash, sql.placeholder('tokenHash')))
    .limit(1)
    .prepare('api_tokens_by_hash');

  return {
    async insert(values: {
      userId: string;
      name: string;
      prefix: string;
      tokenHash: string;
      scope: ApiTokenScope;
      expiresAt: Date | null;
    }): Promise<ApiTokenRow> {
      const [row] = await db.insert(apiTokens).values(values).returning();
      return row!;
    },

    async listForUser(userId: string): Promise<ApiTokenRow[]> {
      return db
        .select()
        .from(apiTokens)
        .where(eq(apiTokens.userId, userId))
        .orderBy(desc(apiTokens.createdAt), desc(apiTokens.id));
    },

    /** Revokes the caller's own token; false when it is not theirs, unknown or already revoked. */
    async revokeForUser(userId: string, tokenId: string, now: Date): Promise<boolean> {
      const rows = await db
        .update(apiTokens)
        .set({ revokedAt: now })
        .where(and(eq(apiTokens.id, tokenId), eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)))
        .returning({ id: apiTokens.id });
      return rows.length > 0;
    },

    /** Admin (CLI) revocation by id alone. */
    async revokeAny(tokenId: string, now: Date): Promise<ApiTokenRow | undefined> {
      const [row] = await db
        .update(apiTokens)
        .set({ revokedAt: now })
        .where(and(eq(apiTokens.id, tokenId), isNull(apiTokens.revokedAt)))
        .returning();
      return row;
    },

    /** Authentication lookup by the token's hash: the token itself identifies the user. */
    async findByHash(tokenHash: string): Promise<ApiTokenRow | undefined> {
      const [row] = await byHash.execute({ tokenHash });
      return row?.token;
    },

    async touch(tokenId: string, now: Date): Promise<void> {
      await db.update(apiTokens).set({ lastUsedAt: now }).where(eq(apiTokens.id, tokenId));
    },
  };
}

export type ApiTokensRepository = ReturnType<typeof createApiTokensRepository>;

/**
 * Where the triggers of drizzle/0007_api_token_revocations.sql announce, at commit, every change that can
 * invalidate a token: the token's id, or '*' for all of them (TRUNCATE).
 */
const REVOCATIONS_CHANNEL = 'api_token_revocations';
const EVERY_TOKEN = '*';

export interface TokenRevocationHandlers extends ListenerLifecycle {
  /** The token was revoked, deleted (also with its user) or changed. */
  onTokenRevoked(tokenId: string): void;
  onEveryTokenRevoked(): void;
}

/** Follows the revocations committed by every process on this database, this one included. */
export function tokenRevocationsSubscription(handlers: TokenRevocationHandlers): ChannelSubscription {
  return {
    channel: REVOCATIONS_CHANNEL,
    handlers: {
      onNotification: (payload) =>
        payload === EVERY_TOKEN ? handlers.onEveryTokenRevoked() : handlers.onTokenRevoked(payload),
      onListening: () => handlers.onListening(),
      onLost: (error, retryInMs) => handlers.onLost(error, retryInMs),
    },
  };
}
