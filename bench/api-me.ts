import {
  cliJson,
  createBenchDatabase,
  freshDataDir,
  load,
  startService,
  type LoadResult,
} from './harness.js';

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
    const database = await createBenchDatabase(options.postgresUrl, 'me');
    targets.push({ label: 'PostgreSQL', env: database.env, cleanup: database.drop });
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
          servicePid: service.child.pid,
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
