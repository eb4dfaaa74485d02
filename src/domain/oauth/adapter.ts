import type { OAuthRepository } from '../../db/repositories/oauth.js';

/** The form of our user ids (an OAuth record's `accountId`). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Expired rows are swept every this many writes (the library never reads them again). */
const SWEEP_EVERY_WRITES = 500;
const SWEEP_GRACE_MS = 86_400_000;

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/**
 * oidc-provider's storage adapter over our database (one `oauth_records` row per model instance), so
 * clients, grants, codes, sessions, interactions and refresh tokens survive restarts and are shared by
 * every API process. The library calls `new Adapter(modelName)` per model.
 */
export function createOAuthAdapter(repository: OAuthRepository, now: () => Date = () => new Date()) {
  let writes = 0;
  const sweep = () => {
    writes += 1;
    if (writes % SWEEP_EVERY_WRITES === 0) {
      void repository.deleteExpired(now(), SWEEP_GRACE_MS).catch(() => undefined);
    }
  };

  const toPayload = (stored: { payload: Record<string, unknown>; consumedAt: Date | null } | undefined) =>
    stored
      ? {
          ...stored.payload,
          ...(stored.consumedAt ? { consumed: Math.floor(stored.consumedAt.getTime() / 1000) } : {}),
        }
      : undefined;

  return class DatabaseAdapter {
    constructor(readonly model: string) {}

    async upsert(id: string, payload: Record<string, unknown>, expiresIn?: number): Promise<void> {
      const accountId = text(payload.accountId);
      await repository.upsert({
        model: this.model,
        id,
        payload,
        expiresAt: expiresIn ? new Date(now().getTime() + expiresIn * 1000) : null,
        grantId: text(payload.grantId),
        userCode: text(payload.userCode),
        uid: text(payload.uid),
        userId: accountId && UUID.test(accountId) ? accountId : null,
      });
      sweep();
    }

    async find(id: string) {
      return toPayload(await repository.find(this.model, id, now()));
    }

    async findByUserCode(userCode: string) {
      return toPayload(await repository.findByUserCode(this.model, userCode, now()));
    }

    async findByUid(uid: string) {
      return toPayload(await repository.findByUid(this.model, uid, now()));
    }

    async consume(id: string): Promise<void> {
      await repository.consume(this.model, id, now());
    }

    async destroy(id: string): Promise<void> {
      await repository.destroy(this.model, id);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await repository.revokeByGrantId(this.model, grantId);
    }
  };
}
