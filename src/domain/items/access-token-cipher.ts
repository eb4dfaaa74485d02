/**
 * Plaid access tokens at rest: AES-256-GCM with a random 12-byte IV, stored as base64 of iv | tag | data
 * beside the id of the key that made it (plaid_items.access_token_ciphertext / access_token_key_id).
 *
 * Pass the item's id as `aad` so a ciphertext copied onto another row does not decrypt. Several keys may
 * be loaded at once so old rows still decrypt after a rotation; new ciphertexts always use the active key.
 * Errors never contain the plaintext, the key or the ciphertext.
 */

import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

export interface AccessTokenKey {
  /** Stable id stored beside each ciphertext; `keyIdOf(keyBase64)` when there is no other naming. */
  id: string;
  /** 32 random bytes, base64-encoded. */
  keyBase64: string;
}

export interface EncryptedAccessToken {
  /** base64 of iv (12 bytes) | GCM tag (16 bytes) | ciphertext. */
  ciphertext: string;
  keyId: string;
}

export interface AccessTokenCipher {
  readonly activeKeyId: string;
  encrypt(plaintext: string, aad?: string): EncryptedAccessToken;
  decrypt(encrypted: EncryptedAccessToken, aad?: string): string;
  /** True when the ciphertext was made with another key than the active one (re-encrypt it). */
  needsReencryption(encrypted: Pick<EncryptedAccessToken, 'keyId'>): boolean;
}

export type AccessTokenCipherErrorCode = 'invalid_key' | 'unknown_key' | 'invalid_ciphertext';

export class AccessTokenCipherError extends Error {
  override readonly name = 'AccessTokenCipherError';
  constructor(
    readonly code: AccessTokenCipherErrorCode,
    message: string,
  ) {
    super(message);
  }
}

function decodeKey(keyBase64: string, id: string): Buffer {
  const key = Buffer.from(keyBase64.trim(), 'base64');
  if (key.length !== KEY_BYTES) {
    throw new AccessTokenCipherError('invalid_key', `key ${id} must be ${KEY_BYTES} bytes, base64-encoded`);
  }
  return key;
}

/** A short stable fingerprint of a key (first 8 hex characters of the SHA-256 of its bytes). */
export function keyIdOf(keyBase64: string): string {
  const key = Buffer.from(keyBase64.trim(), 'base64');
  if (key.length !== KEY_BYTES) {
    throw new AccessTokenCipherError('invalid_key', `the key must be ${KEY_BYTES} bytes, base64-encoded`);
  }
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

export function createAccessTokenCipher(
  keys: readonly AccessTokenKey[],
  activeKeyId: string,
): AccessTokenCipher {
  const keyring = new Map<string, Buffer>();
  for (const { id, keyBase64 } of keys) {
    if (!id) throw new AccessTokenCipherError('invalid_key', 'every key needs an id');
    if (keyring.has(id)) throw new AccessTokenCipherError('invalid_key', `duplicate key id ${id}`);
    keyring.set(id, decodeKey(keyBase64, id));
  }
  const activeKey = keyring.get(activeKeyId);
  if (!activeKey)
    throw new AccessTokenCipherError('unknown_key', `the active key ${activeKeyId} is not loaded`);

  return {
    activeKeyId,

    encrypt(plaintext, aad) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv(ALGORITHM, activeKey, iv, { authTagLength: TAG_BYTES });
      if (aad !== undefined) cipher.setAAD(Buffer.from(aad, 'utf8'));
      const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return { ciphertext: Buffer.concat([iv, tag, data]).toString('base64'), keyId: activeKeyId };
    },

    decrypt({ ciphertext, keyId }, aad) {
      const key = keyring.get(keyId);
      if (!key) throw new AccessTokenCipherError('unknown_key', `no key with id ${keyId} is loaded`);
      const bytes = Buffer.from(ciphertext, 'base64');
      if (bytes.length < IV_BYTES + TAG_BYTES || bytes.toString('base64') !== ciphertext) {
        throw new AccessTokenCipherError('invalid_ciphertext', 'the access token ciphertext is malformed');
      }
      const iv = bytes.subarray(0, IV_BYTES);
      const tag = bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES);
      const data = bytes.subarray(IV_BYTES + TAG_BYTES);
      try {
        const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
        if (aad !== undefined) decipher.setAAD(Buffer.from(aad, 'utf8'));
        decipher.setAuthTag(tag);
        return Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
      } catch {
        throw new AccessTokenCipherError(
          'invalid_ciphertext',
          'the access token could not be decrypted (tampered, wrong key or wrong item)',
        );
      }
    },

    needsReencryption({ keyId }) {
      return keyId !== activeKeyId;
    },
  };
}

/**
 * The cipher for the service's configuration: `ENCRYPTION_KEY_BASE64` is the active key, optional older
 * keys still decrypt. Key ids are the keys' fingerprints, so no extra configuration is needed.
 */
export function accessTokenCipherFromKeys(
  activeKeyBase64: string,
  previousKeysBase64: readonly string[] = [],
): AccessTokenCipher {
  const keys = new Map<string, AccessTokenKey>();
  for (const keyBase64 of [activeKeyBase64, ...previousKeysBase64]) {
    const id = keyIdOf(keyBase64);
    if (!keys.has(id)) keys.set(id, { id, keyBase64 });
  }
  return createAccessTokenCipher([...keys.values()], keyIdOf(activeKeyBase64));
}

/** The stored form of an item's access token: the ciphertext and its key id, bound to the item's id. */
export interface StoredItemToken {
  id: string;
  accessTokenCiphertext: string;
  accessTokenKeyId: string;
}

/** An item's Plaid access token in clear, for one Plaid call (the item's id is the AAD). Never log it. */
export function decryptItemAccessToken(cipher: AccessTokenCipher, item: StoredItemToken): string {
  return cipher.decrypt({ ciphertext: item.accessTokenCiphertext, keyId: item.accessTokenKeyId }, item.id);
}
