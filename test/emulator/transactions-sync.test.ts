import type { AxiosError } from 'axios';
import { Products } from 'plaid';
import type { PlaidError, Transaction } from 'plaid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plaidFailure, startEmulator } from './support/harness.js';
import type { Harness } from './support/harness.js';
import { ReferenceSyncClient } from './support/reference-client.js';
import { expectPlaidShape } from './support/shape-matchers.js';

let h: Harness;

beforeAll(async () => {
  h = await startEmulator();
});
afterAll(async () => {
  await h.close();
});

describe('/transactions/sync', () => {
  it('pages the initial pull with an opaque cursor and reaches the ground truth', async () => {
    const { accessToken, itemId } = await h.link({ daysRequested: 180 });
    const first = await h.plaid.transactionsSync({ access_token: accessToken, count: 100 });
    expectPlaidShape(first.data, 'TransactionsSyncResponse');
    expect(first.data.added).toHaveLength(100);
    expect(first.data.has_more).toBe(true);
    expect(first.data.modified).toEqual([]);
    expect(first.data.removed).toEqual([]);
    expect(first.data.next_cursor).toMatch(/^[A-Za-z0-9_-]{1,256}$/);
    expect(first.data.transactions_update_status).toBe('HISTORICAL_UPDATE_COMPLETE');
    expect(first.data.accounts.map((a) => a.type).sort()).toEqual([
      'credit',
      'depository',
      'depository',
      'depository',
      'loan',
    ]);

    const client = new ReferenceSyncClient(h.plaid, accessToken);
    await client.sync(500);
    const truth = await h.groundTruth(itemId);
    expect(client.sorted()).toEqual(truth.transactions);
    const again = await h.plaid.transactionsSync({ access_token: accessToken, cursor: client.cursor });
    expect(again.data).toMatchObject({
      added: [],
      modified: [],
      removed: [],
      has_more: false,
      next_cursor: client.cursor,
    });
  });

  it('serves history as far back as days_requested, with pending rows and both legs of transfers', async () => {
    const { accessToken, itemId } = await h.link({ daysRequested: 730 });
    const truth = await h.groundTruth(itemId);
    const dates = truth.transactions.map((t) => t.date).sort();
    expect(dates[0]! <= '2023-03-20').toBe(true);
    expect(truth.transactions.some((t) => t.pending)).toBe(true);
    expect(truth.transactions.some((t) => t.pending_transaction_id !== null)).toBe(true);
    expect(truth.transactions.some((t) => t.iso_currency_code === 'CAD')).toBe(true);
    const out = truth.transactions.filter((t) => t.name.startsWith('ONLINE TRANSFER TO SAVINGS'));
    const into = truth.transactions.filter((t) => t.name.startsWith('ONLINE TRANSFER FROM CHECKING'));
    expect(out.length).toBeGreaterThan(20);
    for (const leg of out.filter((t) => t.date < '2025-03-01')) {
      const other = into.find(
        (t) =>
          t.amount === -leg.amount && Math.abs(Date.parse(t.date) - Date.parse(leg.date)) <= 3 * 86_400_000,
      );
      expect(other, `second leg of ${leg.transaction_id}`).toBeDefined();
      expect(other!.account_id).not.toBe(leg.account_id);
    }
    for (const t of truth.transactions) expect(t.personal_finance_category?.primary).toBeTruthy();
    const balances = await h.plaid.accountsGet({ access_token: accessToken });
    expect(balances.data.accounts).toEqual(truth.accounts);
  });

  it('reports pending → posted as a removal plus an addition with pending_transaction_id', async () => {
    const { accessToken } = await h.link({ daysRequested: 30 });
    const client = new ReferenceSyncClient(h.plaid, accessToken);
    await client.sync(500);
    const pendingBefore = [...client.transactions.values()].filter((t) => t.pending);
    expect(pendingBefore.length).toBeGreaterThan(0);
    await h.control('POST', '/__emulator/clock/advance', { days: 5 });
    const removed: string[] = [];
    const added: Transaction[] = [];
    let cursor = client.cursor;
    for (;;) {
      const page = await h.plaid.transactionsSync({ access_token: accessToken, cursor, count: 500 });
      removed.push(...page.data.removed.map((r) => r.transaction_id));
      added.push(...page.data.added);
      cursor = page.data.next_cursor;
      if (!page.data.has_more) break;
    }
    for (const p of pendingBefore) {
      expect(removed).toContain(p.transaction_id);
      const posted = added.find((t) => t.pending_transaction_id === p.transaction_id);
      if (posted) {
        expect(posted.transaction_id).not.toBe(p.transaction_id);
        expect(posted.pending).toBe(false);
      }
    }
    // Some pending rows post, some (holds) may vanish; at least one posted.
    expect(added.some((t) => t.pending_transaction_id !== null)).toBe(true);
  });

  it('fails the next page with TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION after a mutation, and restarting works', async () => {
    const { accessToken, itemId } = await h.link({ daysRequested: 60 });
    const first = await h.plaid.transactionsSync({ access_token: accessToken, count: 10 });
    expect(first.data.has_more).toBe(true);
    await h.control('POST', `/__emulator/items/${itemId}/mutate`, {});
    const { status, error } = await plaidFailure(
      h.plaid.transactionsSync({ access_token: accessToken, cursor: first.data.next_cursor, count: 10 }),
    );
    expect(status).toBe(400);
    expect(error).toMatchObject({
      error_type: 'TRANSACTIONS_ERROR',
      error_code: 'TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION',
    });
    const client = new ReferenceSyncClient(h.plaid, accessToken);
    await client.sync(500);
    expect(client.sorted()).toEqual((await h.groundTruth(itemId)).transactions);
  });

  it('mutates between pages when armed, and the documented restart recovers', async () => {
    const { accessToken, itemId } = await h.link({ daysRequested: 60 });
    await h.control('POST', `/__emulator/items/${itemId}/mutate-between-pages`, { after_pages: 2 });
    const client = new ReferenceSyncClient(h.plaid, accessToken);
    const outcome = await client.sync(20);
    expect(outcome.restarts).toBe(1);
    expect(client.sorted()).toEqual((await h.groundTruth(itemId)).transactions);
  });

  it('answers NOT_READY with an empty cursor until the initial pull is ready', async () => {
    // A minute to be ready on the emulator’s wall clock, which the test moves on instead of waiting.
    const wall = { offsetMs: 0 };
    const slow = await startEmulator({
      notReadyDelayMs: 60_000,
      wallClock: () => Date.now() + wall.offsetMs,
    });
    try {
      const { accessToken } = await slow.link({ daysRequested: 30 });
      const early = await slow.plaid.transactionsSync({ access_token: accessToken });
      expectPlaidShape(early.data, 'TransactionsSyncResponse');
      expect(early.data).toMatchObject({
        next_cursor: '',
        has_more: false,
        transactions_update_status: 'NOT_READY',
        added: [],
      });
      wall.offsetMs = 60_000;
      const ready = await slow.plaid.transactionsSync({ access_token: accessToken });
      expect(ready.data.added.length).toBeGreaterThan(0);
    } finally {
      await slow.close();
    }
  });

  it('validates count, cursor and account_id', async () => {
    const { accessToken } = await h.link({ daysRequested: 30 });
    for (const count of [0, 501, 1.5]) {
      const { error } = await plaidFailure(h.plaid.transactionsSync({ access_token: accessToken, count }));
      expect(error.error_code).toBe('INVALID_FIELD');
    }
    const badCursor = await plaidFailure(
      h.plaid.transactionsSync({ access_token: accessToken, cursor: 'bm90IGEgY3Vyc29y' }),
    );
    expect(badCursor.error.error_code).toBe('INVALID_FIELD');
    const other = await h.link({ daysRequested: 30 });
    const foreign = await h.plaid.transactionsSync({ access_token: other.accessToken, count: 1 });
    const mixed = await plaidFailure(
      h.plaid.transactionsSync({ access_token: accessToken, cursor: foreign.data.next_cursor }),
    );
    expect(mixed.error.error_code).toBe('INVALID_FIELD');
    const badAccount = await plaidFailure(
      h.plaid.transactionsSync({ access_token: accessToken, options: { account_id: 'nope' } }),
    );
    expect(badAccount.error.error_code).toBe('INVALID_ACCOUNT_ID');
  });

  it('keeps a separate stream per options.account_id and skips to the present with cursor "now"', async () => {
    const { accessToken, itemId } = await h.link({ daysRequested: 60 });
    const truth = await h.groundTruth(itemId);
    const card = truth.accounts.find((a) => a.subtype === 'credit card')!;
    const page = await h.plaid.transactionsSync({
      access_token: accessToken,
      count: 500,
      options: { account_id: card.account_id },
    });
    expect(page.data.added.every((t) => t.account_id === card.account_id)).toBe(true);
    expect(page.data.accounts.map((a) => a.account_id)).toEqual([card.account_id]);
    expect(page.data.added.length).toBe(
      truth.transactions.filter((t) => t.account_id === card.account_id).length,
    );
    const noStream = await plaidFailure(
      h.plaid.transactionsSync({ access_token: accessToken, cursor: page.data.next_cursor }),
    );
    expect(noStream.error.error_code).toBe('INVALID_FIELD');
    const now = await h.plaid.transactionsSync({ access_token: accessToken, cursor: 'now' });
    expect(now.data.added).toEqual([]);
    await h.control('POST', `/__emulator/items/${itemId}/transactions`, {
      transactions: [{ amount: 12.34, name: 'AFTER NOW' }],
    });
    const after = await h.plaid.transactionsSync({ access_token: accessToken, cursor: now.data.next_cursor });
    expect(after.data.added.map((t) => t.name)).toEqual(['AFTER NOW']);
    expect(after.data.added[0]!.amount).toBe(12.34);
  });

  it('refreshes user_transactions_dynamic (posts pending, adds rows, adds $1.00) but not user_good', async () => {
    const dynamic = await h.link({ username: 'user_transactions_dynamic', password: 'x', daysRequested: 30 });
    const client = new ReferenceSyncClient(h.plaid, dynamic.accessToken);
    await client.sync(500);
    const before = new Map(client.transactions);
    const refresh = await h.plaid.transactionsRefresh({ access_token: dynamic.accessToken });
    expectPlaidShape(refresh.data, 'TransactionsRefreshResponse');
    const cursor = client.cursor;
    const delta = await h.plaid.transactionsSync({ access_token: dynamic.accessToken, cursor, count: 500 });
    expect(delta.data.added.filter((t) => t.pending)).toHaveLength(3);
    expect(delta.data.modified).toHaveLength(1);
    const changed = delta.data.modified[0]!;
    expect(Math.round((changed.amount - before.get(changed.transaction_id)!.amount) * 100)).toBe(100);
    expect(delta.data.added.filter((t) => t.pending_transaction_id !== null).length).toBeGreaterThan(0);

    const good = await h.link({ daysRequested: 30 });
    const goodSync = await h.plaid.transactionsSync({ access_token: good.accessToken, count: 500 });
    await h.plaid.transactionsRefresh({ access_token: good.accessToken });
    const goodAfter = await h.plaid.transactionsSync({
      access_token: good.accessToken,
      cursor: goodSync.data.next_cursor,
    });
    expect(goodAfter.data.added).toEqual([]);
  });

  it('adds custom rows with /sandbox/transactions/create for user_transactions_dynamic only', async () => {
    const dynamic = await h.link({ username: 'user_transactions_dynamic', password: 'x', daysRequested: 30 });
    const res = await h.plaid.sandboxTransactionsCreate({
      access_token: dynamic.accessToken,
      transactions: [
        {
          date_transacted: '2025-03-10',
          date_posted: '2025-03-11',
          amount: 42.5,
          description: 'Custom coffee',
          iso_currency_code: 'USD',
        },
      ],
    });
    expectPlaidShape(res.data, 'SandboxTransactionsCreateResponse');
    const truth = await h.groundTruth(dynamic.itemId);
    expect(truth.transactions.find((t) => t.name === 'Custom coffee')).toMatchObject({
      amount: 42.5,
      date: '2025-03-11',
      authorized_date: '2025-03-10',
    });
    const good = await h.link({ daysRequested: 30 });
    const refused = await plaidFailure(
      h.plaid.sandboxTransactionsCreate({
        access_token: good.accessToken,
        transactions: [
          { date_transacted: '2025-03-10', date_posted: '2025-03-11', amount: 1, description: 'x' },
        ],
      }),
    );
    expect(refused.status).toBe(400);
  });

  it('adds the transactions product on first use when the institution supports it', async () => {
    const { accessToken } = await h.link({ products: [Products.Investments] });
    const page = await h.plaid.transactionsSync({ access_token: accessToken, count: 1 });
    expect(page.data.added).toHaveLength(1);
    const item = await h.plaid.itemGet({ access_token: accessToken });
    expect(item.data.item.products).toContain('transactions');
  });
});

export function isPlaidError(e: unknown): e is AxiosError<PlaidError> {
  return typeof e === 'object' && e !== null && 'response' in e;
}
