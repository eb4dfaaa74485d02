import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import dotenv from 'dotenv';
import { buildConfig, parseEnv, type Config } from './schema.js';

const SECRETS_FILE = 'secrets.json';

interface StoredSecrets {
  JWT_SECRET_KEY?: string;
  ENCRYPTION_KEY_BASE64?: string;
}

export interface LoadedConfig {
  config: Config;
  /** Human-readable notes for the boot log (e.g. which secrets were generated). */
  notices: string[];
}

/**
 * Reads `.env` (when present; real environment variables win), validates everything, and in embedded
 * mode fills missing secrets from `DATA_DIR/secrets.json`, generating them once (mode 0600).
 */
export async function loadConfig(
  env: Record<string, string | undefined> = process.env,
  options: { dotenvPath?: string | false } = {},
): Promise<LoadedConfig> {
  const merged = { ...env };
  if (options.dotenvPath !== false) {
    const fromFile = await readDotenv(options.dotenvPath ?? '.env');
    for (const [key, value] of Object.entries(fromFile)) {
      if (merged[key] === undefined) merged[key] = value;
    }
  }
  const { raw, missingSecrets } = parseEnv(merged);
  const notices: string[] = [];
  let jwtSecretKey = raw.JWT_SECRET_KEY;
  let encryptionKeyBase64 = raw.ENCRYPTION_KEY_BASE64;

  if (missingSecrets.length > 0) {
    // parseEnv guarantees we only get here in embedded mode.
    const file = path.resolve(raw.DATA_DIR, SECRETS_FILE);
    const stored = await readStoredSecrets(file);
    const generated: string[] = [];
    if (!jwtSecretKey) {
      if (!stored.JWT_SECRET_KEY) {
        stored.JWT_SECRET_KEY = randomBytes(48).toString('base64url');
        generated.push('JWT_SECRET_KEY');
      }
      jwtSecretKey = stored.JWT_SECRET_KEY;
    }
    if (!encryptionKeyBase64) {
      if (!stored.ENCRYPTION_KEY_BASE64) {
        stored.ENCRYPTION_KEY_BASE64 = randomBytes(32).toString('base64');
        generated.push('ENCRYPTION_KEY_BASE64');
      }
      encryptionKeyBase64 = stored.ENCRYPTION_KEY_BASE64;
    }
    if (generated.length > 0) {
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, JSON.stringify(stored, null, 2) + '\n', { mode: 0o600 });
      await chmod(file, 0o600);
      notices.push(`generated ${generated.join(' and ')} and stored them in ${file} (mode 0600); back it up`);
    } else {
      notices.push(`using ${missingSecrets.join(' and ')} from ${file}`);
    }
  }

  return {
    config: buildConfig(raw, { jwtSecretKey: jwtSecretKey!, encryptionKeyBase64: encryptionKeyBase64! }),
    notices,
  };
}

async function readDotenv(file: string): Promise<Record<string, string>> {
  try {
    return dotenv.parse(await readFile(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
}

async function readStoredSecrets(file: string): Promise<StoredSecrets> {
  try {
    const parsed: unknown = JSON.parse(await readFile(file, 'utf8'));
    if (typeof parsed !== 'object' || parsed === null) throw new Error('not a JSON object');
    return parsed as StoredSecrets;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new Error(`Cannot read generated secrets from ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
