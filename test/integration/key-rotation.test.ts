import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createItemsRepository, type ItemsRepository } from '../../src/db/repositories/items.js';
import { createUsersRepository } from '../../src/db/repositories/users.js';
import { plaidItems } from '../../src/db/schema/index.js';
import { runAdminCommand } from '../../src/domain/admin/commands.js';
import { accessTokenCipherFromKeys, keyIdOf } from '../../src/domain/items/access-token-cipher.js';
import { reencryptAccessTokens } from '../../src/domain/items/key-rotation.js';
import {
  createReloadingAccessTokenCipher,
  rotateKey,
  type ReloadingAccessTokenCipher,
} from '../../src/domain/items/keyring.js';
import { composeServices } from '../../src/domain/services.js';
import { testConfig } from '../helpers/config.js';
import { databaseKinds, openTestDatabase, type TestDatabase } from '../helpers/database.js';

const newKey = () => randomBytes(32).toString('base64');

interface StoredItem {
  id: string;
  userId: string;
  token: string;
  ciphertext: string;
  keyId: string;
}

describe.each(databaseKinds())('access-token key rotation on %s', (kind) => {
  let database: TestDatabase;
  let items: ItemsRepository;
  let dataDir: string;
  const configKey = newKey();
  const olderRingKey = newKey();
  const stored: StoredItem[] = [];
  /** The running service's cipher, built before any rotation. */
  let running: ReloadingAccessTokenCipher;

  async function insertItem(userId: string, keyBase64: string): Promise<StoredItem> {
    const id = randomUUID();
    const token = `access-sandbox-${randomUUID()}`;
    // As item-linking does: AAD = our item id.
    const encrypted = accessTokenCipherFromKeys(keyBase64).encrypt(token, id);
    await items.insertItem({
      id,
      userId,
      plaidItemId: `plaid-${id}`,
      accessTokenCiphertext: encrypted.ciphertext,
      accessTokenKeyId: encrypted.keyId,
    });
    return { id, userId, token, ciphertext: encrypted.ciphertext, keyId: encrypted.keyId };
  }

  async function rows() {
    return database.handle.db
      .select({
        id: plaidItems.id,
        ciphertext: plaidItems.accessTokenCiphertext,
        keyId: plaidItems.accessTokenKeyId,
      })
      .from(plaidItems);
  }

  beforeAll(async () => {
    database = await openTestDatabase(kind);
    items = createItemsRepository(database.handle.db);
    dataDir = mkdtempSync(path.join(tmpdir(), 'fa-rotation-'));
    // An older rotation left a ring whose active key encrypted some of the tokens.
    rotateKey({ dataDir, configKeyBase64: configKey, newKeyBase64: olderRingKey });
    running = createReloadingAccessTokenCipher({ dataDir, configKeyBase64: configKey });

    const users = createUsersRepository(database.handle.db);
    for (let u = 0; u < 3; u++) {
      const user = await users.insert({
        email: `rotation-${u}-${randomUUID()}@example.com`,
        passwordHash: 'x',
      });
      // 3 × 90 items: several batches of 100, under two different old keys.
      for (let i = 0; i < 90; i++) {
        stored.push(await insertItem(user!.id, i % 3 === 0 ? configKey : olderRingKey));
      }
    }
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('should re-encrypt every token under the new key, decrypting to the same plaintext', async () => {
    const { keyId: newKeyId } = rotateKey({ dataDir, configKeyBase64: configKey });
    const cli = createReloadingAccessTokenCipher({ dataDir, configKeyBase64: configKey });
    const batches: number[] = [];
    const result = await reencryptAccessTokens(
      { items, cipher: cli },
      { batchSize: 100, onProgress: (p) => batches.push(p.reencrypted) },
    );
    expect(result).toEqual({
      reencrypted: stored.length,
      alreadyCurrent: 0,
      skipped: 0,
      failed: 0,
      failures: [],
      nextAfterId: null,
    });
    expect(batches).toEqual([100, 200, 270]);

    const byId = new Map((await rows()).map((r) => [r.id, r]));
    expect(byId.size).toBe(stored.length);
    for (const item of stored) {
      const row = byId.get(item.id)!;
      expect(row.keyId).toBe(newKeyId);
      expect(row.ciphertext).not.toBe(item.ciphertext);
      expect(cli.decrypt(row, item.id)).toBe(item.token);
      // Still bound to its own row (AAD).
      expect(() => cli.decrypt(row, stored.find((s) => s.id !== item.id)!.id)).toThrow();
    }
  });

  it('should let a cipher built before the rotation (the running service) decrypt the rotated rows', async () => {
    const all = await rows();
    const newKeyId = all[0]!.keyId;
    expect(running.keyIds).not.toContain(newKeyId); // it has not looked at the ring yet
    for (const row of all) {
      expect(running.decrypt(row, row.id)).toBe(stored.find((s) => s.id === row.id)!.token);
    }
    expect(running.activeKeyId).toBe(newKeyId);
    // New tokens from the running service now use the new key too.
    expect(running.encrypt('access-sandbox-new', randomUUID()).keyId).toBe(newKeyId);
  });

  it('should leave nothing to do on a second run and count the tokens already current', async () => {
    const cipher = createReloadingAccessTokenCipher({ dataDir, configKeyBase64: configKey });
    const before = await rows();
    const result = await reencryptAccessTokens({ items, cipher });
    expect(result).toMatchObject({ reencrypted: 0, alreadyCurrent: stored.length, skipped: 0, failed: 0 });
    expect(await rows()).toEqual(before);
  });

  it('should never overwrite a token changed concurrently (compare-and-set on the old ciphertext)', async () => {
    rotateKey({ dataDir, configKeyBase64: configKey });
    const cipher = createReloadingAccessTokenCipher({ dataDir, configKeyBase64: configKey });
    const [victim] = stored;
    // Someone re-links the item (under the previous key) between our read and our write.
    const relinked = createReloadingAccessTokenCipher({ dataDir, configKeyBase64: configKey });
    const racing: typeof items = {
      ...items,
      listItemsNeedingKey: async (activeKeyId, limit, afterId) => {
        const page = await items.listItemsNeedingKey(activeKeyId, limit, afterId);
        if (page.some((row) => row.id === victim!.id)) {
          const encrypted = accessTokenCipherFromKeys(olderRingKey).encrypt(
            'access-sandbox-relinked',
            victim!.id,
          );
          await database.handle.db
            .update(plaidItems)
            .set({ accessTokenCiphertext: encrypted.ciphertext, accessTokenKeyId: encrypted.keyId })
            .where(eq(plaidItems.id, victim!.id));
        }
        return page;
      },
    };
    const result = await reencryptAccessTokens({ items: racing, cipher });
    expect(result).toMatchObject({ reencrypted: stored.length - 1, skipped: 1, failed: 0 });
    const [row] = await database.handle.db.select().from(plaidItems).where(eq(plaidItems.id, victim!.id));
    expect(row!.accessTokenKeyId).toBe(keyIdOf(olderRingKey));
    expect(
      relinked.decrypt({ ciphertext: row!.accessTokenCiphertext, keyId: row!.accessTokenKeyId }, victim!.id),
    ).toBe('access-sandbox-relinked');
    // A later pass picks it up.
    expect(await reencryptAccessTokens({ items, cipher })).toMatchObject({ reencrypted: 1, skipped: 0 });
    victim!.token = 'access-sandbox-relinked';
  });

  it('should leave a token it cannot decrypt as it is and name its item', async () => {
    const cipher = createReloadingAccessTokenCipher({ dataDir, configKeyBase64: configKey });
    const users = createUsersRepository(database.handle.db);
    const user = await users.insert({ email: `lost-${randomUUID()}@example.com`, passwordHash: 'x' });
    const lost = await insertItem(user!.id, newKey()); // a key no ring holds
    const result = await reencryptAccessTokens({ items, cipher });
    expect(result).toMatchObject({ reencrypted: 0, failed: 1 });
    expect(result.failures).toEqual([{ itemId: lost.id, keyId: lost.keyId, code: 'unknown_key' }]);
    const [row] = await database.handle.db.select().from(plaidItems).where(eq(plaidItems.id, lost.id));
    expect(row!.accessTokenCiphertext).toBe(lost.ciphertext);
    await items.deleteItem(user!.id, lost.id);
  });

  it('should walk in chunks with afterId/maxItems and cover every row once', async () => {
    const { keyId } = rotateKey({ dataDir, configKeyBase64: configKey });
    const cipher = createReloadingAccessTokenCipher({ dataDir, configKeyBase64: configKey });
    let afterId: string | undefined;
    let total = 0;
    let calls = 0;
    do {
      const chunk = await reencryptAccessTokens({ items, cipher }, { afterId, maxItems: 64, batchSize: 30 });
      total += chunk.reencrypted;
      afterId = chunk.nextAfterId ?? undefined;
      calls++;
    } while (afterId);
    expect(total).toBe(stored.length);
    expect(calls).toBe(Math.ceil(stored.length / 64) + (stored.length % 64 === 0 ? 1 : 0));
    for (const row of await rows()) {
      expect(row.keyId).toBe(keyId);
      expect(cipher.decrypt(row, row.id)).toBe(stored.find((s) => s.id === row.id)!.token);
    }
  });

  it('should run as the keys.reencrypt admin command only under the expected active key', async () => {
    const services = composeServices(database.handle.db, testConfig());
    const { keyId } = rotateKey({ dataDir, configKeyBase64: configKey });

    // A process that does not follow the ring (the static cipher of ENCRYPTION_KEY_BASE64) refuses.
    const stale = { ...services, cipher: accessTokenCipherFromKeys(configKey) };
    await expect(
      runAdminCommand(stale, 'keys.reencrypt', { expectedActiveKeyId: keyId }),
    ).rejects.toMatchObject({ code: 'KEY_RING_NOT_LOADED', status: 409 });
    await expect(
      runAdminCommand(services, 'keys.reencrypt', { expectedActiveKeyId: keyId }),
    ).rejects.toMatchObject({
      code: 'KEY_RING_NOT_LOADED',
    });

    const live = { ...services, cipher: running };
    const result = await runAdminCommand(live, 'keys.reencrypt', { expectedActiveKeyId: keyId, limit: 1000 });
    expect(result).toMatchObject({ reencrypted: stored.length, failed: 0, nextAfterId: null });
    expect(await runAdminCommand(live, 'keys.usage', {})).toEqual([{ keyId, items: stored.length }]);
  });
});
