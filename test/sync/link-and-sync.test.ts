/**
 * Link an item and sync it against the emulator over HTTP, then hold our tables against the emulator's
 * ground truth, to the cent and with our sign convention.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectRows } from '../../src/db/client.js';
import { AppError } from '../../src/errors/app-error.js';
import { databaseKinds } from '../helpers/database.js';
import {
  expectedAccounts,
  expectedHoldings,
  expectedInvestmentTransactions,
  expectedTransactions,
  itemRow,
  ourAccounts,
  ourHoldings,
  ourInvestmentTransactions,
  ourTransactions,
  startSyncHarness,
  type SyncHarness,
} from './support.js';

describe.each(databaseKinds())('link and first sync (%s)', (kind) => {
  let h: SyncHarness;
  let userId: string;
  let itemId: string;
  let plaidItemId: string;

  beforeAll(async () => {
    h = await startSyncHarness(kind);
    userId = await h.newUser();
    const linked = await h.linking.linkItem({ userId, publicToken: await h.publicToken() });
    itemId = linked.id;
    plaidItemId = linked.plaidItemId;
  });
  afterAll(() => h.close());

  it('should store the item and its accounts without returning any token', async () => {
    const linked = await itemRow(h.db, userId, itemId);
    expect(linked.status).toBe('good');
    expect(linked.institutionId).toBe('ins_109508');
    expect(linked.transactionsCursor).toBeNull();
    const truth = await h.groundTruth(plaidItemId);
    expect(await ourAccounts(h.db, userId, itemId)).toEqual(expectedAccounts(truth));
  });

  it('should refuse the same login linked twice by the same user', async () => {
    const second = h.linking.linkItem({ userId, publicToken: await h.publicToken() });
    await expect(second).rejects.toBeInstanceOf(AppError);
    await expect(second).rejects.toMatchObject({ code: 'ITEM_ALREADY_LINKED', status: 409 });
    // The second Plaid item is removed at Plaid rather than left alive (and billed).
    const state = await h.control<{ items: { item_id: string; removed: boolean }[] }>(
      'GET',
      '/__emulator/state',
    );
    expect(state.items.filter((i) => !i.removed).map((i) => i.item_id)).toEqual([plaidItemId]);
  });

  it('should sync every product and hold exactly what the emulator holds', async () => {
    const result = await h.sync.syncItem(userId, itemId, { trigger: 'link' });
    expect(result.products.map((p) => [p.product, p.status])).toEqual([
      ['accounts', 'succeeded'],
      ['transactions', 'succeeded'],
      ['holdings', 'succeeded'],
      ['investment_transactions', 'succeeded'],
      ['liabilities', 'succeeded'],
    ]);
    expect(result.status).toBe('succeeded');
    expect(result.analyticsRefreshed).toBe(true);

    const truth = await h.groundTruth(plaidItemId);
    expect(truth.transactions.length).toBeGreaterThan(20);
    expect(await ourTransactions(h.db, userId, itemId)).toEqual(expectedTransactions(truth));
    expect(await ourAccounts(h.db, userId, itemId)).toEqual(expectedAccounts(truth));
    expect(truth.holdings.length).toBeGreaterThan(0);
    expect(await ourHoldings(h.db, userId)).toEqual(expectedHoldings(truth));
    expect(await ourInvestmentTransactions(h.db, userId, itemId)).toEqual(
      expectedInvestmentTransactions(truth),
    );

    const item = await itemRow(h.db, userId, itemId);
    expect(item.lastSyncedAt).not.toBeNull();
    expect(item.transactionsCursor).toBeTruthy();
    const runs = await selectRows<{ product: string; status: string; plaid_request_ids: string[] }>(
      h.db,
      sql`select product, status, plaid_request_ids from sync_runs where item_id = ${itemId}`,
    );
    expect(runs).toHaveLength(5);
    for (const run of runs) {
      expect(run.status).toBe('succeeded');
      expect(run.plaid_request_ids.length).toBeGreaterThan(0);
    }
    const [liabilities] = await selectRows<{ n: number }>(
      h.db,
      sql`select count(*)::int as n from liabilities where user_id = ${userId}`,
    );
    expect(liabilities?.n).toBe(3);
    const [snapshots] = await selectRows<{ n: number }>(
      h.db,
      sql`select count(*)::int as n from balance_snapshots where user_id = ${userId}`,
    );
    expect(snapshots?.n).toBe(truth.accounts.length);
  });

  it('should be idempotent: a second sync the same day changes nothing', async () => {
    const result = await h.sync.syncItem(userId, itemId, { trigger: 'manual' });
    expect(result.status).toBe('succeeded');
    const transactions = result.products.find((p) => p.product === 'transactions');
    expect(transactions).toMatchObject({ added: 0, modified: 0, removed: 0 });
    const truth = await h.groundTruth(plaidItemId);
    expect(await ourTransactions(h.db, userId, itemId)).toEqual(expectedTransactions(truth));
    expect(await ourHoldings(h.db, userId)).toEqual(expectedHoldings(truth));
  });

  it('should keep no access token in clear text in any table', async () => {
    const state = await h.control<{ items: { item_id: string; access_tokens: string[] }[] }>(
      'GET',
      '/__emulator/state',
    );
    const tokens = state.items.flatMap((i) => i.access_tokens);
    expect(tokens.length).toBeGreaterThan(0);
    const tables = await selectRows<{ table_name: string }>(
      h.db,
      sql`select table_name from information_schema.tables
           where table_schema = 'public' and table_type = 'BASE TABLE'`,
    );
    expect(tables.map((t) => t.table_name)).toContain('plaid_payloads');
    for (const { table_name } of tables) {
      const rows = await selectRows<unknown>(h.db, sql`select * from ${sql.identifier(table_name)}`);
      const dump = JSON.stringify(rows);
      for (const token of tokens) expect(dump.includes(token), `${table_name} holds a token`).toBe(false);
    }
  });
});
