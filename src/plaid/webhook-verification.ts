/**
 * Verifies the `Plaid-Verification` header of a webhook, following Plaid's documented steps:
 * 1. decode the JWT header without verifying it; only `alg: ES256` is accepted (never none/HS256/...);
 * 2. get the public key for its `kid` (cached by kid; fetched through /webhook_verification_key/get);
 *    a key whose `expired_at` is set is rejected;
 * 3. verify the ES256 signature;
 * 4. reject an `iat` older than 5 minutes (or too far in the future);
 * 5. compare the SHA-256 of the RAW body bytes with `request_body_sha256` in constant time.
 * The caller must pass the exact bytes received: Plaid pretty-prints its JSON, so a re-serialised body
 * never matches.
 */

import { createHash, timingSafeEqual } from 'node:crypto';
import { compactVerify, decodeProtectedHeader, importJWK } from 'jose';
import type { JWKPublicKey } from 'plaid';

export type WebhookRejectionReason =
  | 'missing_header'
  | 'malformed'
  | 'bad_algorithm'
  | 'unknown_key'
  | 'expired_key'
  | 'bad_signature'
  | 'stale'
  | 'body_mismatch';

export interface WebhookClaims {
  /** Issued at, in Unix seconds. */
  iat: number;
  /** Lower-case hex SHA-256 of the body Plaid sent. */
  request_body_sha256: string;
  /** The id of the key that signed the webhook. */
  kid: string;
}

export type WebhookVerificationResult =
  { ok: true; claims: WebhookClaims } | { ok: false; reason: WebhookRejectionReason };

/** The key as /webhook_verification_key/get returns it. */
export type WebhookVerificationKey = Pick<
  JWKPublicKey,
  'alg' | 'crv' | 'kid' | 'kty' | 'x' | 'y' | 'created_at' | 'expired_at'
> &
  Partial<Pick<JWKPublicKey, 'use'>>;

export interface WebhookVerifierOptions {
  /** Fetches the key for a kid (wraps /webhook_verification_key/get); throw or return null when unknown. */
  fetchKey: (kid: string) => Promise<WebhookVerificationKey | null>;
  /** Current time in milliseconds (injected in tests). */
  now?: () => number;
  /** Oldest accepted `iat` (default 300 s, Plaid's rule). */
  maxAgeSeconds?: number;
  /** How far in the future `iat` may be, for clock skew (default 30 s). */
  clockSkewSeconds?: number;
  /** Cached keys are fetched again after this long, to notice an `expired_at` set by rotation (default 1 h). */
  keyCacheTtlMs?: number;
}

export interface WebhookVerifier {
  verify(header: string | null | undefined, rawBody: Uint8Array | string): Promise<WebhookVerificationResult>;
}

/** Lower-case hex SHA-256 of the raw body: the value Plaid signs, also used to recognise duplicates. */
export function bodySha256Hex(rawBody: Uint8Array | string): string {
  return createHash('sha256').update(rawBody).digest('hex');
}

function reject(reason: WebhookRejectionReason): WebhookVerificationResult {
  return { ok: false, reason };
}

export function createWebhookVerifier(options: WebhookVerifierOptions): WebhookVerifier {
  const now = options.now ?? Date.now;
  const maxAgeSeconds = options.maxAgeSeconds ?? 300;
  const clockSkewSeconds = options.clockSkewSeconds ?? 30;
  const keyCacheTtlMs = options.keyCacheTtlMs ?? 60 * 60 * 1000;
  const cache = new Map<string, { key: WebhookVerificationKey; fetchedAt: number }>();

  async function keyFor(kid: string): Promise<WebhookVerificationKey | null> {
    const cached = cache.get(kid);
    if (cached && cached.key.expired_at === null && now() - cached.fetchedAt < keyCacheTtlMs)
      return cached.key;
    if (cached && cached.key.expired_at !== null) return cached.key;
    let key: WebhookVerificationKey | null;
    try {
      key = await options.fetchKey(kid);
    } catch {
      return null; // unknown kid, or Plaid unreachable: reject (Plaid retries the webhook later)
    }
    if (!key || key.kid !== kid) return null;
    cache.set(kid, { key, fetchedAt: now() });
    return key;
  }

  return {
    async verify(header, rawBody) {
      if (typeof header !== 'string' || header.trim() === '') return reject('missing_header');
      const jwt = header.trim();
      if (jwt.split('.').length !== 3) return reject('malformed');

      let alg: unknown;
      let kid: unknown;
      try {
        ({ alg, kid } = decodeProtectedHeader(jwt));
      } catch {
        return reject('malformed');
      }
      if (alg !== 'ES256') return reject('bad_algorithm');
      if (typeof kid !== 'string' || kid === '') return reject('malformed');

      const key = await keyFor(kid);
      if (!key) return reject('unknown_key');
      if (key.expired_at !== null && key.expired_at !== undefined) return reject('expired_key');

      let payload: Uint8Array;
      try {
        const publicKey = await importJWK({ kty: key.kty, crv: key.crv, x: key.x, y: key.y }, 'ES256');
        ({ payload } = await compactVerify(jwt, publicKey, { algorithms: ['ES256'] }));
      } catch {
        return reject('bad_signature');
      }

      let claims: unknown;
      try {
        claims = JSON.parse(new TextDecoder().decode(payload));
      } catch {
        return reject('malformed');
      }
      if (typeof claims !== 'object' || claims === null) return reject('malformed');
      const { iat, request_body_sha256: claimedHash } = claims as Record<string, unknown>;
      if (typeof iat !== 'number' || !Number.isFinite(iat) || typeof claimedHash !== 'string') {
        return reject('malformed');
      }

      const nowSeconds = now() / 1000;
      if (nowSeconds - iat > maxAgeSeconds || iat - nowSeconds > clockSkewSeconds) return reject('stale');

      const actual = Buffer.from(bodySha256Hex(rawBody), 'utf8');
      const claimed = Buffer.from(claimedHash, 'utf8');
      if (actual.length !== claimed.length || !timingSafeEqual(actual, claimed))
        return reject('body_mismatch');

      return { ok: true, claims: { iat, request_body_sha256: claimedHash, kid } };
    },
  };
}
