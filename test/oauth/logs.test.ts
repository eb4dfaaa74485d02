import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/lib/logger.js';
import { FACTORY_PASSWORD, newUser } from '../factories/users.js';
import {
  authorize,
  listeningApp,
  pkce,
  registerClient,
  REDIRECT_URI,
  tokenRequest,
  tokensFor,
  type ListeningApp,
} from './support.js';

describe('OAuth traffic in the logs', () => {
  const lines: string[] = [];
  let t: ListeningApp;
  beforeAll(async () => {
    t = await listeningApp(
      'pglite',
      {},
      { logger: createLogger('debug', { write: (line: string) => void lines.push(line) }) },
    );
  });
  afterAll(async () => {
    await t?.close();
  });

  it('carries no token, code, verifier, email or password', async () => {
    const secrets: string[] = [];
    const { tokens, clientId, email } = await tokensFor(t, { resource: `${t.baseUrl}/mcp` });
    secrets.push(tokens.access_token, tokens.refresh_token!, email, FACTORY_PASSWORD);
    const refreshed = await tokenRequest(t.baseUrl, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token!,
      client_id: clientId,
    });
    secrets.push(String(refreshed.body.access_token), String(refreshed.body.refresh_token));
    // A refused exchange and a failed sign-in are logged too, still without what they carried.
    const other = await newUser(t.app);
    const client = await registerClient(t.baseUrl);
    const { verifier, challenge } = pkce();
    const result = await authorize(t.baseUrl, {
      clientId: client.client_id,
      resource: `${t.baseUrl}/mcp`,
      scope: 'read',
      challenge,
      method: 'S256',
      email: other.email,
    });
    const code = result.get('code')!;
    secrets.push(code, verifier, other.email);
    await tokenRequest(t.baseUrl, {
      grant_type: 'authorization_code',
      code,
      code_verifier: pkce().verifier,
      client_id: client.client_id,
      redirect_uri: REDIRECT_URI,
    });
    expect(lines.length).toBeGreaterThan(10);
    const logs = lines.join('\n');
    for (const secret of secrets) expect(logs).not.toContain(secret);
  });
});
