/**
 * Several processes starting their job queues on one fresh PostgreSQL database at once (an API and its
 * workers under compose or `--scale worker=3`): every one starts, none dies of a deadlock (40P01) or a
 * duplicate (23505) while pg-boss creates its schema and our queues.
 */
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { runMigrations } from '../../src/db/migrate.js';
import { startJobQueue } from '../../src/jobs/queue.js';
import { createLogger } from '../../src/lib/logger.js';
import { createPostgresDatabase } from '../helpers/database.js';

const SETTINGS = {
  inProcess: true,
  concurrency: 1,
  pollIntervalSeconds: 2,
  refreshCron: '0 6 * * *',
  retryLimit: 3,
  retryDelaySeconds: 1,
  timeoutSeconds: 60,
  lockLeaseSeconds: 5,
};

describe('job queues starting at once on PostgreSQL', () => {
  it('starts four queues at the same moment on a fresh database, repeatedly', async () => {
    for (let round = 0; round < 3; round++) {
      const created = await createPostgresDatabase();
      const first = await openDatabase({ kind: 'postgres', url: created.url, poolSize: 3 });
      await runMigrations(first);
      const others = await Promise.all(
        [1, 2, 3].map(() => openDatabase({ kind: 'postgres', url: created.url, poolSize: 3 })),
      );
      const roundHandles = [first, ...others];
      const started = await Promise.allSettled(
        roundHandles.map((database, i) =>
          startJobQueue({ database, jobs: SETTINGS, logger: createLogger('silent'), supervise: i === 0 }),
        ),
      );
      const failures = started.flatMap((s) => (s.status === 'rejected' ? [String(s.reason)] : []));
      for (const s of started) if (s.status === 'fulfilled') await s.value.stop();
      await Promise.all(roundHandles.map((h) => h.close()));
      await created.drop();
      expect(failures, `round ${round}`).toEqual([]);
    }
  }, 120_000);
});
