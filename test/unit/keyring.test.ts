import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { AccessTokenCipherError, keyIdOf } from '../../src/domain/items/access-token-cipher.js';
import {
  createReloadingAccessTokenCipher,
  KeyringError,
  keyringPath,
  readKeyring,
  rotateKey,
  writeKeyring,
  type Keyring,
} from '../../src/domain/items/keyring.js';

const newKey = () => randomBytes(32).toString('base64');
const token = 'access-sandbox-7f1a2b3c-4d5e-6f70-8192-a3b4c5d6e7f8';
const itemId = '5f0f7a84-2a35-4a9b-9a41-6f1d8a0e1c11';
const dataDir = () => mkdtempSync(path.join(tmpdir(), 'fa-keyring-'));
const mode = (file: string) => statSync(file).mode & 0o777;

function ringOf(keyBase64: string, createdAt = '2025-01-01T00:00:00.000Z'): Keyring {
  const id = keyIdOf(keyBase64);
  return { activeKeyId: id, keys: [{ id, keyBase64, createdAt }] };
}

describe('key ring file', () => {
  it('should encrypt with ENCRYPTION_KEY_BASE64 while there is no ring', () => {
    const dir = dataDir();
    const configKey = newKey();
    const cipher = createReloadingAccessTokenCipher({ dataDir: dir, configKeyBase64: configKey });
    expect(readKeyring(dir)).toBeUndefined();
    expect(cipher.activeKeyId).toBe(keyIdOf(configKey));
    expect(cipher.encrypt(token, itemId).keyId).toBe(keyIdOf(configKey));
  });

  it('should write the ring with mode 0600, even over a wider file', () => {
    const dir = dataDir();
    writeFileSync(keyringPath(dir), JSON.stringify(ringOf(newKey())), { mode: 0o644 });
    chmodSync(keyringPath(dir), 0o644);
    const oldUmask = process.umask(0);
    try {
      rotateKey({ dataDir: dir, configKeyBase64: newKey() });
    } finally {
      process.umask(oldUmask);
    }
    expect(mode(keyringPath(dir))).toBe(0o600);
  });

  it('should replace the ring atomically (new inode, no temp file left, old ring kept on a failed write)', () => {
    const dir = dataDir();
    const configKey = newKey();
    rotateKey({ dataDir: dir, configKeyBase64: configKey });
    const before = statSync(keyringPath(dir)).ino;
    const first = readFileSync(keyringPath(dir), 'utf8');
    rotateKey({ dataDir: dir, configKeyBase64: configKey });
    // Replaced by a rename, never truncated and rewritten in place (a reader sees the old or the new ring).
    expect(statSync(keyringPath(dir)).ino).not.toBe(before);
    expect(readdirSync(dir).sort()).toEqual(['keyring.json']);

    const second = readFileSync(keyringPath(dir), 'utf8');
    expect(second).not.toBe(first);
    expect(() => writeKeyring(dir, { activeKeyId: 'nope', keys: [] })).toThrow(KeyringError);
    expect(readFileSync(keyringPath(dir), 'utf8')).toBe(second);
    expect(readdirSync(dir).sort()).toEqual(['keyring.json']);
  });

  it('should add a generated key as active and keep every older key', () => {
    const dir = dataDir();
    const configKey = newKey();
    const first = rotateKey({ dataDir: dir, configKeyBase64: configKey });
    expect(first).toMatchObject({ previousKeyId: keyIdOf(configKey), changed: true });
    const second = rotateKey({ dataDir: dir, configKeyBase64: configKey });
    expect(second).toMatchObject({ previousKeyId: first.keyId, changed: true });
    const ring = readKeyring(dir)!;
    expect(ring.activeKeyId).toBe(second.keyId);
    expect(ring.keys.map((k) => k.id)).toEqual([first.keyId, second.keyId]);
    for (const key of ring.keys) {
      expect(keyIdOf(key.keyBase64)).toBe(key.id);
      expect(Date.parse(key.createdAt)).not.toBeNaN();
    }
  });

  it('should use a given key, and do nothing when it is already active', () => {
    const dir = dataDir();
    const configKey = newKey();
    const given = newKey();
    expect(rotateKey({ dataDir: dir, configKeyBase64: configKey, newKeyBase64: given })).toEqual({
      keyId: keyIdOf(given),
      previousKeyId: keyIdOf(configKey),
      changed: true,
    });
    const ino = statSync(keyringPath(dir)).ino;
    expect(rotateKey({ dataDir: dir, configKeyBase64: configKey, newKeyBase64: given }).changed).toBe(false);
    expect(statSync(keyringPath(dir)).ino).toBe(ino);
  });

  it('should refuse a malformed key without echoing it', () => {
    const dir = dataDir();
    const bad = Buffer.alloc(31, 7).toString('base64');
    const attempt = () => rotateKey({ dataDir: dir, configKeyBase64: newKey(), newKeyBase64: bad });
    expect(attempt).toThrow(KeyringError);
    expect(attempt).toThrow(/32 bytes/);
    try {
      attempt();
    } catch (error) {
      expect(String(error)).not.toContain(bad);
    }
    expect(readKeyring(dir)).toBeUndefined();
  });

  it('should refuse a second rotation while one holds the lock, and take over a stale lock', () => {
    const dir = dataDir();
    const lock = path.join(dir, 'keyring.lock');
    writeFileSync(lock, JSON.stringify({ pid: process.ppid, startedAt: 'now' }));
    expect(() => rotateKey({ dataDir: dir, configKeyBase64: newKey() })).toThrow(/Another key rotation/);
    writeFileSync(lock, JSON.stringify({ pid: 2 ** 22 + 12345, startedAt: 'long ago' }));
    expect(rotateKey({ dataDir: dir, configKeyBase64: newKey() }).changed).toBe(true);
    expect(readdirSync(dir)).not.toContain('keyring.lock');
  });

  it('should reject a ring whose key does not match its id, without printing the key', () => {
    const dir = dataDir();
    const key = newKey();
    writeFileSync(
      keyringPath(dir),
      JSON.stringify({ activeKeyId: 'deadbeef', keys: [{ id: 'deadbeef', keyBase64: key, createdAt: 'x' }] }),
    );
    expect(() => readKeyring(dir)).toThrow(/is invalid/);
    expect(() => createReloadingAccessTokenCipher({ dataDir: dir, configKeyBase64: newKey() })).toThrow(
      KeyringError,
    );
    try {
      readKeyring(dir);
    } catch (error) {
      expect(String(error)).not.toContain(key);
    }
  });
});

describe('reloading access-token cipher', () => {
  it('should reload the ring when decrypt meets an unknown key id (a token made by a rotated process)', () => {
    const dir = dataDir();
    const configKey = newKey();
    const running = createReloadingAccessTokenCipher({ dataDir: dir, configKeyBase64: configKey });
    const rotated = rotateKey({ dataDir: dir, configKeyBase64: configKey });
    const other = createReloadingAccessTokenCipher({ dataDir: dir, configKeyBase64: configKey });
    const encrypted = other.encrypt(token, itemId);
    expect(encrypted.keyId).toBe(rotated.keyId);

    // The running cipher has not looked at the ring since it started…
    expect(running.activeKeyId).toBe(keyIdOf(configKey));
    expect(running.keyIds).not.toContain(rotated.keyId);
    // …and decrypting a token under the new key makes it read the ring.
    expect(running.decrypt(encrypted, itemId)).toBe(token);
    expect(running.keyIds).toContain(rotated.keyId);
    expect(running.activeKeyId).toBe(rotated.keyId);
  });

  it('should still fail clearly for a key id that is in no ring', () => {
    const dir = dataDir();
    const cipher = createReloadingAccessTokenCipher({ dataDir: dir, configKeyBase64: newKey() });
    const encrypted = cipher.encrypt(token, itemId);
    const attempt = () => cipher.decrypt({ ...encrypted, keyId: 'deadbeef' }, itemId);
    expect(attempt).toThrow(AccessTokenCipherError);
    expect(attempt).toThrow(/no key with id deadbeef/);
  });

  it('should reload before encrypting when the file changed, without a new inode (mtime)', () => {
    const dir = dataDir();
    const configKey = newKey();
    const [a, b] = [newKey(), newKey()];
    writeFileSync(keyringPath(dir), JSON.stringify(ringOf(a)), { mode: 0o600 });
    const cipher = createReloadingAccessTokenCipher({ dataDir: dir, configKeyBase64: configKey });
    expect(cipher.encrypt(token, itemId).keyId).toBe(keyIdOf(a));

    // Rewrite in place: same inode, same size; only the modification time tells it changed.
    const { ino, size, mtime } = statSync(keyringPath(dir));
    writeFileSync(keyringPath(dir), JSON.stringify(ringOf(b)));
    utimesSync(keyringPath(dir), new Date(), new Date(mtime.getTime() + 5_000));
    expect(statSync(keyringPath(dir))).toMatchObject({ ino, size });

    const encrypted = cipher.encrypt(token, itemId);
    expect(encrypted.keyId).toBe(keyIdOf(b));
    // Keys are only ever added: a token under the key that left the file still decrypts.
    expect(cipher.decrypt(cipher.encrypt(token, itemId), itemId)).toBe(token);
    expect(cipher.keyIds).toEqual(expect.arrayContaining([keyIdOf(configKey), keyIdOf(a), keyIdOf(b)]));
  });

  it('should not re-read an unchanged ring before each encrypt', () => {
    const dir = dataDir();
    const configKey = newKey();
    rotateKey({ dataDir: dir, configKeyBase64: configKey });
    const info = vi.fn();
    const cipher = createReloadingAccessTokenCipher({
      dataDir: dir,
      configKeyBase64: configKey,
      logger: { info, warn: vi.fn() },
    });
    for (let i = 0; i < 5; i++) cipher.encrypt(token, itemId);
    expect(info).not.toHaveBeenCalled();
    rotateKey({ dataDir: dir, configKeyBase64: configKey });
    cipher.encrypt(token, itemId);
    expect(info).toHaveBeenCalledTimes(1);
  });

  it('should keep ENCRYPTION_KEY_BASE64 for decryption after a rotation', () => {
    const dir = dataDir();
    const configKey = newKey();
    const before = createReloadingAccessTokenCipher({ dataDir: dir, configKeyBase64: configKey });
    const old = before.encrypt(token, itemId);
    rotateKey({ dataDir: dir, configKeyBase64: configKey });
    const after = createReloadingAccessTokenCipher({ dataDir: dir, configKeyBase64: configKey });
    expect(after.needsReencryption(old)).toBe(true);
    expect(after.decrypt(old, itemId)).toBe(token);
  });

  it('should keep the loaded keys, and say so, when the ring becomes unreadable', () => {
    const dir = dataDir();
    const configKey = newKey();
    const { keyId } = rotateKey({ dataDir: dir, configKeyBase64: configKey });
    const warn = vi.fn();
    const cipher = createReloadingAccessTokenCipher({
      dataDir: dir,
      configKeyBase64: configKey,
      logger: { info: vi.fn(), warn },
    });
    const encrypted = cipher.encrypt(token, itemId);
    writeFileSync(keyringPath(dir), '{ not json');
    expect(cipher.encrypt(token, itemId).keyId).toBe(keyId);
    expect(cipher.decrypt(encrypted, itemId)).toBe(token);
    expect(warn).toHaveBeenCalledWith(
      expect.objectContaining({ file: keyringPath(dir) }),
      expect.stringMatching(/could not reload/),
    );
    expect(JSON.stringify(warn.mock.calls)).not.toMatch(/keyBase64|[A-Za-z0-9+/]{43}=/);
  });
});
