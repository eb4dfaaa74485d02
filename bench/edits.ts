import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { buildConfig, parseEnv } from '../src/config/schema.js';
import { openDatabase } from '../src/db/client.js';
import { composeServices } from '../src/domain/services.js';
import { seed } from './api-read.js';
import { createBenchDatabase, startService } from './harness.js';

/**
 * Owner edits on PostgreSQL (`npm run bench -- --only edits`): the read bench's data (500 users × 1,000
 * transactions, a heavy user with 100,000 over five years, a typical person with about 1,000), then
 * `PATCH /v1/transactions/{id}` on one API process, one request at a time and 4 at once, each on another
 * transaction with If-Match: the latency of an edit of a note and tags, and of a category, which includes
 * the person's read-model refresh (the edit is in cash flow when the answer comes). Figures only.
 */
export async function runEditsBench(options: {
  durationSeconds: number;
  postgresUrl?: string;
}): Promise<void> {
  console.log('\nPATCH /v1/transactions/{id} on PostgreSQL (the read bench data)');
  if (!options.postgresUrl) {
    console.log('  skipped: no PostgreSQL server answers');
    return;
  }
  const database = await createBenchDatabase(options.postgresUrl, 'edits');
  try {
    const { heavyEmail, typicalEmail } = await seed(database.env.DATABASE_URL);
    const env = { ...database.env, API_PROCESSES: '1', JOBS_IN_PROCESS: 'false' };
    const service = await startService(env);
    try {
      for (const [label, email] of [
        ['heavy user (100,000 transactions)', heavyEmail],
        ['typical person (~1,000 transactions)', typicalEmail],
      ] as const) {
        const { token, ids } = await personOf(env, email);
        for (const [what, body] of EDITS) {
          for (const connections of [1, 4]) {
            await measure(`${label}, ${what}, ${connections} at once`, service.url, token, ids, body, {
              connections,
              durationSeconds: options.durationSeconds,
            });
          }
        }
      }
    } finally {
      await service.stop();
    }
  } finally {
    await database.drop();
  }
}

/**
 * A note and tags are in no figure (no refresh); a category moves cash flow (the edit refreshes the
 * person's read model before it answers).
 */
const EDITS: [string, () => Record<string, unknown>][] = [
  ['note + tags', () => ({ note: `bench ${randomBytes(4).toString('hex')}`, tags: ['bench'] })],
  ['category', () => ({ category: `BENCH_${randomBytes(2).toString('hex')}` })],
];

/** A write token of the person, through the service's own code, and 500 of their transaction ids. */
async function personOf(
  env: { DATABASE_URL: string; JWT_SECRET_KEY: string; ENCRYPTION_KEY_BASE64: string },
  email: string,
): Promise<{ token: string; ids: string[] }> {
  const handle = await openDatabase({ kind: 'postgres', url: env.DATABASE_URL });
  try {
    const { raw } = parseEnv(env);
    const services = composeServices(
      handle.db,
      buildConfig(raw, { jwtSecretKey: env.JWT_SECRET_KEY, encryptionKeyBase64: env.ENCRYPTION_KEY_BASE64 }),
    );
    const user = await services.users.getByEmail(email);
    const { token } = await services.auth.createToken(user.id, { name: 'bench edits', scope: 'write' });
    const client = new pg.Client({ connectionString: env.DATABASE_URL });
    await client.connect();
    try {
      const { rows } = await client.query<{ id: string }>(
        'select id from transactions where user_id = $1 order by random() limit 500',
        [user.id],
      );
      return { token, ids: rows.map((r) => r.id) };
    } finally {
      await client.end();
    }
  } finally {
    await handle.close();
  }
}

/** `connections` loops, each editing the next transaction (GET for its ETag, then PATCH with If-Match). */
async function measure(
  label: string,
  url: string,
  token: string,
  ids: readonly string[],
  body: () => Record<string, unknown>,
  options: { connections: number; durationSeconds: number },
): Promise<void> {
  const headers = { authorization: `Bearer ${token}` };
  const latencies: number[] = [];
  let failures = 0;
  let next = 0;
  const deadline = performance.now() + options.durationSeconds * 1000;
  const loop = async () => {
    while (performance.now() < deadline) {
      const id = ids[next++ % ids.length]!;
      const etag = (await fetch(`${url}/v1/transactions/${id}`, { headers })).headers.get('etag') ?? '*';
      const started = performance.now();
      const res = await fetch(`${url}/v1/transactions/${id}`, {
        method: 'PATCH',
        headers: { ...headers, 'content-type': 'application/json', 'if-match': etag },
        body: JSON.stringify(body()),
      });
      await res.arrayBuffer();
      if (res.status === 200) latencies.push(performance.now() - started);
      else failures++;
    }
  };
  await Promise.all(Array.from({ length: options.connections }, loop));
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  console.log(
    `  ${label.padEnd(60)} ${(latencies.length / options.durationSeconds).toFixed(1).padStart(6)} edits/s` +
      `   p50 ${at(0.5).toFixed(0)} ms   p99 ${at(0.99).toFixed(0)} ms` +
      (failures ? `   non-200 ${failures} (412 when two loops edit one row)` : ''),
  );
}
