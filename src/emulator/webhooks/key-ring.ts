import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import type { JWKPublicKey } from 'plaid';
import type { WallClock } from '../core/clock.js';

interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
  readonly createdAt: number;
  expiredAt: number | null;
}

/**
 * The webhook signing keys: one current ES256 (P-256) key; rotation sets `expired_at` on the old
 * one, which stays fetchable through `/webhook_verification_key/get`.
 */
export class WebhookKeyRing {
  private readonly keys = new Map<string, SigningKey>();
  private current: SigningKey | null = null;

  private constructor(private readonly wall: WallClock) {}

  static async create(wall: WallClock): Promise<WebhookKeyRing> {
    const ring = new WebhookKeyRing(wall);
    await ring.rotate();
    return ring;
  }

  /** Makes a new current key and expires the previous one. Returns the new key id. */
  async rotate(): Promise<string> {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const now = Math.floor(this.wall() / 1000);
    if (this.current) this.current.expiredAt = now;
    const key: SigningKey = {
      kid: randomUUID(),
      privateKey,
      publicJwk: await exportJWK(publicKey),
      createdAt: now,
      expiredAt: null,
    };
    this.keys.set(key.kid, key);
    this.current = key;
    return key.kid;
  }

  signingKey(): { kid: string; privateKey: CryptoKey } {
    if (!this.current) throw new Error('the key ring has no key');
    return { kid: this.current.kid, privateKey: this.current.privateKey };
  }

  publicKey(kid: string): JWKPublicKey | undefined {
    const key = this.keys.get(kid);
    if (!key) return undefined;
    return {
      alg: 'ES256',
      crv: key.publicJwk.crv ?? 'P-256',
      kid: key.kid,
      kty: key.publicJwk.kty ?? 'EC',
      use: 'sig',
      x: key.publicJwk.x ?? '',
      y: key.publicJwk.y ?? '',
      created_at: key.createdAt,
      expired_at: key.expiredAt,
    };
  }

  list(): JWKPublicKey[] {
    return [...this.keys.keys()]
      .map((kid) => this.publicKey(kid))
      .filter((k): k is JWKPublicKey => k !== undefined);
  }
}
