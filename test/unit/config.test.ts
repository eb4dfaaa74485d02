import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError, parseEnv } from '../../src/config/schema.js';

function problemsOf(env: Record<string, string>): { variable: string; message: string }[] {
  try {
    parseEnv(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('configuration', () => {
  it('has embedded defaults: 127.0.0.1:8000, ./data, emulator, no registration', () => {
    const { raw, missingSecrets } = parseEnv({});
    expect(raw).toMatchObject({
      HOST: '127.0.0.1',
      PORT: 8000,
      DATA_DIR: './data',
      ALLOW_REGISTRATION: false,
    });
    expect(raw.DATABASE_URL).toBeUndefined();
    expect(missingSecrets).toEqual(['JWT_SECRET_KEY', 'ENCRYPTION_KEY_BASE64']);
  });

  it('names each bad variable and what it expects', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      LOG_LEVEL: 'loud',
      ALLOW_REGISTRATION: 'maybe',
      PUBLIC_URL: 'nope',
    });
    const byVariable = Object.fromEntries(problems.map((p) => [p.variable, p.message]));
    expect(Object.keys(byVariable).sort()).toEqual(['ALLOW_REGISTRATION', 'LOG_LEVEL', 'PORT', 'PUBLIC_URL']);
    expect(byVariable.PORT).toMatch(/port/);
    expect(byVariable.LOG_LEVEL).toMatch(/info/);
    expect(byVariable.ALLOW_REGISTRATION).toMatch(/true or false/);
  });

  it('caches personal access tokens for 60 s by default; 0 turns the cache off; a bad value is named', () => {
    expect(parseEnv({}).raw.AUTH_TOKEN_CACHE_SECONDS).toBe(60);
    expect(parseEnv({ AUTH_TOKEN_CACHE_SECONDS: '' }).raw.AUTH_TOKEN_CACHE_SECONDS).toBe(60);
    expect(parseEnv({ AUTH_TOKEN_CACHE_SECONDS: '0' }).raw.AUTH_TOKEN_CACHE_SECONDS).toBe(0);
    for (const bad of ['soon', '-1', '1.5', '3601']) {
      expect(problemsOf({ AUTH_TOKEN_CACHE_SECONDS: bad }), bad).toEqual([
        { variable: 'AUTH_TOKEN_CACHE_SECONDS', message: 'expected whole seconds from 0 (no cache) to 3600' },
      ]);
    }
  });

  it('caches item health for 60 s by default, and names a bad FRESHNESS_CACHE_SECONDS', () => {
    expect(parseEnv({}).raw.FRESHNESS_CACHE_SECONDS).toBe(60);
    expect(parseEnv({ FRESHNESS_CACHE_SECONDS: '0' }).raw.FRESHNESS_CACHE_SECONDS).toBe(0);
    expect(problemsOf({ FRESHNESS_CACHE_SECONDS: 'never' })).toEqual([
      { variable: 'FRESHNESS_CACHE_SECONDS', message: 'expected whole seconds from 0 (no cache) to 3600' },
    ]);
  });

  it('runs several API processes only on PostgreSQL', () => {
    expect(parseEnv({}).raw.API_PROCESSES).toBe(1);
    expect(problemsOf({ API_PROCESSES: '2' })).toEqual([
      {
        variable: 'API_PROCESSES',
        message: 'more than 1 needs DATABASE_URL (the embedded database lives in one process)',
      },
    ]);
    expect(problemsOf({ API_PROCESSES: '0' })[0]?.variable).toBe('API_PROCESSES');
    const server = { DATABASE_URL: 'postgres://localhost/x', JWT_SECRET_KEY: 'k'.repeat(40) };
    expect(
      parseEnv({ ...server, ENCRYPTION_KEY_BASE64: Buffer.alloc(32).toString('base64'), API_PROCESSES: '2' })
        .raw.API_PROCESSES,
    ).toBe(2);
  });

  it('requires the secrets when DATABASE_URL is set', () => {
    const problems = problemsOf({ DATABASE_URL: 'postgres://localhost/x' });
    expect(problems.map((p) => p.variable).sort()).toEqual(['ENCRYPTION_KEY_BASE64', 'JWT_SECRET_KEY']);
    expect(problems[0]!.message).toMatch(/DATABASE_URL/);
  });

  it('rejects an encryption key that is not 32 bytes of base64, and a short JWT secret', () => {
    const problems = problemsOf({ ENCRYPTION_KEY_BASE64: 'c2hvcnQ=', JWT_SECRET_KEY: 'short' });
    expect(problems.map((p) => p.variable).sort()).toEqual(['ENCRYPTION_KEY_BASE64', 'JWT_SECRET_KEY']);
  });

  it('wants PLAID_CLIENT_ID and PLAID_SECRET together', () => {
    expect(problemsOf({ PLAID_CLIENT_ID: 'abc' }).map((p) => p.variable)).toEqual(['PLAID_SECRET']);
  });

  it('generates missing secrets once in embedded mode, mode 0600, and reuses them', async () => {
    const dataDir = path.join(await mkdtemp(path.join(tmpdir(), 'fa-config-')), 'nested', 'data');
    const first = await loadConfig({ DATA_DIR: dataDir }, { dotenvPath: false });
    expect(first.notices.join()).toMatch(/generated JWT_SECRET_KEY and ENCRYPTION_KEY_BASE64/);
    const file = path.join(dataDir, 'secrets.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(Buffer.from(first.config.encryptionKeyBase64, 'base64')).toHaveLength(32);

    const second = await loadConfig({ DATA_DIR: dataDir }, { dotenvPath: false });
    expect(second.config.jwtSecretKey).toBe(first.config.jwtSecretKey);
    expect(second.config.encryptionKeyBase64).toBe(first.config.encryptionKeyBase64);
    expect(second.notices.join()).toMatch(/using/);
    expect(await readFile(file, 'utf8')).toContain(first.config.jwtSecretKey);
  });

  it('reads .env, with the real environment winning', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'fa-dotenv-'));
    const { writeFile } = await import('node:fs/promises');
    await writeFile(path.join(dir, '.env'), 'PORT=9100\nHOST=0.0.0.0\n');
    const { config } = await loadConfig(
      { HOST: '127.0.0.2', DATA_DIR: dir },
      { dotenvPath: path.join(dir, '.env') },
    );
    expect(config.port).toBe(9100);
    expect(config.host).toBe('127.0.0.2');
    expect(config.publicUrl).toBe('http://127.0.0.2:9100');
  });
});
