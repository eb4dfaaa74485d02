import { buildConfig, parseEnv, type Config } from '../../src/config/schema.js';

export const TEST_JWT_SECRET = 'test-jwt-secret-that-is-long-enough-0123456789';
export const TEST_ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');

/** A Config as the service would parse it, from environment-style overrides. */
export function testConfig(env: Record<string, string> = {}): Config {
  const { raw } = parseEnv({ LOG_LEVEL: 'silent', PORT: '0', ...env });
  return buildConfig(raw, {
    jwtSecretKey: raw.JWT_SECRET_KEY ?? TEST_JWT_SECRET,
    encryptionKeyBase64: raw.ENCRYPTION_KEY_BASE64 ?? TEST_ENCRYPTION_KEY,
  });
}
