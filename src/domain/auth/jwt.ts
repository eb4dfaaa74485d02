import { randomUUID } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';

export const JWT_AUDIENCE = 'finance-api';

export interface JwtSettings {
  secret: string;
  issuer: string;
  ttlSeconds: number;
}

export interface IssuedJwt {
  token: string;
  expiresAt: Date;
}

/** Short-lived session tokens: HS256, with iss, aud, sub, iat, exp and jti. */
export async function issueJwt(settings: JwtSettings, userId: string, now = new Date()): Promise<IssuedJwt> {
  const iat = Math.floor(now.getTime() / 1000);
  const exp = iat + settings.ttlSeconds;
  const token = await new SignJWT({ scope: 'read write' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(userId)
    .setIssuer(settings.issuer)
    .setAudience(JWT_AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .setJti(randomUUID())
    .sign(keyOf(settings.secret));
  return { token, expiresAt: new Date(exp * 1000) };
}

/** Returns the user id, or undefined for any token that is not ours, tampered with or expired. */
export async function verifyJwt(settings: JwtSettings, token: string): Promise<string | undefined> {
  try {
    const { payload } = await jwtVerify(token, keyOf(settings.secret), {
      algorithms: ['HS256'],
      issuer: settings.issuer,
      audience: JWT_AUDIENCE,
      requiredClaims: ['sub', 'exp', 'iat'],
    });
    return typeof payload.sub === 'string' ? payload.sub : undefined;
  } catch {
    return undefined;
  }
}

const keys = new Map<string, Uint8Array>();
function keyOf(secret: string): Uint8Array {
  let key = keys.get(secret);
  if (!key) {
    key = new TextEncoder().encode(secret);
    keys.set(secret, key);
  }
  return key;
}
