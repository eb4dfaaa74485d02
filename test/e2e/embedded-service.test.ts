import { access, mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  runCli,
  runPackageCommand,
  runProcess,
  startServerProcess,
  type ServerProcess,
} from '../helpers/processes.js';

/**
 * The service as a newcomer runs it: `npm start`'s own command (bin/start.js, the sources transpiled at
 * start), its own process, embedded PGlite, a real socket, the CLI beside it.
 */
describe('embedded service over a real socket', () => {
  let dataDir: string;
  let env: Record<string, string>;
  let server: ServerProcess;
  let token: string;
  const email = 'newcomer@example.com';

  beforeAll(async () => {
    dataDir = path.join(await mkdtemp(path.join(tmpdir(), 'fa-e2e-')), 'data');
    env = { DATA_DIR: dataDir };
    server = await startServerProcess(env, 60_000, 'start-command');
  });
  afterAll(async () => {
    await server?.stop('SIGKILL');
  });

  it('starts on an empty data dir, answers /readyz and prints where its docs are', async () => {
    const res = await fetch(`${server.url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready', database: 'pglite' });
    expect(server.output()).toContain(`${server.url}/docs`);
    expect(server.output()).toContain('users create --email');
    expect(server.output()).toMatch(/generated JWT_SECRET_KEY/);
  });

  it('runs the offline Plaid emulator in process when no Plaid keys are set, and says so', async () => {
    const match = /offline emulator at (http:\/\/127\.0\.0\.1:\d+)/.exec(server.output());
    expect(match, server.output()).not.toBeNull();
    const { Configuration, PlaidApi, CountryCode } = await import('plaid');
    const plaid = new PlaidApi(
      new Configuration({
        basePath: match![1],
        baseOptions: {
          headers: { 'PLAID-CLIENT-ID': 'emulator-client-id', 'PLAID-SECRET': 'emulator-secret' },
          timeout: 5000,
        },
      }),
    );
    const res = await plaid.institutionsGetById({
      institution_id: 'ins_109508',
      country_codes: [CountryCode.Us],
    });
    expect(res.data.institution.name).toBe('First Platypus Bank');
  });

  it('creates a user and a token with the CLI while the service runs, and the token works', async () => {
    const user = await runCli(['--json', 'users', 'create', '--email', email], env);
    expect(user.code, user.stderr).toBe(0);
    const created = JSON.parse(user.stdout) as { user: { email: string }; generated_password: string };
    expect(created.user.email).toBe(email);
    expect(created.generated_password.length).toBeGreaterThanOrEqual(20);

    const tok = await runCli(['--json', 'tokens', 'create', '--email', email, '--name', 'e2e'], env);
    expect(tok.code, tok.stderr).toBe(0);
    token = (JSON.parse(tok.stdout) as { token: string }).token;

    const me = await fetch(`${server.url}/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ email, auth: { kind: 'access_token', scopes: ['read'] } });

    const login = await fetch(`${server.url}/v1/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: created.generated_password }),
    });
    expect(login.status).toBe(200);

    // The installed command (bin/finance-api.js) reaches the same running service.
    const list = await runPackageCommand(['tokens', 'list', '--email', email], env);
    expect(list.stdout).toMatch(/active\s+e2e/);
    expect(list.stdout).not.toContain(token);
  });

  it('gives CLI mistakes a clear message and a non-zero exit', async () => {
    const dup = await runCli(['users', 'create', '--email', email], env);
    expect(dup.code).toBe(2);
    expect(dup.stderr).toMatch(/already exists/);
    const weak = await runCli(
      ['users', 'create', '--email', 'other@example.com', '--password', 'short'],
      env,
    );
    expect(weak.code).toBe(2);
    expect(weak.stderr).toMatch(/password: expected at least 12 characters/);
    const badScope = await runCli(
      ['tokens', 'create', '--email', email, '--name', 'x', '--scope', 'root'],
      env,
    );
    expect(badScope.code).not.toBe(0);
    expect(badScope.stderr).toMatch(/Allowed choices are read, write/);
    const help = await runCli(['tokens', 'create', '--help'], env);
    expect(help.stdout).toMatch(/--expires-days <days>/);
  });

  it('refuses a second process on the same data dir with a clear message, leaving the data intact', async () => {
    const second = await runProcess(['src/server.ts'], { ...env, PORT: '0' });
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/is in use by another process \(pid \d+/);
    const me = await fetch(`${server.url}/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
  });

  it('stops cleanly on SIGTERM (exit 0, lock released) and keeps the data across a restart', async () => {
    expect(await server.stop('SIGTERM')).toBe(0);
    expect(await readdir(dataDir)).not.toContain('finance-api.lock');
    await expect(access(path.join(dataDir, 'control.sock'))).rejects.toThrow();

    server = await startServerProcess(env);
    const me = await fetch(`${server.url}/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ email });

    const revoke = await runCli(['tokens', 'list', '--email', email, '--json'], env);
    const [row] = JSON.parse(revoke.stdout) as { id: string }[];
    const revoked = await runCli(['tokens', 'revoke', row!.id], env);
    expect(revoked.code, revoked.stderr).toBe(0);
    const after = await fetch(`${server.url}/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(after.status).toBe(401);
    expect(await server.stop('SIGINT')).toBe(0);
  });

  it('refuses to start with a bad variable, naming it', async () => {
    const bad = await runProcess(['src/server.ts'], { ...env, PORT: 'eighty' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/PORT: expected a port number/);
  });
});
