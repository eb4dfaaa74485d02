import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { cliJson, freshDataDir, load, startService, type LoadResult } from './harness.js';

/** GET /v1/me with a personal access token, on the embedded database and (when it answers) PostgreSQL. */
export async function runApiMeBench(options: {
  durationSeconds: number;
  postgresUrl?: string;
}): Promise<void> {
  console.log('\nAPI: GET /v1/me with a personal access token (autocannon, 10 connections)');
  const targets: { label: string; env: Record<string, string>; cleanup?: () => Promise<void> }[] = [
    { label: 'embedded PGlite', env: { DATA_DIR: await freshDataDir('me') } },
  ];
  if (options.postgresUrl) {
    const name = `fa_bench_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: options.postgresUrl });
    await admin.connect();
    await admin.query(`create database "${name}"`);
    await admin.end();
    const url = new URL(options.postgresUrl);
    url.pathname = `/${name}`;
    targets.push({
      label: 'PostgreSQL',
      env: {
        DATABASE_URL: url.toString(),
        JWT_SECRET_KEY: randomBytes(32).toString('hex'),
        ENCRYPTION_KEY_BASE64: randomBytes(32).toString('base64'),
      },
      cleanup: async () => {
        const client = new pg.Client({ connectionString: options.postgresUrl });
        await client.connect();
        await client.query(`drop database if exists "${name}" with (force)`);
        await client.end();
      },
    });
  }

  const results: LoadResult[] = [];
  for (const target of targets) {
    const service = await startService(target.env);
    try {
      console.log(
        `  ${target.label}: cold start to /readyz ${Math.round(service.readyAfterMs)} ms (fresh database)`,
      );
      await cliJson(['users', 'create', '--email', 'bench@example.com'], target.env);
      const { token } = await cliJson<{ token: string }>(
        ['tokens', 'create', '--email', 'bench@example.com', '--name', 'bench'],
        target.env,
      );
      const headers = { authorization: `Bearer ${token}` };
      const check = await fetch(`${service.url}/v1/me`, { headers });
      if (check.status !== 200) throw new Error(`GET /v1/me answered ${check.status}`);
      results.push(
        await load(`GET /v1/me (${target.label})`, `${service.url}/v1/me`, headers, {
          durationSeconds: options.durationSeconds,
        }),
      );
    } finally {
      await service.stop();
      await target.cleanup?.();
    }
  }
  for (const result of results) {
    if (result.errors > 0 || result.non2xx > 0) throw new Error(`${result.name}: requests failed`);
  }
}
