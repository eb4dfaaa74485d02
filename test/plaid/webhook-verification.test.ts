import { createHash } from 'node:crypto';
import { base64url, exportJWK, generateKeyPair, generateSecret, SignJWT } from 'jose';
import type { CryptoKey } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  bodySha256Hex,
  createWebhookVerifier,
  type WebhookVerificationKey,
} from '../../src/plaid/webhook-verification.js';

const KID = '6c5516e1-92dc-479e-a8ff-5a51992e0001';
const NOW_MS = Date.parse('2026-03-07T12:00:00Z');
const NOW_S = NOW_MS / 1000;
const body = Buffer.from(
  JSON.stringify(
    {
      webhook_type: 'TRANSACTIONS',
      webhook_code: 'SYNC_UPDATES_AVAILABLE',
      item_id: 'item_1',
      environment: 'sandbox',
    },
    null,
    2,
  ),
);

let privateKey: CryptoKey;
let publicJwk: WebhookVerificationKey;
let otherPrivateKey: CryptoKey;

beforeAll(async () => {
  const pair = await generateKeyPair('ES256', { extractable: true });
  privateKey = pair.privateKey;
  const jwk = await exportJWK(pair.publicKey);
  publicJwk = {
    alg: 'ES256',
    crv: jwk.crv!,
    kty: jwk.kty!,
    use: 'sig',
    x: jwk.x!,
    y: jwk.y!,
    kid: KID,
    created_at: NOW_S - 86_400,
    expired_at: null,
  };
  otherPrivateKey = (await generateKeyPair('ES256')).privateKey;
});

function sign(
  claims: Record<string, unknown> = { iat: NOW_S, request_body_sha256: bodySha256Hex(body) },
  { key = privateKey, kid = KID }: { key?: CryptoKey; kid?: string } = {},
): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' }).sign(key);
}

function verifier(keys: Record<string, WebhookVerificationKey> = { [KID]: publicJwk }, now = () => NOW_MS) {
  const fetched: string[] = [];
  const instance = createWebhookVerifier({
    now,
    fetchKey: async (kid) => {
      fetched.push(kid);
      const key = keys[kid];
      if (!key) throw new Error('INVALID_WEBHOOK_VERIFICATION_KEY_ID');
      return key;
    },
  });
  return { verify: instance.verify, fetched };
}

/** A JWT with any header, signed or not, for the algorithm-confusion cases. */
function handmade(
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  signature = 'c2ln',
): string {
  const encode = (value: unknown) => base64url.encode(JSON.stringify(value));
  return `${encode(header)}.${encode(claims)}.${signature}`;
}

describe('Plaid-Verification header', () => {
  it('should accept a webhook signed by Plaid over the exact body bytes', async () => {
    const { verify } = verifier();
    const result = await verify(await sign(), body);
    expect(result).toEqual({
      ok: true,
      claims: { iat: NOW_S, request_body_sha256: createHash('sha256').update(body).digest('hex'), kid: KID },
    });
    expect(await verify(await sign(), body.toString('utf8'))).toMatchObject({ ok: true });
  });

  it('should reject a request without the header', async () => {
    const { verify } = verifier();
    expect(await verify(undefined, body)).toEqual({ ok: false, reason: 'missing_header' });
    expect(await verify('', body)).toEqual({ ok: false, reason: 'missing_header' });
  });

  it('should reject a header that is not a compact JWT', async () => {
    const { verify } = verifier();
    expect(await verify('not-a-jwt', body)).toEqual({ ok: false, reason: 'malformed' });
    expect(await verify('%%%.e30.c2ln', body)).toEqual({ ok: false, reason: 'malformed' });
    expect(await verify(handmade({ alg: 'ES256' }, { iat: NOW_S }), body)).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });

  it('should reject alg none, HS256 and RS256 before fetching any key', async () => {
    const { verify, fetched } = verifier();
    const claims = { iat: NOW_S, request_body_sha256: bodySha256Hex(body) };
    expect(await verify(handmade({ alg: 'none', kid: KID }, claims, ''), body)).toEqual({
      ok: false,
      reason: 'bad_algorithm',
    });
    const hsToken = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid: KID })
      .sign(await generateSecret('HS256'));
    expect(await verify(hsToken, body)).toEqual({ ok: false, reason: 'bad_algorithm' });
    expect(await verify(handmade({ alg: 'RS256', kid: KID }, claims), body)).toEqual({
      ok: false,
      reason: 'bad_algorithm',
    });
    expect(fetched).toEqual([]);
  });

  it('should reject a kid Plaid does not know', async () => {
    const { verify } = verifier();
    expect(await verify(await sign(undefined, { kid: 'unknown-kid' }), body)).toEqual({
      ok: false,
      reason: 'unknown_key',
    });
  });

  it('should reject a key that has an expired_at', async () => {
    const { verify } = verifier({ [KID]: { ...publicJwk, expired_at: NOW_S - 60 } });
    expect(await verify(await sign(), body)).toEqual({ ok: false, reason: 'expired_key' });
  });

  it('should reject a signature made with another key', async () => {
    const { verify } = verifier();
    expect(await verify(await sign(undefined, { key: otherPrivateKey }), body)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    const [header, , signature] = (await sign()).split('.');
    const forgedPayload = base64url.encode(
      JSON.stringify({ iat: NOW_S, request_body_sha256: 'f'.repeat(64) }),
    );
    expect(await verify(`${header}.${forgedPayload}.${signature}`, body)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('should reject an iat older than 5 minutes (replay) or far in the future', async () => {
    const { verify } = verifier();
    const hash = bodySha256Hex(body);
    expect(await verify(await sign({ iat: NOW_S - 301, request_body_sha256: hash }), body)).toEqual({
      ok: false,
      reason: 'stale',
    });
    expect(await verify(await sign({ iat: NOW_S - 299, request_body_sha256: hash }), body)).toMatchObject({
      ok: true,
    });
    expect(await verify(await sign({ iat: NOW_S + 3600, request_body_sha256: hash }), body)).toEqual({
      ok: false,
      reason: 'stale',
    });
    expect(await verify(await sign({ iat: NOW_S + 5, request_body_sha256: hash }), body)).toMatchObject({
      ok: true,
    });
  });

  it('should reject a verified token whose claims are incomplete', async () => {
    const { verify } = verifier();
    expect(await verify(await sign({ request_body_sha256: bodySha256Hex(body) }), body)).toEqual({
      ok: false,
      reason: 'malformed',
    });
    expect(await verify(await sign({ iat: NOW_S }), body)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('should reject a body that differs from the signed one, even re-serialised JSON', async () => {
    const { verify } = verifier();
    const token = await sign();
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(body.toString('utf8'))));
    expect(await verify(token, reserialised)).toEqual({ ok: false, reason: 'body_mismatch' });
    expect(await verify(token, Buffer.concat([body, Buffer.from(' ')]))).toEqual({
      ok: false,
      reason: 'body_mismatch',
    });
    expect(await verify(await sign({ iat: NOW_S, request_body_sha256: 'abc' }), body)).toEqual({
      ok: false,
      reason: 'body_mismatch',
    });
  });

  it('should cache keys by kid and fetch each kid once', async () => {
    const second = await generateKeyPair('ES256', { extractable: true });
    const secondJwk = await exportJWK(second.publicKey);
    const kid2 = 'second-kid';
    const { verify, fetched } = verifier({
      [KID]: publicJwk,
      [kid2]: { ...publicJwk, kid: kid2, x: secondJwk.x!, y: secondJwk.y! },
    });
    expect(await verify(await sign(), body)).toMatchObject({ ok: true });
    expect(await verify(await sign(undefined, { key: second.privateKey, kid: kid2 }), body)).toMatchObject({
      ok: true,
    });
    expect(await verify(await sign(), body)).toMatchObject({ ok: true });
    expect(await verify(await sign(undefined, { key: second.privateKey, kid: kid2 }), body)).toMatchObject({
      ok: true,
    });
    expect(fetched).toEqual([KID, kid2]);
  });

  it('should notice a rotation: a cached key is fetched again after the cache TTL', async () => {
    let nowMs = NOW_MS;
    const keys: Record<string, WebhookVerificationKey> = { [KID]: publicJwk };
    const { verify, fetched } = verifier(keys, () => nowMs);
    expect(await verify(await sign(), body)).toMatchObject({ ok: true });

    keys[KID] = { ...publicJwk, expired_at: NOW_S + 10 };
    nowMs += 61 * 60 * 1000;
    const fresh = await sign({ iat: nowMs / 1000, request_body_sha256: bodySha256Hex(body) });
    expect(await verify(fresh, body)).toEqual({ ok: false, reason: 'expired_key' });
    expect(fetched).toEqual([KID, KID]);
  });

  it('should not cache a failed key fetch', async () => {
    const keys: Record<string, WebhookVerificationKey> = {};
    const { verify, fetched } = verifier(keys);
    expect(await verify(await sign(), body)).toEqual({ ok: false, reason: 'unknown_key' });
    keys[KID] = publicJwk;
    expect(await verify(await sign(), body)).toMatchObject({ ok: true });
    expect(fetched).toEqual([KID, KID]);
  });
});
