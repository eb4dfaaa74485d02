import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Products } from 'plaid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FixtureError, loadFixture } from '../../src/emulator/index.js';
import { plaidFailure, startEmulator } from './support/harness.js';
import type { Harness } from './support/harness.js';
import { ReferenceSyncClient } from './support/reference-client.js';
import { expectPlaidShape } from './support/shape-matchers.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/household.json', import.meta.url));
let h: Harness;

beforeAll(async () => {
  h = await startEmulator({ fixture: await loadFixture(FIXTURE) });
});
afterAll(async () => {
  await h.close();
});

async function linkAda(password = 'correct horse') {
  return h.link({
    institutionId: 'ins_fixture_1',
    username: 'ada@example.com',
    password,
    products: [Products.Transactions],
  });
}

describe('fixtures', () => {
  it('links a fixture user by override_username and serves its data verbatim', async () => {
    const { accessToken, itemId } = await linkAda();
    expect(itemId).toBe('item_fixture_ada');
    const accounts = await h.plaid.accountsGet({ access_token: accessToken });
    expectPlaidShape(accounts.data, 'AccountsGetResponse');
    const checking = accounts.data.accounts.find((a) => a.account_id === 'acc_checking')!;
    expect(checking.balances).toMatchObject({
      current: 1500.25,
      available: 1480.25,
      iso_currency_code: 'USD',
    });
    expect(accounts.data.accounts.find((a) => a.account_id === 'acc_card')!.balances).toMatchObject({
      current: 320.1,
      available: 4679.9,
      limit: 5000,
    });

    const client = new ReferenceSyncClient(h.plaid, accessToken);
    await client.sync(2);
    const coffee = client.transactions.get('tx_coffee')!;
    expect(coffee).toMatchObject({
      amount: 4.5,
      merchant_name: 'Blue Bottle Coffee',
      category: ['Food and Drink', 'Coffee Shop'],
    });
    expect(client.transactions.get('tx_pending')?.pending).toBe(true);

    const holdings = await h.plaid.investmentsHoldingsGet({ access_token: accessToken });
    expectPlaidShape(holdings.data, 'InvestmentsHoldingsGetResponse');
    expect(holdings.data.holdings).toHaveLength(2);
    const liabilities = await h.plaid.liabilitiesGet({ access_token: accessToken });
    expect(liabilities.data.liabilities.credit?.[0]?.last_statement_balance).toBe(300);
    const inv = await h.plaid.investmentsTransactionsGet({
      access_token: accessToken,
      start_date: '2025-01-01',
      end_date: '2025-03-14',
    });
    expect(inv.data.investment_transactions.map((t) => t.investment_transaction_id)).toEqual(['inv_buy']);

    await h.control('POST', '/__emulator/clock/advance', { days: 3 });
    await client.sync(500);
    expect(client.transactions.has('tx_pending')).toBe(false);
    expect(
      [...client.transactions.values()].find((t) => t.pending_transaction_id === 'tx_pending')?.amount,
    ).toBe(20);
  });

  it('refuses a wrong fixture password', async () => {
    const { error } = await plaidFailure(linkAda('wrong'));
    expect(error.error_code).toBe('INVALID_CREDENTIALS');
  });

  it('explains what is wrong with a bad fixture file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'emulator-fixture-'));
    await expect(loadFixture(join(dir, 'missing.json'))).rejects.toThrow(/cannot read fixture file/);
    const notJson = join(dir, 'bad.json');
    await writeFile(notJson, '{ nope');
    await expect(loadFixture(notJson)).rejects.toThrow(/not valid JSON/);
    const invalid = join(dir, 'invalid.json');
    await writeFile(
      invalid,
      JSON.stringify({
        users: [{ email: 'a', password: 'b', item_ids: ['i1', 'ghost'] }],
        items: [
          {
            item_id: 'i1',
            institution_id: 'ins_109508',
            accounts: [{ account_id: 'a1', name: 'A', type: 'depository', balances: { current: 1 } }],
            transactions: [
              { transaction_id: 't1', account_id: 'a2', amount: '1', date: '2025-01-01', name: 'x' },
            ],
          },
        ],
      }),
    );
    const error = await loadFixture(invalid).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FixtureError);
    const message = (error as Error).message;
    expect(message).toContain('items[0].transactions[0].amount');
    const crossRefs = join(dir, 'refs.json');
    await writeFile(
      crossRefs,
      JSON.stringify({
        users: [{ email: 'a', password: 'b', item_ids: ['ghost'] }],
        items: [
          {
            item_id: 'i1',
            institution_id: 'ins_109508',
            accounts: [{ account_id: 'a1', name: 'A', type: 'depository', balances: { current: 1 } }],
            transactions: [
              { transaction_id: 't1', account_id: 'a2', amount: 1, date: '2025-01-01', name: 'x' },
            ],
          },
        ],
      }),
    );
    const refs = ((await loadFixture(crossRefs).catch((e: unknown) => e)) as Error).message;
    expect(refs).toContain('items[0].transactions[0].account_id: unknown account_id a2');
    expect(refs).toContain('users[0].item_ids[0]: unknown item_id ghost');
  });
});
