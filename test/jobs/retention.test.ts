/**
 * The retention job (#14 item 7) on both databases: rows backdated past their RETENTION_DAYS_* setting
 * are deleted, in batches no larger than asked, and everything else stays: recent rows, runs not
 * finished, an item's newest succeeded run of each product (freshness reads it), credentials still
 * valid, and every kind whose setting is 0.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, type RetentionConfig } from '../../src/config/schema.js';
import { selectRows, type Database } from '../../src/db/client.js';
import { createRepositories } from '../../src/db/repositories/index.js';
import type { RetentionTarget } from '../../src/db/repositories/retention.js';
import { createRetentionService } from '../../src/domain/retention/service.js';
import { JOBS, QUEUES } from '../../src/jobs/registry.js';
import { retentionJob } from '../../src/jobs/retention.js';
import type { WorkerContext } from '../../src/jobs/job.js';
import { createLogger } from '../../src/lib/logger.js';
import { testConfig } from '../helpers/config.js';
import { databaseKinds, openTestDatabase, type TestDatabase } from '../helpers/database.js';

const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();

describe('retention settings', () => {
  it('has documented defaults, 0 keeps forever, and a bad value names its variable', () => {
    expect(testConfig().jobs.retention).toEqual({
      cron: '30 4 * * *',
      plaidPayloadsDays: 90,
      webhookEventsDays: 90,
      syncRunsDays: 365,
      expiredCredentialsDays: 30,
    });
    expect(testConfig({ RETENTION_DAYS_SYNC_RUNS: '0' }).jobs.retention?.syncRunsDays).toBe(0);
    for (const [variable, value] of [
      ['RETENTION_DAYS_PLAID_PAYLOADS', '-1'],
      ['RETENTION_DAYS_WEBHOOK_EVENTS', 'ninety'],
      ['RETENTION_CRON', 'daily'],
    ]) {
      expect(() => testConfig({ [variable!]: value! })).toThrow(ConfigError);
      try {
        testConfig({ [variable!]: value! });
      } catch (error) {
        expect((error as ConfigError).problems.map((p) => p.variable)).toEqual([variable]);
      }
    }
  });

  it('is a scheduled job of the registry, on its cron', () => {
    expect(JOBS).toContain(retentionJob);
    expect(QUEUES.retention).toBe('retention');
    expect(retentionJob.worker?.schedule?.(testConfig({ RETENTION_CRON: '15 3 * * *' }).jobs)).toBe(
      '15 3 * * *',
    );
  });
});

describe.each(databaseKinds())('pruning backdated rows (%s)', (kind) => {
  let database: TestDatabase;
  let db: Database;
  let userId: string;
  let itemId: string;
  /** Ids by what should happen to them. */
  const doomed: Record<string, string[]> = {};
  const kept: Record<string, string[]> = {};
  const mark = (table: string, fate: 'doomed' | 'kept', id: string) =>
    ((fate === 'doomed' ? doomed : kept)[table] ??= []).push(id);

  beforeAll(async () => {
    database = await openTestDatabase(kind);
    db = database.handle.db;
    const [user] = await selectRows<{ id: string }>(
      db,
      sql`insert into users (email, password_hash) values (${`r-${randomUUID()}@example.com`}, 'x') returning id::text as id`,
    );
    userId = user!.id;
    const [item] = await selectRows<{ id: string }>(
      db,
      sql`insert into plaid_items (user_id, plaid_item_id, access_token_ciphertext, access_token_key_id)
          values (${userId}::uuid, ${randomUUID()}, 'c', 'k') returning id::text as id`,
    );
    itemId = item!.id;
    const insert = async (table: string, fate: 'doomed' | 'kept', statement: ReturnType<typeof sql>) => {
      const [row] = await selectRows<{ id: string }>(db, statement);
      mark(table, fate, row!.id);
    };

    // Raw pages: 10 past 90 days (several batches of 3), 2 recent.
    for (let i = 0; i < 12; i++) {
      await insert(
        'plaid_payloads',
        i < 10 ? 'doomed' : 'kept',
        sql`insert into plaid_payloads (user_id, item_id, endpoint, request_id, payload, created_at)
            values (${userId}::uuid, ${itemId}::uuid, '/transactions/sync', ${randomUUID()}, '{}'::jsonb,
                    ${ago(i < 10 ? 91 + i : 10)}::timestamptz) returning id::text as id`,
      );
    }
    for (const [days, fate] of [
      [120, 'doomed'],
      [95, 'doomed'],
      [30, 'kept'],
    ] as const) {
      await insert(
        'webhook_events',
        fate,
        sql`insert into webhook_events (plaid_item_id, item_id, body_sha256, verification, created_at)
            values ('p', ${itemId}::uuid, ${randomUUID()}, 'verified', ${ago(days)}::timestamptz)
            returning id::text as id`,
      );
    }
    const run = (product: string, status: string, finishedDaysAgo: number | null, queuedDaysAgo: number) =>
      sql`insert into sync_runs (user_id, item_id, product, trigger, status, queued_at, finished_at)
          values (${userId}::uuid, ${itemId}::uuid, ${product}, 'schedule', ${status},
                  ${ago(queuedDaysAgo)}::timestamptz,
                  ${finishedDaysAgo === null ? null : ago(finishedDaysAgo)}::timestamptz)
          returning id::text as id`;
    await insert('sync_runs', 'doomed', run('transactions', 'succeeded', 400, 400));
    await insert('sync_runs', 'doomed', run('transactions', 'failed', 390, 390));
    // The newest succeeded run of a product stays, however old.
    await insert('sync_runs', 'kept', run('transactions', 'succeeded', 380, 380));
    await insert('sync_runs', 'kept', run('accounts', 'succeeded', 500, 500));
    // Not finished: stays.
    await insert('sync_runs', 'kept', run('holdings', 'queued', null, 400));
    await insert('sync_runs', 'kept', run('transactions', 'failed', 5, 5));

    const token = (fate: 'doomed' | 'kept', revoked: string | null, expires: string | null) =>
      insert(
        'api_tokens',
        fate,
        sql`insert into api_tokens (user_id, name, prefix, token_hash, scope, revoked_at, expires_at)
            values (${userId}::uuid, 't', 'fapat_x', ${randomUUID()}, 'read', ${revoked}::timestamptz,
                    ${expires}::timestamptz) returning id::text as id`,
      );
    await token('doomed', ago(40), null);
    await token('doomed', null, ago(31));
    await token('kept', ago(10), null);
    await token('kept', null, null);

    for (const [expires, fate] of [
      [ago(40), 'doomed'],
      [ago(-1), 'kept'],
      [null, 'kept'],
    ] as const) {
      await insert(
        'oauth_records',
        fate,
        sql`insert into oauth_records (model, id, payload, user_id, expires_at)
            values ('AccessToken', ${randomUUID()}, '{}'::jsonb, ${userId}::uuid, ${expires}::timestamptz)
            returning id`,
      );
    }
    for (const [expires, fate] of [
      [ago(45), 'doomed'],
      [ago(-1), 'kept'],
    ] as const) {
      await insert(
        'web_sessions',
        fate,
        sql`insert into web_sessions (user_id, token_hash, csrf_hash, expires_at)
            values (${userId}::uuid, ${randomUUID()}, 'c', ${expires}::timestamptz) returning id::text as id`,
      );
    }
  }, 60_000);
  afterAll(async () => {
    await database?.drop();
  });

  async function idsIn(table: string): Promise<string[]> {
    const rows = await selectRows<{ id: string }>(
      db,
      sql`select id::text as id from ${sql.identifier(table)}`,
    );
    return rows.map((r) => r.id);
  }

  it('keeps every kind whose setting is 0', async () => {
    const forever: RetentionConfig = {
      cron: '30 4 * * *',
      plaidPayloadsDays: 0,
      webhookEventsDays: 0,
      syncRunsDays: 0,
      expiredCredentialsDays: 0,
    };
    const result = await createRetentionService({
      retention: createRepositories(db).retention,
      config: forever,
    }).prune();
    expect(result).toEqual({});
    for (const table of Object.keys(doomed)) {
      expect((await idsIn(table)).sort()).toEqual([...doomed[table]!, ...kept[table]!].sort());
    }
  });

  it('deletes what is older than its setting, in batches of at most the size asked, and nothing else', async () => {
    const repository = createRepositories(db).retention;
    const batches: { target: RetentionTarget; deleted: number }[] = [];
    const counting = {
      pruneBatch: async (target: RetentionTarget, before: Date, batch: number) => {
        const deleted = await repository.pruneBatch(target, before, batch);
        batches.push({ target, deleted });
        return deleted;
      },
    };
    const config = testConfig().jobs.retention!;
    const result = await createRetentionService({ retention: counting, config, batchRows: 3 }).prune();
    expect(result).toEqual({
      plaid_payloads: 10,
      webhook_events: 2,
      sync_runs: 2,
      api_tokens: 2,
      oauth_records: 1,
      web_sessions: 1,
    });
    expect(batches.every((b) => b.deleted <= 3)).toBe(true);
    expect(batches.filter((b) => b.target === 'plaid_payloads').map((b) => b.deleted)).toEqual([3, 3, 3, 1]);
    for (const table of Object.keys(doomed)) {
      expect((await idsIn(table)).sort(), table).toEqual([...kept[table]!].sort());
    }

    // Through the job module, as the worker runs it: nothing more is due.
    const handler = retentionJob.worker!.createHandler({
      repositories: createRepositories(db),
      jobs: testConfig().jobs,
      logger: createLogger('silent'),
    } as unknown as WorkerContext);
    expect(await handler.handle({ id: 'job', data: {}, retryCount: 0 })).toEqual({
      plaid_payloads: 0,
      webhook_events: 0,
      sync_runs: 0,
      api_tokens: 0,
      oauth_records: 0,
      web_sessions: 0,
    });
  });
});
