import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseKinds } from '../helpers/database.js';
import { startMcpHarness, type McpHarness, type Person } from '../mcp/support.js';

interface Series {
  merchant: string;
  direction: 'in' | 'out';
  cadence: string;
  account_ids: string[];
}
interface Account {
  id: string;
  item_id: string;
}

/**
 * A person with accounts at two banks often has the same merchant at both (a salary split between two
 * accounts, the same subscription paid from each): the recurring series of each bank must still be found.
 */
describe.each(databaseKinds())('recurring series of a person with two banks (%s)', (kind) => {
  let h: McpHarness;
  let both: Person;
  let first: Person;
  let second: Person;

  beforeAll(async () => {
    h = await startMcpHarness(kind);
    both = await h.newPerson({ link: ['ins_109508', 'ins_43'] });
    first = await h.newPerson({ link: ['ins_109508'] });
    second = await h.newPerson({ link: ['ins_43'] });
  }, 240_000);
  afterAll(async () => {
    await h?.close();
  });

  const recurring = async (p: Person) => (await h.rest<{ data: Series[] }>(p.token, '/v1/recurring')).data;
  const key = (s: Series) => `${s.direction} ${s.merchant} ${s.cadence}`;

  it('finds at least the series each bank shows alone, each on that bank’s accounts', async () => {
    const alone = [...(await recurring(first)), ...(await recurring(second))];
    expect(alone.length).toBeGreaterThan(0);
    const found = await recurring(both);
    const accounts = (await h.rest<{ data: Account[] }>(both.token, '/v1/accounts')).data;
    const itemOf = new Map(accounts.map((a) => [a.id, a.item_id]));
    // Every series the two banks show alone is there (by merchant, direction and cadence) …
    for (const series of alone) expect(found.map(key), key(series)).toContain(key(series));
    // … and both banks' accounts carry some.
    const items = new Set(found.flatMap((s) => s.account_ids.map((id) => itemOf.get(id))));
    expect([...items].sort()).toEqual([...both.itemIds].sort());
  });
});
