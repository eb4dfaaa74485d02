import { randomBytes } from 'node:crypto';
import { hash, verify, type Algorithm } from '@node-rs/argon2';
import { errors } from '../../errors/catalog.js';
import { isCleanText } from '../../lib/text.js';

/** argon2id with OWASP's minimum parameters (19 MiB, 2 passes, 1 lane). */
// Algorithm is an ambient const enum; 2 is Argon2id.
const options = {
  algorithm: 2 as Algorithm.Argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

/**
 * A password as it is hashed: NFC (so "é" typed as one code point or as e + combining accent is the same
 * password), and only when it is well-formed Unicode. argon2 hashes UTF-8 bytes, and encoding an unpaired
 * surrogate gives U+FFFD's bytes: `pw\ud800`, `pw\udfff` and `pw\ufffd` would all be one password.
 * Undefined for a password that is not well-formed (the HTTP schemas refuse it first: 400).
 */
export function normalizePassword(password: string): string | undefined {
  return isCleanText(password) ? password.normalize('NFC') : undefined;
}

export async function hashPassword(password: string): Promise<string> {
  const normalized = normalizePassword(password);
  if (normalized === undefined)
    throw errors.validationFailed([
      { field: 'password', message: 'must be well-formed Unicode without NUL' },
    ]);
  return hash(normalized, options);
}

/**
 * Checks the NFC form; a password that was not typed in NFC is also checked as typed, because hashes
 * made before passwords were normalised are of the bytes as typed (one more argon2 run, only then).
 * A password that is not well-formed Unicode never verifies.
 */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  const normalized = normalizePassword(password);
  if (normalized === undefined) return false;
  if (await verifyBytes(passwordHash, normalized)) return true;
  return normalized !== password && verifyBytes(passwordHash, password);
}

async function verifyBytes(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

/** A hash of a random password, verified against when the email is unknown so both paths cost the same. */
let decoyHash: Promise<string> | undefined;
export function decoyPasswordHash(): Promise<string> {
  decoyHash ??= hashPassword(randomBytes(16).toString('hex'));
  return decoyHash;
}

/** A password for `users create` without --password: 24 characters, about 143 bits. */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}
