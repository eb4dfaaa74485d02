/**
 * The key ring: `DATA_DIR/keyring.json` (mode 0600), the keys that encrypt Plaid access tokens after a
 * rotation. `ENCRYPTION_KEY_BASE64` always stays loaded as a decryption key; when the ring file exists,
 * its active key encrypts new tokens, otherwise `ENCRYPTION_KEY_BASE64` does.
 *
 *   { "activeKeyId": "9f8e7d6c", "keys": [{ "id": "9f8e7d6c", "keyBase64": "…", "createdAt": "ISO" }] }
 *
 * Key ids are fingerprints (`keyIdOf`). The file is only ever replaced whole (temp file + rename) and keys
 * are never removed from it, so a reader sees the old ring or the new one, and every key it ever saw still
 * decrypts. Running services reload it without a restart (`createReloadingAccessTokenCipher`).
 * Errors and logs name files and key ids, never key material.
 */

import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Logger } from '../../lib/logger.js';
import {
  AccessTokenCipherError,
  createAccessTokenCipher,
  keyIdOf,
  type AccessTokenCipher,
  type AccessTokenKey,
} from './access-token-cipher.js';
import { isProcessAlive } from '../../db/data-dir-lock.js';

export const KEYRING_FILE = 'keyring.json';
const LOCK_FILE = 'keyring.lock';
const KEY_BYTES = 32;

export interface KeyringKey extends AccessTokenKey {
  /** When the key was added to the ring (ISO 8601). */
  createdAt: string;
}

export interface Keyring {
  activeKeyId: string;
  keys: KeyringKey[];
}

const keyringSchema = z
  .strictObject({
    activeKeyId: z.string().min(1),
    keys: z
      .array(
        z.strictObject({
          id: z.string().min(1),
          keyBase64: z.string().min(1),
          createdAt: z.string().min(1),
        }),
      )
      .min(1),
  })
  .superRefine((ring, ctx) => {
    const seen = new Set<string>();
    ring.keys.forEach((key, index) => {
      if (seen.has(key.id)) ctx.addIssue({ code: 'custom', path: ['keys', index], message: 'duplicate id' });
      seen.add(key.id);
      if (!isValidKeyBase64(key.keyBase64) || keyIdOf(key.keyBase64) !== key.id) {
        // Never echo the key: only say which entry is wrong.
        ctx.addIssue({
          code: 'custom',
          path: ['keys', index],
          message: `key ${key.id} is not 32 bytes of base64 whose fingerprint is its id`,
        });
      }
    });
    if (!seen.has(ring.activeKeyId)) {
      ctx.addIssue({ code: 'custom', path: ['activeKeyId'], message: 'is not one of the keys' });
    }
  });

export type KeyringErrorCode = 'invalid_keyring' | 'keyring_busy' | 'invalid_key';

export class KeyringError extends Error {
  override readonly name = 'KeyringError';
  constructor(
    readonly code: KeyringErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function keyringPath(dataDir: string): string {
  return path.join(path.resolve(dataDir), KEYRING_FILE);
}

/** 32 bytes in canonical base64 (so a typo cannot silently decode to another key). */
export function isValidKeyBase64(keyBase64: string): boolean {
  const bytes = Buffer.from(keyBase64, 'base64');
  return bytes.length === KEY_BYTES && bytes.toString('base64') === keyBase64;
}

/** The ring in `dataDir`, or undefined when there is none. Throws KeyringError when it is unreadable. */
export function readKeyring(dataDir: string): Keyring | undefined {
  const file = keyringPath(dataDir);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new KeyringError(
      'invalid_keyring',
      `Cannot read the key ring ${file}: ${(error as Error).message}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new KeyringError('invalid_keyring', `The key ring ${file} is not valid JSON.`);
  }
  const parsed = keyringSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(file)'} ${issue.message}`,
    );
    throw new KeyringError('invalid_keyring', `The key ring ${file} is invalid: ${problems.join('; ')}.`);
  }
  return parsed.data;
}

/** Replaces the ring atomically: a 0600 temp file in the same directory, fsynced, then renamed over it. */
export function writeKeyring(dataDir: string, ring: Keyring): void {
  const parsed = keyringSchema.safeParse(ring);
  if (!parsed.success) throw new KeyringError('invalid_keyring', 'refusing to write an invalid key ring');
  const file = keyringPath(dataDir);
  mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const fd = openSync(temp, 'wx', 0o600);
    try {
      writeSync(fd, JSON.stringify(parsed.data, null, 2) + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    chmodSync(temp, 0o600); // the umask may have narrowed the mode; never widened, but be explicit
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  syncDirectory(path.dirname(file));
}

/** Makes the rename durable; not every platform can fsync a directory, which is fine. */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // best effort
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export interface RotateKeyInput {
  dataDir: string;
  /** ENCRYPTION_KEY_BASE64: the active key while there is no ring. */
  configKeyBase64: string;
  /** The new key (32 bytes, base64); 32 random bytes when omitted. */
  newKeyBase64?: string;
  now?: () => Date;
}

export interface RotateKeyResult {
  /** The id of the key that is now active. */
  keyId: string;
  /** The id of the key that was active before. */
  previousKeyId: string;
  /** False when the key was already the active one (nothing was written). */
  changed: boolean;
}

/**
 * Makes a new key (or the given one) the ring's active key, keeping every older key for decryption.
 * Rotations are serialised by `DATA_DIR/keyring.lock`. Re-encrypting the stored tokens is a separate step
 * (`reencryptAccessTokens`); until it runs, the old keys keep decrypting them.
 */
export function rotateKey(input: RotateKeyInput): RotateKeyResult {
  const newKeyBase64 = input.newKeyBase64?.trim() ?? randomBytes(KEY_BYTES).toString('base64');
  if (!isValidKeyBase64(newKeyBase64)) {
    throw new KeyringError(
      'invalid_key',
      'the new key must be 32 bytes, base64-encoded (openssl rand -base64 32)',
    );
  }
  const keyId = keyIdOf(newKeyBase64);
  const configKeyId = keyIdOf(input.configKeyBase64);
  const release = lockKeyring(input.dataDir);
  try {
    const ring = readKeyring(input.dataDir);
    const previousKeyId = ring?.activeKeyId ?? configKeyId;
    if (keyId === previousKeyId) return { keyId, previousKeyId, changed: false };
    const keys = [...(ring?.keys ?? [])];
    if (!keys.some((key) => key.id === keyId)) {
      keys.push({
        id: keyId,
        keyBase64: newKeyBase64,
        createdAt: (input.now?.() ?? new Date()).toISOString(),
      });
    }
    writeKeyring(input.dataDir, { activeKeyId: keyId, keys });
    return { keyId, previousKeyId, changed: true };
  } finally {
    release();
  }
}

/** An exclusive lock file naming its pid; a lock whose process is gone is stale and taken over. */
function lockKeyring(dataDir: string): () => void {
  const dir = path.resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      try {
        writeSync(fd, JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString() }));
      } finally {
        closeSync(fd);
      }
      return () => rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = lockPid(file);
      if (pid !== undefined && isProcessAlive(pid)) {
        throw new KeyringError(
          'keyring_busy',
          `Another key rotation (pid ${pid}) holds ${file}; wait for it to finish.`,
        );
      }
      rmSync(file, { force: true });
    }
  }
  throw new KeyringError('keyring_busy', `Could not lock ${file}.`);
}

function lockPid(file: string): number | undefined {
  try {
    const owner = JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown };
    return typeof owner.pid === 'number' ? owner.pid : undefined;
  } catch {
    return undefined;
  }
}

/** An AccessTokenCipher that follows `DATA_DIR/keyring.json` while the process runs. */
export interface ReloadingAccessTokenCipher extends AccessTokenCipher {
  /** The key that encrypts now (as of the last look at the ring). */
  readonly activeKeyId: string;
  /** Every key id loaded (keys are only ever added while the process runs). */
  readonly keyIds: readonly string[];
  /** Re-reads the ring when its file changed (one stat); encrypt does this first. */
  refresh(): void;
  /** Re-reads the ring now; decrypt does this when it meets an unknown key id. */
  reload(): void;
}

export function isReloadingCipher(cipher: AccessTokenCipher): cipher is ReloadingAccessTokenCipher {
  return typeof (cipher as Partial<ReloadingAccessTokenCipher>).refresh === 'function';
}

export interface ReloadingCipherOptions {
  dataDir: string;
  /** ENCRYPTION_KEY_BASE64: always loaded; the active key while there is no ring. */
  configKeyBase64: string;
  logger?: Pick<Logger, 'warn' | 'info'>;
}

/**
 * The cipher a long-running process uses. Reads the ring at once (an invalid ring fails here, at boot),
 * then: before each encrypt, a `statSync` of the ring file and a reload when it changed (inode, mtime or
 * size), so new tokens use a rotated key without a restart; on decrypt with an unknown key id, a reload.
 * A ring that becomes unreadable later keeps the keys already loaded (and is logged).
 */
export function createReloadingAccessTokenCipher(
  options: ReloadingCipherOptions,
): ReloadingAccessTokenCipher {
  const file = keyringPath(options.dataDir);
  const configKeyId = keyIdOf(options.configKeyBase64);
  const keys = new Map<string, AccessTokenKey>([
    [configKeyId, { id: configKeyId, keyBase64: options.configKeyBase64.trim() }],
  ]);
  let inner: AccessTokenCipher = createAccessTokenCipher([...keys.values()], configKeyId);
  /** What the file looked like when last read: `absent`, or inode:mtime:size. */
  let seen: string | undefined;

  function signature(): string {
    try {
      const stat = statSync(file, { bigint: true });
      return `${stat.ino}:${stat.mtimeNs}:${stat.size}`;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
      throw error;
    }
  }

  function load(): void {
    const before = signature(); // taken first: a change during the read triggers another reload later
    const ring = readKeyring(options.dataDir);
    for (const key of ring?.keys ?? []) if (!keys.has(key.id)) keys.set(key.id, key);
    const activeKeyId = ring?.activeKeyId ?? configKeyId;
    const previous = inner.activeKeyId;
    inner = createAccessTokenCipher([...keys.values()], activeKeyId);
    const initial = seen === undefined;
    seen = before;
    if (!initial && previous !== activeKeyId) {
      options.logger?.info({ activeKeyId, previousKeyId: previous }, 'access-token key ring reloaded');
    }
  }

  function tryLoad(reason: string): void {
    try {
      load();
    } catch (error) {
      options.logger?.warn(
        { file, reason, err: error },
        'could not reload the access-token key ring; keeping the keys already loaded',
      );
    }
  }

  function refresh(): void {
    let now: string;
    try {
      now = signature();
    } catch {
      return; // cannot stat (permissions, I/O): keep what is loaded
    }
    if (now !== seen) tryLoad('changed');
  }

  load();

  return {
    get activeKeyId() {
      return inner.activeKeyId;
    },
    get keyIds() {
      return [...keys.keys()];
    },
    refresh,
    reload() {
      tryLoad('forced');
    },
    encrypt(plaintext, aad) {
      refresh();
      return inner.encrypt(plaintext, aad);
    },
    decrypt(encrypted, aad) {
      if (!keys.has(encrypted.keyId)) {
        tryLoad('unknown key id');
        if (!keys.has(encrypted.keyId)) {
          throw new AccessTokenCipherError('unknown_key', `no key with id ${encrypted.keyId} is loaded`);
        }
      }
      return inner.decrypt(encrypted, aad);
    },
    needsReencryption({ keyId }) {
      return keyId !== inner.activeKeyId;
    },
  };
}
