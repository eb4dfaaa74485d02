import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  AccessTokenCipherError,
  accessTokenCipherFromKeys,
  createAccessTokenCipher,
  keyIdOf,
} from '../../src/domain/items/access-token-cipher.js';

const newKey = () => randomBytes(32).toString('base64');
const token = 'access-sandbox-7f1a2b3c-4d5e-6f70-8192-a3b4c5d6e7f8';
const itemId = '5f0f7a84-2a35-4a9b-9a41-6f1d8a0e1c11';

describe('access token cipher', () => {
  it('should round-trip a token and never store it in clear', () => {
    const key = newKey();
    const cipher = createAccessTokenCipher([{ id: keyIdOf(key), keyBase64: key }], keyIdOf(key));
    const encrypted = cipher.encrypt(token, itemId);
    expect(encrypted.keyId).toBe(keyIdOf(key));
    expect(encrypted.ciphertext).not.toContain('access-sandbox');
    expect(Buffer.from(encrypted.ciphertext, 'base64').length).toBe(12 + 16 + token.length);
    expect(cipher.decrypt(encrypted, itemId)).toBe(token);
  });

  it('should use a fresh IV for every encryption', () => {
    const cipher = accessTokenCipherFromKeys(newKey());
    expect(cipher.encrypt(token).ciphertext).not.toBe(cipher.encrypt(token).ciphertext);
  });

  it('should detect tampering without revealing the token', () => {
    const cipher = accessTokenCipherFromKeys(newKey());
    const encrypted = cipher.encrypt(token, itemId);
    const bytes = Buffer.from(encrypted.ciphertext, 'base64');
    for (const index of [0, 12, 28, bytes.length - 1]) {
      const tampered = Buffer.from(bytes);
      tampered[index]! ^= 1;
      const attempt = () => cipher.decrypt({ ...encrypted, ciphertext: tampered.toString('base64') }, itemId);
      expect(attempt).toThrow(AccessTokenCipherError);
      try {
        attempt();
      } catch (error) {
        expect((error as AccessTokenCipherError).code).toBe('invalid_ciphertext');
        expect(String(error)).not.toContain(token);
      }
    }
    expect(() => cipher.decrypt({ ...encrypted, ciphertext: 'too-short' }, itemId)).toThrow(/malformed/);
  });

  it('should not decrypt a ciphertext moved to another item (AAD)', () => {
    const cipher = accessTokenCipherFromKeys(newKey());
    const encrypted = cipher.encrypt(token, itemId);
    expect(() => cipher.decrypt(encrypted, 'another-item')).toThrow(AccessTokenCipherError);
    expect(() => cipher.decrypt(encrypted)).toThrow(AccessTokenCipherError);
  });

  it('should name an unknown key id clearly', () => {
    const cipher = accessTokenCipherFromKeys(newKey());
    const encrypted = cipher.encrypt(token);
    expect(() => cipher.decrypt({ ...encrypted, keyId: 'deadbeef' })).toThrow(/no key with id deadbeef/);
    expect(() => createAccessTokenCipher([], 'x')).toThrow(AccessTokenCipherError);
  });

  it('should rotate: decrypt with the old key, re-encrypt with the new one', () => {
    const oldKey = newKey();
    const before = accessTokenCipherFromKeys(oldKey).encrypt(token, itemId);

    const newKeyBase64 = newKey();
    const after = accessTokenCipherFromKeys(newKeyBase64, [oldKey]);
    expect(after.needsReencryption(before)).toBe(true);
    const reencrypted = after.encrypt(after.decrypt(before, itemId), itemId);
    expect(reencrypted.keyId).toBe(keyIdOf(newKeyBase64));
    expect(after.needsReencryption(reencrypted)).toBe(false);
    expect(after.decrypt(reencrypted, itemId)).toBe(token);

    // Once the old key is dropped, old ciphertexts fail with unknown_key, new ones still work.
    const newOnly = accessTokenCipherFromKeys(newKeyBase64);
    expect(() => newOnly.decrypt(before, itemId)).toThrow(expect.objectContaining({ code: 'unknown_key' }));
    expect(newOnly.decrypt(reencrypted, itemId)).toBe(token);
  });

  it('should derive a short stable key id and refuse keys that are not 32 bytes', () => {
    const key = newKey();
    expect(keyIdOf(key)).toMatch(/^[0-9a-f]{8}$/);
    expect(keyIdOf(key)).toBe(keyIdOf(` ${key} `));
    expect(keyIdOf(key)).not.toBe(keyIdOf(newKey()));
    expect(() => keyIdOf(randomBytes(16).toString('base64'))).toThrow(AccessTokenCipherError);
    expect(() =>
      createAccessTokenCipher([{ id: 'a', keyBase64: randomBytes(31).toString('base64') }], 'a'),
    ).toThrow(/32 bytes/);
    expect(() =>
      createAccessTokenCipher(
        [
          { id: 'a', keyBase64: key },
          { id: 'a', keyBase64: newKey() },
        ],
        'a',
      ),
    ).toThrow(/duplicate/);
  });
});
