import { index, jsonb, primaryKey, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { createdAt } from './columns.js';
import { users } from './users.js';

/**
 * What the OAuth 2.1 authorization server (oidc-provider, src/domain/oauth) keeps: one row per stored
 * model instance (Client, Grant, Session, Interaction, AuthorizationCode, RefreshToken, …) as the
 * library's adapter sees it: a JSON payload by model and id, with the few fields it looks rows up by.
 * `user_id` is the payload's `accountId` (our user): a user's grants, codes and tokens go with the user,
 * and every per-user query is scoped by it.
 */
export const oauthRecords = pgTable(
  'oauth_records',
  {
    model: text('model').notNull(),
    id: text('id').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    grantId: text('grant_id'),
    userCode: text('user_code'),
    uid: text('uid'),
    userId: uuid('user_id').references(() => users.id, { onDelete: 'cascade' }),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    consumedAt: timestamp('consumed_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ name: 'oauth_records_pkey', columns: [t.model, t.id] }),
    index('oauth_records_grant_idx').on(t.grantId),
    index('oauth_records_uid_idx').on(t.uid),
    index('oauth_records_user_idx').on(t.userId, t.model),
    index('oauth_records_expires_idx').on(t.expiresAt),
  ],
);

/**
 * The authorization server's signing keys (RS256), generated once. The private JWK is encrypted at rest
 * with the service's access-token cipher (ENCRYPTION_KEY_BASE64 / the key ring), bound to its `kid`.
 */
export const oauthSigningKeys = pgTable('oauth_signing_keys', {
  kid: text('kid').primaryKey(),
  alg: text('alg').notNull(),
  publicJwk: jsonb('public_jwk').$type<Record<string, unknown>>().notNull(),
  privateJwkCiphertext: text('private_jwk_ciphertext').notNull(),
  encryptionKeyId: text('encryption_key_id').notNull(),
  createdAt: createdAt(),
});
