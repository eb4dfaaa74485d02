import { createHash } from 'node:crypto';
import { SignJWT } from 'jose';
import type { WallClock } from '../core/clock.js';
import type { WebhookKeyRing } from './key-ring.js';

/**
 * Plaid's `Plaid-Verification` header: a compact ES256 JWT with header `{alg, kid, typ}` and
 * claims `{iat, request_body_sha256}` over the exact body bytes (NOTES.md §5).
 */
export async function signWebhookBody(body: string, keys: WebhookKeyRing, wall: WallClock): Promise<string> {
  const { kid, privateKey } = keys.signingKey();
  const digest = createHash('sha256').update(body, 'utf8').digest('hex');
  return new SignJWT({ request_body_sha256: digest })
    .setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' })
    .setIssuedAt(Math.floor(wall() / 1000))
    .sign(privateKey);
}

/** Plaid pretty-prints webhook bodies with two-space indentation. */
export function serializeWebhookBody(payload: unknown): string {
  return JSON.stringify(payload, null, 2);
}
