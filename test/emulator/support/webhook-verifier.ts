import { createHash, timingSafeEqual } from 'node:crypto';
import { compactVerify, decodeProtectedHeader, importJWK } from 'jose';
import type { JWKPublicKey } from 'plaid';

/**
 * An independent verifier written from Plaid's documented rules (NOTES.md §5), not from the
 * emulator's code: ES256 only; key fetched by `kid` and cached by `kid`; an expired key is refused;
 * the signature verified; `iat` at most five minutes old; SHA-256 of the raw body compared in
 * constant time with `request_body_sha256`.
 */
export class PlaidWebhookVerifier {
  private readonly cache = new Map<string, JWKPublicKey>();

  constructor(
    private readonly fetchKey: (kid: string) => Promise<JWKPublicKey>,
    private readonly now: () => number = () => Date.now(),
  ) {}

  async verify(rawBody: Buffer, signature: string | undefined): Promise<boolean> {
    if (!signature) return false;
    let header;
    try {
      header = decodeProtectedHeader(signature);
    } catch {
      return false;
    }
    if (header.alg !== 'ES256' || typeof header.kid !== 'string') return false;
    let key = this.cache.get(header.kid);
    if (!key) {
      try {
        key = await this.fetchKey(header.kid);
      } catch {
        return false;
      }
      this.cache.set(header.kid, key);
    }
    if (key.expired_at !== null) return false;
    let payload: Uint8Array;
    try {
      const publicKey = await importJWK({ kty: key.kty, crv: key.crv, x: key.x, y: key.y }, 'ES256');
      ({ payload } = await compactVerify(signature, publicKey, { algorithms: ['ES256'] }));
    } catch {
      return false;
    }
    const claims = JSON.parse(Buffer.from(payload).toString('utf8')) as {
      iat?: number;
      request_body_sha256?: string;
    };
    if (typeof claims.iat !== 'number') return false;
    const age = Math.floor(this.now() / 1000) - claims.iat;
    if (age > 300 || age < -5) return false;
    const expected = Buffer.from(createHash('sha256').update(rawBody).digest('hex'));
    const claimed = Buffer.from(String(claims.request_body_sha256));
    return expected.length === claimed.length && timingSafeEqual(expected, claimed);
  }

  /** Forgets cached keys (Plaid's support example re-fetches to notice rotation). */
  forget(kid: string): void {
    this.cache.delete(kid);
  }
}
