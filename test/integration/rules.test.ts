/**
 * Transaction rules (issue 13), on both databases, against an item linked through the emulator: the
 * dry-run count equals the count computed here from the emulator's transactions and the owner's hand
 * edits, applying changes exactly those and never a field set by hand, the sync applies rules to the
 * rows it adds (in its own transaction), and validation, scope and ownership.
 */
import { sql } from 'drizzle-orm';
import type { Transaction } from 'plaid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectRows } from '../../src/db/client.js';
import { databaseKinds } from '../helpers/database.js';
import { units } from '../helpers/ground-truth-figures.js';
import { until } from '../helpers/wait.js';
import { startEditsHarness, type EditsHarness, type Problem } from './edits-harness.js';

type Rule = { id: string; match: { field: string; kind: string; text: string }; add_tags: string[] };
type Application = { rule_id: string; dry_run: boolean; changed: number; sample_ids: string[] };

describe.each(databaseKinds())('transaction rules (%s)', (kind) => {
  let h: EditsHarness;
  /** Our account ids by Plaid's. */
  let accountIds: Map<string, string>;
  beforeAll(async () => {
    h = await startEditsHarness(kind);
    const rows = await selectRows<{ plaid: string; id: string }>(
      h.t.database.handle.db,
      sql`select plaid_account_id as plaid, id from accounts where user_id = ${h.owner.userId}`,
    );
    accountIds = new Map(rows.map((r) => [r.plaid, r.id]));
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  const createRule = async (body: unknown, status = 201) =>
    (await h.request<{ data: Rule } & Problem>('POST', '/v1/rules', { body, status })).body;

  it('refuses bad rules with a 400 naming the field, and checks ownership and scope', async () => {
    const cases: [unknown, string][] = [
      [{ match: { text: '' }, set_category: 'X' }, 'body.match.text'],
      [{ match: { text: 'uber', kind: 'regex' }, set_category: 'X' }, 'body.match.kind'],
      [{ match: { text: 'uber', field: 'memo' }, set_category: 'X' }, 'body.match.field'],
      [{ match: { text: '.*(a+)+$', pattern: true }, set_category: 'X' }, 'body.match.pattern'],
      [{ match: { text: 'uber' } }, 'body'],
      [{ match: { text: 'uber' }, set_category: 'X', min_amount: '1e3' }, 'body.min_amount'],
      [
        { match: { text: 'uber' }, set_category: 'X', min_amount: '-5', max_amount: '-10' },
        'body.max_amount',
      ],
      [{ match: { text: 'uber' }, set_category: 'X', excluded_reason: 'why' }, 'body.excluded_reason'],
      [{ match: { text: 'uber' }, add_tags: ['x'.repeat(33)] }, 'body.add_tags.0'],
      [{ match: { text: 'uber' }, set_category: 'X', account_id: 'nope' }, 'body.account_id'],
      [{ match: { text: 'uber' }, set_category: 'X', extra: 1 }, 'body.extra'],
    ];
    for (const [body, field] of cases) {
      const problem = await createRule(body, 400);
      expect(problem.code, JSON.stringify(body)).toBe('VALIDATION_FAILED');
      expect(
        problem.errors?.map((e) => e.field),
        JSON.stringify(body),
      ).toContain(field);
    }
    // An account of someone else (or unknown) is 404; a read token cannot create.
    const unknown = await createRule(
      { match: { text: 'uber' }, set_category: 'X', account_id: '00000000-0000-4000-8000-000000000000' },
      404,
    );
    expect(unknown.code).toBe('NOT_FOUND');
    await h.request('POST', '/v1/rules', {
      token: h.owner.readToken,
      body: { match: { text: 'uber' }, set_category: 'X' },
      status: 403,
    });

    const rule = (await createRule({ match: { text: 'Zzz Unmatched' }, add_tags: ['a', 'A', 'b'] })).data;
    expect(rule).toMatchObject({
      match: { field: 'merchant_or_name', kind: 'contains', text: 'Zzz Unmatched' },
      add_tags: ['a', 'b'],
    });
    const listed = await h.request<{ data: Rule[] }>('GET', '/v1/rules', { token: h.owner.readToken });
    expect(listed.body.data.map((r) => r.id)).toEqual([rule.id]);
    // Another person sees none of them and cannot apply or delete them.
    expect(
      (await h.request<{ data: Rule[] }>('GET', '/v1/rules', { token: h.other.token })).body.data,
    ).toEqual([]);
    await h.request('POST', `/v1/rules/${rule.id}/apply?dry_run=true`, { token: h.other.token, status: 404 });
    await h.request('DELETE', `/v1/rules/${rule.id}`, { token: h.other.token, status: 404 });
    await h.request('POST', `/v1/rules/${rule.id}/apply?dry_run=maybe`, { status: 400 });
    await h.request('DELETE', `/v1/rules/${rule.id}`, { status: 204 });
    await h.request('DELETE', `/v1/rules/${rule.id}`, { status: 404 });
    expect((await h.request<{ data: Rule[] }>('GET', '/v1/rules')).body.data).toEqual([]);
  });

  it('counts exactly what applying would change, then changes exactly that, never a hand-set field', async () => {
    const truth = await h.truth();
    const merchants = new Map<string, number>();
    for (const t of truth.transactions) {
      if (t.merchant_name && t.amount > 0)
        merchants.set(t.merchant_name, (merchants.get(t.merchant_name) ?? 0) + 1);
    }
    // The most frequent merchant of spending, matched by a part of its name in other letter case.
    const [merchant] = [...merchants].sort((a, b) => b[1] - a[1])[0]!;
    const text = merchant.slice(1, -1).toUpperCase();
    const min = '-500.00';
    const max = '-1.00';
    const matches = (t: Transaction) =>
      [t.merchant_name, t.name].some(
        (v) => v !== null && v !== undefined && v.toLowerCase().includes(text.toLowerCase()),
      ) &&
      -units(t.amount) >= units(min) &&
      -units(t.amount) <= units(max);
    const matching = truth.transactions.filter(matches);
    expect(matching.length).toBeGreaterThan(2);

    // The owner set the category and tags of one of them by hand: the rule has nothing to change there.
    const handSetPlaidId = matching[0]!.transaction_id;
    const handSet = (await h.ourId(handSetPlaidId))!;
    await h.request('PATCH', `/v1/transactions/${handSet}`, { body: { category: 'MINE', tags: ['mine'] } });

    const rule = (
      await createRule({
        match: { field: 'merchant_or_name', kind: 'contains', text },
        min_amount: min,
        max_amount: max,
        set_category: 'RULE_CATEGORY',
        add_tags: ['auto'],
      })
    ).data;
    const dry = (await h.request<{ data: Application }>('POST', `/v1/rules/${rule.id}/apply?dry_run=true`))
      .body.data;
    expect(dry.dry_run).toBe(true);
    expect(dry.changed).toBe(matching.length - 1);
    expect(dry.sample_ids).toHaveLength(Math.min(20, matching.length - 1));
    // A dry run changes nothing.
    expect((await h.transaction(dry.sample_ids[0]!)).data.category.user_override).toBeNull();

    const applied = (await h.request<{ data: Application }>('POST', `/v1/rules/${rule.id}/apply`)).body.data;
    expect(applied).toMatchObject({ dry_run: false, changed: dry.changed });
    const expectedIds = new Set(
      await Promise.all(
        matching
          .filter((t) => t.transaction_id !== handSetPlaidId)
          .map(async (t) => (await h.ourId(t.transaction_id))!),
      ),
    );
    const all = await h.allTransactions();
    const ruled = all.filter((t) => t.category.user_override === 'RULE_CATEGORY');
    expect(new Set(ruled.map((t) => t.id))).toEqual(expectedIds);
    for (const t of ruled) expect(t.tags).toEqual(['auto']);
    expect(applied.sample_ids.every((id) => expectedIds.has(id))).toBe(true);
    const mine = all.find((t) => t.id === handSet)!;
    expect({ category: mine.category.user_override, tags: mine.tags }).toEqual({
      category: 'MINE',
      tags: ['mine'],
    });
    // Nothing left to change.
    const again = (await h.request<{ data: Application }>('POST', `/v1/rules/${rule.id}/apply?dry_run=true`))
      .body.data;
    expect(again).toMatchObject({ changed: 0, sample_ids: [] });

    // Cash flow follows at once: the rule's category holds the posted, non-transfer matches (per currency).
    const dates = truth.transactions.map((t) => t.date).sort();
    const byId = new Map(all.map((t) => [t.id, t]));
    const expected = new Map<string, bigint>();
    for (const t of matching) {
      const ours = byId.get((await h.ourId(t.transaction_id))!)!;
      if (t.transaction_id === handSetPlaidId || t.pending || ours.transfer_kind !== null) continue;
      expected.set(ours.currency, (expected.get(ours.currency) ?? 0n) + units(t.amount));
    }
    expect(expected.size).toBeGreaterThan(0);
    const cashflow = await until(
      'the rule in cash flow',
      async () => {
        const body = (
          await h.request<{
            currencies: { currency: string; spending_by_category: { category: string; total: string }[] }[];
          }>('GET', `/v1/cashflow/summary?start_date=${dates[0]}&end_date=${dates.at(-1)}`)
        ).body;
        return body.currencies.some((c) => c.spending_by_category.some((s) => s.category === 'RULE_CATEGORY'))
          ? body
          : undefined;
      },
      10_000,
      50,
    );
    for (const [currency, total] of expected) {
      const row = cashflow.currencies
        .find((c) => c.currency === currency)!
        .spending_by_category.find((s) => s.category === 'RULE_CATEGORY')!;
      expect(units(row.total), currency).toBe(total);
    }
    await h.request('DELETE', `/v1/rules/${rule.id}`, { status: 204 });
    // What a deleted rule set stays.
    expect((await h.transaction([...expectedIds][0]!)).data.category.user_override).toBe('RULE_CATEGORY');
  });

  it('applies the rules to the transactions a sync adds, in order, within amount and account', async () => {
    const truth = await h.truth();
    const [first, second] = truth.accounts.filter((a) => a.type === 'depository');
    expect(second).toBeDefined();
    const name = 'Rule Coffee Roasters';
    const excluding = (
      await createRule({
        match: { field: 'name', kind: 'equals', text: name.toLowerCase() },
        min_amount: '-5.00',
        max_amount: '-4.00',
        exclude: true,
        excluded_reason: 'reimbursed',
      })
    ).data;
    await createRule({
      match: { field: 'name', kind: 'contains', text: 'COFFEE ROAST' },
      add_tags: ['coffee'],
      set_category: 'EARLY',
    });
    await createRule({ match: { text: 'coffee roast' }, set_category: 'LATER_WINS' });
    await createRule({
      match: { text: 'coffee roast' },
      account_id: accountIds.get(second!.account_id)!,
      set_category: 'OTHER_ACCOUNT',
    });
    const { transaction_ids: ids } = await h.control<{ transaction_ids: string[] }>(
      'POST',
      `/__emulator/items/${h.owner.plaidItemId}/transactions`,
      {
        transactions: [
          { account_id: first!.account_id, amount: 4.5, name },
          { account_id: first!.account_id, amount: 5.25, name },
          { account_id: first!.account_id, amount: 4.75, name: `${name} Annex` },
          { account_id: first!.account_id, amount: 3.1, name: 'Unrelated Bakery' },
        ],
      },
    );
    await h.sync();
    const shown = async (plaidId: string) => {
      const { data } = await h.transaction((await h.ourId(plaidId))!);
      return {
        category: data.category.user_override,
        tags: data.tags,
        excluded: data.excluded,
        reason: data.excluded_reason,
      };
    };
    expect(await shown(ids[0]!)).toEqual({
      category: 'LATER_WINS',
      tags: ['coffee'],
      excluded: true,
      reason: 'reimbursed',
    });
    expect(await shown(ids[1]!)).toEqual({
      category: 'LATER_WINS',
      tags: ['coffee'],
      excluded: false,
      reason: null,
    });
    expect(await shown(ids[2]!)).toEqual({
      category: 'LATER_WINS',
      tags: ['coffee'],
      excluded: false,
      reason: null,
    });
    expect(await shown(ids[3]!)).toEqual({ category: null, tags: [], excluded: false, reason: null });

    // A deleted rule no longer applies to what later syncs bring; a hand edit before it is kept.
    await h.request('DELETE', `/v1/rules/${excluding.id}`, { status: 204 });
    const { transaction_ids: later } = await h.control<{ transaction_ids: string[] }>(
      'POST',
      `/__emulator/items/${h.owner.plaidItemId}/transactions`,
      { transactions: [{ account_id: first!.account_id, amount: 4.5, name }] },
    );
    await h.sync();
    expect(await shown(later[0]!)).toEqual({
      category: 'LATER_WINS',
      tags: ['coffee'],
      excluded: false,
      reason: null,
    });
  });
});
