import { createHash, randomBytes } from 'node:crypto';

/**
 * Personal access tokens look like `fapat_<8 chars>_<43 chars>`. The first part (`fapat_<8 chars>`) is
 * the visible prefix people use to recognise a token; the whole token is random (256 bits of secret),
 * so a SHA-256 of it is a safe thing to store and look up.
 */
export const ACCESS_TOKEN_MARKER = 'fapat_';
const pattern = /^fapat_([A-Za-z0-9]{8})_([A-Za-z0-9_-]{43})$/;

export interface MintedAccessToken {
  token: string;
  prefix: string;
  hash: string;
}

export function mintAccessToken(): MintedAccessToken {
  const id = randomBytes(12)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, 8)
    .padEnd(8, '0');
  const token = `${ACCESS_TOKEN_MARKER}${id}_${randomBytes(32).toString('base64url')}`;
  return { token, prefix: `${ACCESS_TOKEN_MARKER}${id}`, hash: hashAccessToken(token) };
}

export function looksLikeAccessToken(token: string): boolean {
  return token.startsWith(ACCESS_TOKEN_MARKER);
}

export function isWellFormedAccessToken(token: string): boolean {
  return pattern.test(token);
}

export function hashAccessToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
