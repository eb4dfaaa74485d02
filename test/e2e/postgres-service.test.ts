import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ENCRYPTION_KEY, TEST_JWT_SECRET } from '../helpers/config.js';
import { createPostgresDatabase, databaseKinds } from '../helpers/database.js';
import { runCli, startServerProcess, type ServerProcess } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

/** Scale-out: several API processes on one PostgreSQL server, the CLI writing to it directly. */
describe.runIf(databaseKinds().includes('postgres'))('service processes on PostgreSQL', () => {
  let env: Record<string, string>;
  let drop: () => Promise<void>;
  const servers: ServerProcess[] = [];

  beforeAll(async () => {
    const created = await createPostgresDatabase();
    drop = created.drop;
    env = {
      DATABASE_URL: created.url,
      JWT_SECRET_KEY: TEST_JWT_SECRET,
      ENCRYPTION_KEY_BASE64: TEST_ENCRYPTION_KEY,
      // Tokens stay cached for an hour: only the revocation notification can end them sooner.
      AUTH_TOKEN_CACHE_SECONDS: '3600',
    };
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop('SIGKILL')));
    await drop?.();
  });

  it('migrates with the CLI, runs two API processes at once, and both serve the same users', async () => {
    const migrate = await runCli(['migrate'], env);
    expect(migrate.code, migrate.stderr).toBe(0);
    expect(migrate.stdout).toMatch(/Migrations applied \(postgres\)/);

    servers.push(await startServerProcess(env), await startServerProcess(env));
    const user = await runCli(
      ['users', 'create', '--email', 'pg@example.com', '--password', 'a long passphrase'],
      env,
    );
    expect(user.code, user.stderr).toBe(0);
    const tok = await runCli(
      ['--json', 'tokens', 'create', '--email', 'pg@example.com', '--name', 'pg', '--scope', 'write'],
      env,
    );
    const { token, id } = JSON.parse(tok.stdout) as { token: string; id: string };

    for (const server of servers) {
      const res = await fetch(`${server.url}/v1/me`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({
        email: 'pg@example.com',
        auth: { scopes: ['read', 'write'] },
      });
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    }

    // The CLI revokes in the database directly; both processes, which cache the token, hear of it.
    const revoked = await runCli(['tokens', 'revoke', id], env);
    expect(revoked.code, revoked.stderr).toBe(0);
    for (const server of servers) {
      await until(
        `${server.url} to reject the revoked token`,
        async () =>
          (await fetch(`${server.url}/v1/me`, { headers: { authorization: `Bearer ${token}` } })).status ===
          401,
        5_000,
        50,
      );
    }
    for (const server of servers.splice(0)) expect(await server.stop('SIGTERM')).toBe(0);
  });

  it('refuses to start without secrets when DATABASE_URL is set', async () => {
    const { runProcess } = await import('../helpers/processes.js');
    const res = await runProcess(['src/server.ts'], { DATABASE_URL: env.DATABASE_URL! });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/JWT_SECRET_KEY: required when DATABASE_URL is set/);
  });
  it('runs API_PROCESSES=2 on one port: both processes serve, a killed one is replaced, SIGTERM stops all', async () => {
    const cluster = await startServerProcess({ ...env, API_PROCESSES: '2' });
    servers.push(cluster);
    expect(cluster.output()).toMatch(/2 API processes on this port/);
    const pids = new Set<number>();
    for (let i = 0; i < 20; i++) {
      // A new connection per request: the primary hands connections to the processes in turn.
      const res = await fetch(`${cluster.url}/healthz`, { headers: { connection: 'close' } });
      expect(res.status).toBe(200);
    }
    const children = () =>
      execFileSync('pgrep', ['-P', String(cluster.process.pid)], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean)
        .map(Number);
    for (const pid of children()) pids.add(pid);
    expect(pids.size).toBe(2);
    const [victim] = [...pids];
    process.kill(victim!, 'SIGKILL');
    await until('a replacement API process', async () => {
      const now = children();
      return now.length === 2 && !now.includes(victim!);
    });
    await until(
      'the replacement to serve',
      async () => (await fetch(`${cluster.url}/readyz`)).status === 200,
    );
    const last = children();
    expect(await cluster.stop('SIGTERM')).toBe(0);
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    expect(last.filter(alive)).toEqual([]);
  });
});
