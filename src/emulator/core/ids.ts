import { randomBytes, randomUUID } from 'node:crypto';
import { Prng } from './prng.js';

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Deterministic Plaid-looking identifiers (37 base62 characters) drawn from one seeded stream. */
export class IdSource {
  private readonly prng: Prng;

  constructor(...seedParts: ReadonlyArray<string | number>) {
    this.prng = Prng.from('ids', ...seedParts);
  }

  next(length = 37): string {
    // Built from char codes in one go: `+=` would leave a rope of `length` cons-strings per id.
    const codes = new Array<number>(length);
    for (let i = 0; i < length; i++) codes[i] = BASE62.charCodeAt(this.prng.nextUint32() % 62);
    return String.fromCharCode(...codes);
  }
}

/** Plaid's request ids are 15 alphanumeric characters; they need not be reproducible. */
export function newRequestId(): string {
  const bytes = randomBytes(15);
  let id = '';
  for (const byte of bytes) id += BASE62[byte % 62];
  return id;
}

export type TokenKind = 'link' | 'public' | 'access';

/** `link-sandbox-<uuid>`, `public-sandbox-<uuid>`, `access-sandbox-<uuid>`: secrets, so not seeded. */
export function newToken(kind: TokenKind): string {
  return `${kind}-sandbox-${randomUUID()}`;
}
