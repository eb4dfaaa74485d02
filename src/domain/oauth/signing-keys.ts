import { generateKeyPair, randomBytes, type JsonWebKey } from 'node:crypto';
import { promisify } from 'node:util';
import type { OAuthRepository } from '../../db/repositories/oauth.js';
import type { AccessTokenCipher } from '../items/access-token-cipher.js';

const generateRsaKeyPair = promisify(generateKeyPair);

export const SIGNING_ALG = 'RS256';

/** The additional data a private key's ciphertext is bound to: a ciphertext moved to another row fails. */
const aadOf = (kid: string) => `oauth-signing-key:${kid}`;

/**
 * The authorization server's signing keys (private JWKs for oidc-provider's keystore). Generated once,
 * by whichever process starts first (the repository serializes that), and stored with the private key
 * encrypted by the service's access-token cipher (ENCRYPTION_KEY_BASE64 or the key ring's active key;
 * rotated keys stay in the ring, so an older ciphertext still decrypts).
 */
export async function loadSigningKeys(
  repository: OAuthRepository,
  cipher: AccessTokenCipher,
): Promise<JsonWebKey[]> {
  const rows = await repository.signingKeysOrCreate(async () => {
    const kid = randomBytes(12).toString('base64url');
    const { privateKey, publicKey } = await generateRsaKeyPair('rsa', { modulusLength: 2048 });
    const common = { kid, alg: SIGNING_ALG, use: 'sig' };
    const privateJwk = { ...privateKey.export({ format: 'jwk' }), ...common };
    const publicJwk = { ...publicKey.export({ format: 'jwk' }), ...common };
    const encrypted = cipher.encrypt(JSON.stringify(privateJwk), aadOf(kid));
    return {
      kid,
      alg: SIGNING_ALG,
      publicJwk,
      privateJwkCiphertext: encrypted.ciphertext,
      encryptionKeyId: encrypted.keyId,
    };
  });
  return rows.map(
    (row) =>
      JSON.parse(
        cipher.decrypt({ ciphertext: row.privateJwkCiphertext, keyId: row.encryptionKeyId }, aadOf(row.kid)),
      ) as JsonWebKey,
  );
}
