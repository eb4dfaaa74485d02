import { and, asc, desc, eq, gt, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { Database } from '../client.js';
import { oauthRecords, oauthSigningKeys } from '../schema/index.js';

export type OAuthRecordRow = typeof oauthRecords.$inferSelect;
export type OAuthSigningKeyRow = typeof oauthSigningKeys.$inferSelect;

export interface OAuthRecordWrite {
  model: string;
  id: string;
  payload: Record<string, unknown>;
  expiresAt: Date | null;
  grantId: string | null;
  userCode: string | null;
  uid: string | null;
  userId: string | null;
}

/** A stored record as the authorization server's adapter returns it. */
export interface OAuthStored {
  payload: Record<string, unknown>;
  consumedAt: Date | null;
}

const notExpired = (now: Date) => or(isNull(oauthRecords.expiresAt), gt(oauthRecords.expiresAt, now));

/**
 * The authorization server's storage (src/domain/oauth/adapter.ts). Its lookups by model and id are the
 * library's (a token or a code identifies itself); reads of a person's grants take the user id.
 */
export function createOAuthRepository(db: Database) {
  const findOne = async (model: string, where: ReturnType<typeof and>, now: Date) => {
    const [row] = await db
      .select({ payload: oauthRecords.payload, consumedAt: oauthRecords.consumedAt })
      .from(oauthRecords)
      .where(and(eq(oauthRecords.model, model), where, notExpired(now)))
      .limit(1);
    return row;
  };

  return {
    async upsert(record: OAuthRecordWrite): Promise<void> {
      await db
        .insert(oauthRecords)
        .values(record)
        .onConflictDoUpdate({
          target: [oauthRecords.model, oauthRecords.id],
          set: {
            payload: record.payload,
            expiresAt: record.expiresAt,
            grantId: record.grantId,
            userCode: record.userCode,
            uid: record.uid,
            userId: record.userId,
          },
        });
    },

    find(model: string, id: string, now: Date): Promise<OAuthStored | undefined> {
      return findOne(model, eq(oauthRecords.id, id), now);
    },

    findByUid(model: string, uid: string, now: Date): Promise<OAuthStored | undefined> {
      return findOne(model, eq(oauthRecords.uid, uid), now);
    },

    findByUserCode(model: string, userCode: string, now: Date): Promise<OAuthStored | undefined> {
      return findOne(model, eq(oauthRecords.userCode, userCode), now);
    },

    async consume(model: string, id: string, now: Date): Promise<void> {
      await db
        .update(oauthRecords)
        .set({ consumedAt: now })
        .where(and(eq(oauthRecords.model, model), eq(oauthRecords.id, id)));
    },

    async destroy(model: string, id: string): Promise<void> {
      await db.delete(oauthRecords).where(and(eq(oauthRecords.model, model), eq(oauthRecords.id, id)));
    },

    async revokeByGrantId(model: string, grantId: string): Promise<void> {
      await db
        .delete(oauthRecords)
        .where(and(eq(oauthRecords.model, model), eq(oauthRecords.grantId, grantId)));
    },

    /** Rows whose expiry passed more than `graceMs` ago (the library never reads them again). */
    async deleteExpired(now: Date, graceMs: number): Promise<number> {
      const rows = await db
        .delete(oauthRecords)
        .where(lt(oauthRecords.expiresAt, new Date(now.getTime() - graceMs)))
        .returning({ id: oauthRecords.id });
      return rows.length;
    },

    /** The caller's live grants, newest first. */
    async listGrantsForUser(userId: string, now: Date): Promise<OAuthRecordRow[]> {
      return db
        .select()
        .from(oauthRecords)
        .where(and(eq(oauthRecords.userId, userId), eq(oauthRecords.model, 'Grant'), notExpired(now)))
        .orderBy(desc(oauthRecords.createdAt), asc(oauthRecords.id));
    },

    /** True when the grant exists, is the user's and has not expired (the check behind every OAuth token). */
    async isGrantActive(userId: string, grantId: string, now: Date): Promise<boolean> {
      const [row] = await db
        .select({ id: oauthRecords.id })
        .from(oauthRecords)
        .where(
          and(
            eq(oauthRecords.model, 'Grant'),
            eq(oauthRecords.id, grantId),
            eq(oauthRecords.userId, userId),
            notExpired(now),
          ),
        )
        .limit(1);
      return row !== undefined;
    },

    /**
     * Deletes the caller's grant and everything issued under it (codes, refresh tokens, sessions' links
     * are the library's); false when it is not theirs or unknown.
     */
    async deleteGrantForUser(userId: string, grantId: string): Promise<boolean> {
      return db.transaction(async (tx) => {
        const deleted = await tx
          .delete(oauthRecords)
          .where(
            and(
              eq(oauthRecords.model, 'Grant'),
              eq(oauthRecords.id, grantId),
              eq(oauthRecords.userId, userId),
            ),
          )
          .returning({ id: oauthRecords.id });
        if (deleted.length === 0) return false;
        await tx
          .delete(oauthRecords)
          .where(and(eq(oauthRecords.grantId, grantId), eq(oauthRecords.userId, userId)));
        return true;
      });
    },

    /** Registered clients by id (names for the grants list); clients belong to no user. */
    async findClients(ids: readonly string[]): Promise<Map<string, Record<string, unknown>>> {
      if (ids.length === 0) return new Map();
      const rows = await db
        .select({ id: oauthRecords.id, payload: oauthRecords.payload })
        .from(oauthRecords)
        .where(and(eq(oauthRecords.model, 'Client'), inArray(oauthRecords.id, [...ids])));
      return new Map(rows.map((row) => [row.id, row.payload]));
    },

    async signingKeys(): Promise<OAuthSigningKeyRow[]> {
      return db.select().from(oauthSigningKeys).orderBy(asc(oauthSigningKeys.createdAt));
    },

    /**
     * The signing keys, creating the first one when there is none: under a transaction-scoped advisory
     * lock, so that processes starting together agree on one key.
     */
    async signingKeysOrCreate(
      create: () => Promise<Omit<OAuthSigningKeyRow, 'createdAt'>>,
    ): Promise<OAuthSigningKeyRow[]> {
      return db.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(hashtext('oauth_signing_keys'))`);
        const existing = await tx.select().from(oauthSigningKeys).orderBy(asc(oauthSigningKeys.createdAt));
        if (existing.length > 0) return existing;
        const [row] = await tx
          .insert(oauthSigningKeys)
          .values(await create())
          .returning();
        return [row!];
      });
    },
  };
}

export type OAuthRepository = ReturnType<typeof createOAuthRepository>;
