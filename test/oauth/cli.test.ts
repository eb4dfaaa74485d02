import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { bearer, newUser } from '../factories/users.js';
import { TEST_ENCRYPTION_KEY, TEST_JWT_SECRET } from '../helpers/config.js';
import { runCli } from '../helpers/processes.js';
import {
  authorize,
  freePort,
  listeningApp,
  pkce,
  REDIRECT_URI,
  tokenRequest,
  type ListeningApp,
} from './support.js';

describe('finance-api oauth clients create', () => {
  let root: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'fa-oauth-cli-'));
    env = {
      DATA_DIR: path.join(root, 'data'),
      JWT_SECRET_KEY: TEST_JWT_SECRET,
      ENCRYPTION_KEY_BASE64: TEST_ENCRYPTION_KEY,
      LOG_LEVEL: 'silent',
    };
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('refuses a redirect URI that is neither https nor loopback http, naming it', async () => {
    const run = await runCli(
      ['oauth', 'clients', 'create', '--name', 'Bad', '--redirect-uri', 'http://example.com/cb'],
      env,
    );
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('redirectUris.0');
  }, 120_000);

  it('creates a confidential client (secret printed once) that completes the code flow with client_secret_post', async () => {
    const run = await runCli(
      [
        '--json',
        'oauth',
        'clients',
        'create',
        '--name',
        'My GPT',
        '--redirect-uri',
        REDIRECT_URI,
        '--redirect-uri',
        'https://chat.openai.com/aip/g-123/oauth/callback',
        '--confidential',
      ],
      env,
    );
    expect(run.code, run.stderr).toBe(0);
    const client = JSON.parse(run.stdout) as {
      client_id: string;
      client_secret: string;
      token_endpoint_auth_method: string;
    };
    expect(client.client_secret.length).toBeGreaterThanOrEqual(43);
    expect(client.token_endpoint_auth_method).toBe('client_secret_post');

    const handle = await openDatabase({ kind: 'pglite', dataDir: env.DATA_DIR! });
    let t: ListeningApp | undefined;
    try {
      t = await listeningApp(
        'pglite',
        {},
        { database: { handle, drop: () => handle.close() }, port: await freePort() },
      );
      const { email } = await newUser(t.app);
      const { verifier, challenge } = pkce();
      // No `resource`: the client's default (the REST API).
      const result = await authorize(t.baseUrl, {
        clientId: client.client_id,
        scope: 'read',
        challenge,
        method: 'S256',
        email,
      });
      const exchange = {
        grant_type: 'authorization_code',
        code: result.get('code')!,
        code_verifier: verifier,
        client_id: client.client_id,
        redirect_uri: REDIRECT_URI,
      };
      const withoutSecret = await tokenRequest(t.baseUrl, exchange);
      expect(withoutSecret.body.error).toBe('invalid_client');
      const wrongSecret = await tokenRequest(t.baseUrl, { ...exchange, client_secret: 'x'.repeat(43) });
      expect(wrongSecret.body.error).toBe('invalid_client');
      const exchanged = await tokenRequest(t.baseUrl, { ...exchange, client_secret: client.client_secret });
      expect(exchanged.status, JSON.stringify(exchanged.body)).toBe(200);
      const me = await t.app.inject({ url: '/v1/me', headers: bearer(String(exchanged.body.access_token)) });
      expect(me.statusCode).toBe(200);
      expect(me.json()).toMatchObject({ auth: { kind: 'oauth', scopes: ['read'] } });
    } finally {
      if (t) await t.close();
      await handle.close();
    }
  }, 180_000);
});
