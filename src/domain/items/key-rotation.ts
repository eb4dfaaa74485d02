/**
 * Re-encrypting stored access tokens under the active key, after `rotateKey` (./keyring.ts) made a new key
 * active. Safe while the service runs: each row is replaced with a compare-and-set on its old ciphertext,
 * so a concurrent change wins and the row is only counted as skipped. The plaintext token never leaves
 * this function and is never logged.
 */

import type { ItemsRepository } from '../../db/repositories/items.js';
import type { Logger } from '../../lib/logger.js';
import { AccessTokenCipherError, type AccessTokenCipher } from './access-token-cipher.js';
import { isReloadingCipher } from './keyring.js';

export interface ReencryptDeps {
  items: Pick<ItemsRepository, 'listItemsNeedingKey' | 'replaceAccessTokenCiphertext' | 'countItemsByKeyId'>;
  cipher: AccessTokenCipher;
  logger?: Pick<Logger, 'warn' | 'error'>;
}

export interface ReencryptOptions {
  /** Rows read per query. */
  batchSize?: number;
  /** Resume a walk after this item id (from a previous call's `nextAfterId`). */
  afterId?: string;
  /** Stop after looking at this many rows (the caller continues with `nextAfterId`). */
  maxItems?: number;
  onProgress?: (progress: ReencryptCounts) => void;
}

export interface ReencryptCounts {
  /** Rows now under the active key. */
  reencrypted: number;
  /** Rows that already used the active key (counted when a walk starts, i.e. without `afterId`). */
  alreadyCurrent: number;
  /** Rows changed by someone else meanwhile (compare-and-set missed); a later pass looks again. */
  skipped: number;
  /** Rows whose token could not be decrypted (unknown key, tampered, wrong item); left as they are. */
  failed: number;
}

export interface ReencryptFailure {
  itemId: string;
  keyId: string;
  /** AccessTokenCipherError code: `unknown_key` (the key is not loaded) or `invalid_ciphertext`. */
  code: string;
}

export interface ReencryptResult extends ReencryptCounts {
  /** The failed rows (ids only, never token material). */
  failures: ReencryptFailure[];
  /** Where to continue (`afterId`) when `maxItems` stopped the walk; null when it reached the end. */
  nextAfterId: string | null;
}

const DEFAULT_BATCH = 100;

/**
 * Walks the items whose token uses another key than the cipher's active key, in id order, and
 * re-encrypts each one (AAD = the item's id, as linking does) under the active key.
 */
export async function reencryptAccessTokens(
  deps: ReencryptDeps,
  options: ReencryptOptions = {},
): Promise<ReencryptResult> {
  const { items, cipher, logger } = deps;
  const batchSize = Math.max(1, options.batchSize ?? DEFAULT_BATCH);
  const maxItems = options.maxItems ?? Number.POSITIVE_INFINITY;
  if (isReloadingCipher(cipher)) cipher.refresh();

  const counts: ReencryptCounts = { reencrypted: 0, alreadyCurrent: 0, skipped: 0, failed: 0 };
  if (options.afterId === undefined) {
    const activeKeyId = cipher.activeKeyId;
    counts.alreadyCurrent =
      (await items.countItemsByKeyId()).find((row) => row.keyId === activeKeyId)?.items ?? 0;
  }

  const failures: ReencryptFailure[] = [];
  let afterId = options.afterId;
  let seen = 0;
  for (;;) {
    const limit = Math.min(batchSize, maxItems - seen);
    if (limit <= 0) return { ...counts, failures, nextAfterId: afterId ?? null };
    const rows = await items.listItemsNeedingKey(cipher.activeKeyId, limit, afterId);
    for (const row of rows) {
      const current = { ciphertext: row.accessTokenCiphertext, keyId: row.accessTokenKeyId };
      let plaintext: string;
      try {
        plaintext = cipher.decrypt(current, row.id);
      } catch (error) {
        const failure = {
          itemId: row.id,
          keyId: row.accessTokenKeyId,
          code: error instanceof AccessTokenCipherError ? error.code : 'unexpected',
        };
        counts.failed++;
        failures.push(failure);
        logger?.error(failure, 'cannot decrypt an access token to re-encrypt it; left under its old key');
        continue;
      }
      const next = cipher.encrypt(plaintext, row.id);
      if (next.keyId === row.accessTokenKeyId) {
        // The active key changed back to this row's key during the walk: nothing to do.
        counts.alreadyCurrent++;
        continue;
      }
      if (await items.replaceAccessTokenCiphertext(row.id, row.accessTokenCiphertext, next)) {
        counts.reencrypted++;
      } else {
        counts.skipped++;
        logger?.warn({ itemId: row.id }, 'access token changed during re-encryption; skipped');
      }
    }
    seen += rows.length;
    afterId = rows.at(-1)?.id ?? afterId;
    options.onProgress?.({ ...counts });
    if (rows.length < limit) return { ...counts, failures, nextAfterId: null };
  }
}
