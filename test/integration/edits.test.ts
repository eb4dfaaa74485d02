/**
 * The owner's edits of transactions (issue 13), on both databases, against an item linked through the
 * emulator: PATCH /v1/transactions/{id} with its validation, ownership and If-Match; cash flow following
 * a category override and exclusions (compared with figures computed here from the emulator's own
 * transactions plus the edits); the read-answer cache forgotten for the editor only; and the edits
 * surviving every later sync: pending → posted, Plaid's modifications, removal and re-adding of the id.
 */
import { sql } from 'drizzle-orm';
import type { Transaction } from 'plaid';
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectRows } from '../../src/db/client.js';
import type { ApiTokenScope } from '../../src/db/schema/index.js';
import { createLogger } from '../../src/lib/logger.js';
import { buildMcpServer } from '../../src/mcp/server.js';
import { editsTools } from '../../src/mcp/tools/edits.js';
import { generateDataset, insertDataset } from '../factories/finance-dataset.js';
import { newAccessToken } from '../factories/users.js';
import { databaseKinds, unannounced } from '../helpers/database.js';
import { units } from '../helpers/ground-truth-figures.js';
import { until } from '../helpers/wait.js';
import {
  ourUnits,
  startEditsHarness,
  type ApiTransaction,
  type EditsHarness,
  type Problem,
} from './edits-harness.js';

type Cashflow = {
  currencies: {
    currency: string;
    totals: { income: string; spending: string };
    spending_by_category: { category: string; total: string }[];
  }[];
};

/** The owner fields as the API shows them. */
const ownerFields = (t: ApiTransaction) => ({
  note: t.note,
  category: t.category.user_override,
  tags: t.tags,
  excluded: t.excluded,
  excluded_reason: t.excluded_reason,
  merchant_name_override: t.merchant_name_override,
});

describe.each(databaseKinds())('owner edits of transactions (%s)', (kind) => {
  let h: EditsHarness;
  beforeAll(async () => {
    h = await startEditsHarness(kind);
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  /** A posted transaction of the owner that is not a transfer, of the given direction, not yet used. */
  const used = new Set<string>();
  async function pick(direction: 'in' | 'out', where: (t: ApiTransaction) => boolean = () => true) {
    const all = await h.allTransactions();
    const found = all.find(
      (t) =>
        !used.has(t.id) &&
        !t.pending &&
        t.transfer_kind === null &&
        (direction === 'in' ? Number(t.amount) > 0 : Number(t.amount) < 0) &&
        where(t),
    );
    expect(found, `a posted ${direction} transaction`).toBeDefined();
    used.add(found!.id);
    return found!;
  }

  describe('PATCH /v1/transactions/{id}', () => {
    it('sets the fields sent, answers them with a new version and ETag, and GET agrees', async () => {
      const tx = await pick('out');
      const before = await h.transaction(tx.id);
      expect(before.etag).toBe(`"v${before.data.version}"`);
      const { body, headers } = await h.request<{ data: ApiTransaction }>(
        'PATCH',
        `/v1/transactions/${tx.id}`,
        {
          body: {
            note: '  lunch with Ana  ',
            category: 'MEALS_OUT',
            tags: ['work', 'Work', 'q3'],
            excluded: true,
            excluded_reason: 'reimbursed',
            merchant_name: 'Corner Deli',
          },
        },
      );
      expect(ownerFields(body.data)).toEqual({
        note: 'lunch with Ana',
        category: 'MEALS_OUT',
        tags: ['work', 'q3'],
        excluded: true,
        excluded_reason: 'reimbursed',
        merchant_name_override: 'Corner Deli',
      });
      // Plaid's own fields are untouched.
      expect(body.data.merchant_name).toBe(tx.merchant_name);
      expect(body.data.category.primary).toBe(tx.category.primary);
      expect(body.data.version).toBe(before.data.version + 1);
      expect(headers.etag).toBe(`"v${body.data.version}"`);
      const after = await h.transaction(tx.id);
      expect(after.data).toEqual(body.data);
      expect(after.etag).toBe(headers.etag);

      // Only what is sent changes; null clears, excluded: false clears the reason.
      const cleared = await h.request<{ data: ApiTransaction }>('PATCH', `/v1/transactions/${tx.id}`, {
        body: { category: null, excluded: false, note: null },
      });
      expect(ownerFields(cleared.body.data)).toEqual({
        note: null,
        category: null,
        tags: ['work', 'q3'],
        excluded: false,
        excluded_reason: null,
        merchant_name_override: 'Corner Deli',
      });
    });

    it('honors If-Match and version: a stale one is 412 and changes nothing', async () => {
      const tx = await pick('out');
      const { etag, data } = await h.transaction(tx.id);
      const first = await h.request<{ data: ApiTransaction }>('PATCH', `/v1/transactions/${tx.id}`, {
        body: { note: 'first client' },
        headers: { 'if-match': etag },
      });
      // The second client still holds the old ETag: refused, with the current one.
      const stale = await h.request<Problem>('PATCH', `/v1/transactions/${tx.id}`, {
        body: { note: 'second client' },
        headers: { 'if-match': etag },
        status: 412,
      });
      expect(stale.body.code).toBe('PRECONDITION_FAILED');
      expect(stale.headers.etag).toBe(`"v${first.body.data.version}"`);
      const staleVersion = await h.request<Problem>('PATCH', `/v1/transactions/${tx.id}`, {
        body: { note: 'second client', version: data.version },
        status: 412,
      });
      expect(staleVersion.body.code).toBe('PRECONDITION_FAILED');
      for (const bad of ['"v0"', 'garbage', `W/"v${data.version}"`]) {
        await h.request<Problem>('PATCH', `/v1/transactions/${tx.id}`, {
          body: { note: 'x' },
          headers: { 'if-match': bad },
          status: 412,
        });
      }
      expect((await h.transaction(tx.id)).data.note).toBe('first client');
      // The current ETag (weak or strong), a list holding it, or * pass; so does no precondition at all.
      const current = first.body.data.version;
      for (const ok of [`"v${current}"`, `W/"v${current + 1}"`, `"v1", "v${current + 2}"`, '*']) {
        await h.request('PATCH', `/v1/transactions/${tx.id}`, {
          body: { note: ok },
          headers: { 'if-match': ok },
        });
      }
      await h.request('PATCH', `/v1/transactions/${tx.id}`, {
        body: { note: 'last writer', version: current + 4 },
      });
      await h.request('PATCH', `/v1/transactions/${tx.id}`, { body: { note: 'no precondition' } });
      expect((await h.transaction(tx.id)).data).toMatchObject({
        note: 'no precondition',
        version: current + 6,
      });
    });

    it("is 404 for another person's transaction and an unknown id, 403 with a read token", async () => {
      const tx = await pick('out');
      const cross = await h.request<Problem>('PATCH', `/v1/transactions/${tx.id}`, {
        token: h.other.token,
        body: { note: 'not mine' },
        status: 404,
      });
      expect(cross.body.code).toBe('NOT_FOUND');
      await h.request<Problem>('GET', `/v1/transactions/${tx.id}`, { token: h.other.token, status: 404 });
      await h.request<Problem>('PATCH', '/v1/transactions/00000000-0000-4000-8000-000000000000', {
        body: { note: 'x' },
        status: 404,
      });
      const readOnly = await h.request<Problem>('PATCH', `/v1/transactions/${tx.id}`, {
        token: h.owner.readToken,
        body: { note: 'x' },
        status: 403,
      });
      expect(readOnly.body.code).toBe('INSUFFICIENT_SCOPE');
      expect((await h.transaction(tx.id)).data.note).toBeNull();
    });

    it('refuses bad input with a 400 naming the field', async () => {
      const tx = await pick('out');
      const cases: [unknown, string][] = [
        [{}, 'body'],
        [{ nope: 1 }, 'body.nope'],
        [{ note: 'x'.repeat(1001) }, 'body.note'],
        [{ note: 5 }, 'body.note'],
        [{ category: '' }, 'body.category'],
        [{ category: '   ' }, 'body.category'],
        [{ category: 'a\u202eb' }, 'body.category'],
        [{ tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }, 'body.tags'],
        [{ tags: ['x'.repeat(33)] }, 'body.tags.0'],
        [{ tags: 'work' }, 'body.tags'],
        [{ excluded: 'yes' }, 'body.excluded'],
        [{ excluded_reason: 'reimbursed' }, 'body.excluded_reason'],
        [{ excluded: false, excluded_reason: 'reimbursed' }, 'body.excluded_reason'],
        [{ merchant_name: 'x'.repeat(201) }, 'body.merchant_name'],
        [{ note: 'x', version: 0 }, 'body.version'],
        [{ note: 'x', version: 1.5 }, 'body.version'],
      ];
      for (const [body, field] of cases) {
        const { body: problem } = await h.request<Problem>('PATCH', `/v1/transactions/${tx.id}`, {
          body,
          status: 400,
        });
        expect(problem.code, JSON.stringify(body)).toBe('VALIDATION_FAILED');
        expect(
          problem.errors?.map((e) => e.field),
          JSON.stringify(body),
        ).toContain(field);
      }
      const badId = await h.request<Problem>('PATCH', '/v1/transactions/not-a-uuid', {
        body: { note: 'x' },
        status: 400,
      });
      expect(badId.body.errors?.map((e) => e.field)).toContain('path.id');
      expect((await h.transaction(tx.id)).data.version).toBe(tx.version);
    });
  });

  describe('cash flow follows the edits at once', () => {
    it('moves an overridden amount to its new category and leaves excluded ones out of income and spending', async () => {
      const truth = await h.truth();
      expect(new Set(truth.accounts.map((a) => a.balances.iso_currency_code)).size).toBeGreaterThan(1);
      const byPlaidId = new Map(truth.transactions.map((t) => [t.transaction_id, t]));
      const dates = truth.transactions.map((t) => t.date).sort();
      const range = `start_date=${dates[0]}&end_date=${dates.at(-1)}`;
      const cashflow = async () => (await h.request<Cashflow>('GET', `/v1/cashflow/summary?${range}`)).body;
      const currencyOf = (c: Cashflow, currency: string) =>
        c.currencies.find((x) => x.currency === currency) ?? {
          totals: { income: '0', spending: '0' },
          spending_by_category: [],
        };
      const spendingOf = (c: Cashflow, currency: string, category: string) =>
        units(
          currencyOf(c, currency).spending_by_category.find((s) => s.category === category)?.total ?? '0',
        );
      const totalOf = (c: Cashflow, currency: string, kind: 'income' | 'spending') =>
        units(currencyOf(c, currency).totals[kind]);
      const before = await cashflow();

      const spendingCategory = (t: ApiTransaction) =>
        t.category.primary !== null &&
        !['INCOME', 'TRANSFER_IN'].includes(t.category.primary) &&
        t.category.user_override === null &&
        !t.excluded;
      const moved = await pick('out', spendingCategory);
      const left = await pick(
        'out',
        (t) => spendingCategory(t) && t.category.primary !== moved.category.primary,
      );
      const income = await pick('in', (t) => t.category.primary === 'INCOME' && !t.excluded);
      const source = async (t: ApiTransaction): Promise<Transaction> =>
        byPlaidId.get(await h.plaidIdOf(t.id))!;
      const [movedTruth, leftTruth, incomeTruth] = await Promise.all([
        source(moved),
        source(left),
        source(income),
      ]);

      await h.request('PATCH', `/v1/transactions/${moved.id}`, { body: { category: 'OWN_TEST_CATEGORY' } });
      await h.request('PATCH', `/v1/transactions/${left.id}`, {
        body: { excluded: true, excluded_reason: 'reimbursed' },
      });
      await h.request('PATCH', `/v1/transactions/${income.id}`, { body: { excluded: true } });
      const after = await until(
        'the edits in the answer',
        async () => {
          const c = await cashflow();
          return spendingOf(c, moved.currency, 'OWN_TEST_CATEGORY') !== 0n ? c : undefined;
        },
        10_000,
        50,
      );

      // Expected figures from the emulator's transactions (Plaid's sign: positive = money out, which is
      // what spending shows) and each one's currency as the emulator gives it.
      const currency = (t: Transaction) =>
        t.iso_currency_code ??
        truth.accounts.find((a) => a.account_id === t.account_id)!.balances.iso_currency_code!;
      const expected = new Map<string, bigint>();
      const expect$ = (key: string, delta: bigint, base: bigint) =>
        expected.set(key, (expected.get(key) ?? base) + delta);
      const mc = currency(movedTruth);
      const lc = currency(leftTruth);
      const ic = currency(incomeTruth);
      expect$(
        `${mc}|cat|OWN_TEST_CATEGORY`,
        units(movedTruth.amount),
        spendingOf(before, mc, 'OWN_TEST_CATEGORY'),
      );
      expect$(
        `${mc}|cat|${moved.category.primary}`,
        -units(movedTruth.amount),
        spendingOf(before, mc, moved.category.primary!),
      );
      expect$(
        `${lc}|cat|${left.category.primary}`,
        -units(leftTruth.amount),
        spendingOf(before, lc, left.category.primary!),
      );
      expect$(`${lc}|spending`, -units(leftTruth.amount), totalOf(before, lc, 'spending'));
      expect$(`${mc}|spending`, 0n, totalOf(before, mc, 'spending'));
      expect$(`${ic}|income`, ourUnits(incomeTruth) * -1n, totalOf(before, ic, 'income'));
      for (const [key, value] of expected) {
        const [cur, what, category] = key.split('|') as [string, string, string?];
        const got =
          what === 'cat'
            ? spendingOf(after, cur, category!)
            : totalOf(after, cur, what as 'income' | 'spending');
        expect(got, key).toBe(value);
      }
      expect(spendingOf(before, mc, 'OWN_TEST_CATEGORY')).toBe(0n);
      // Excluded transactions stay listed, with their reason.
      expect((await h.transaction(left.id)).data).toMatchObject({
        excluded: true,
        excluded_reason: 'reimbursed',
      });
      const listed = await h.allTransactions();
      expect(listed.map((t) => t.id)).toEqual(expect.arrayContaining([left.id, income.id]));
    });

    it("forgets the editor's cached answers only: another person's stays a hit", async () => {
      const db = h.t.database.handle.db;
      await insertDataset(db, h.other.userId, generateDataset(77, { days: 60 }));
      await h.t.app.services.materializers.refreshUserAnalytics(h.other.userId);
      const otherRead = (await newAccessToken(h.t.app, h.other.userId, { scope: 'read' })).token;
      const url = '/v1/transactions?limit=3';
      const otherBefore = (await h.request<{ data: ApiTransaction[] }>('GET', url, { token: otherRead })).body
        .data;
      const ownerBefore = (await h.request<{ data: ApiTransaction[] }>('GET', url)).body.data;
      // The other person's newest row changes unannounced: only a forgotten answer would show it.
      await unannounced(
        db,
        sql`update transactions set user_note = 'unannounced' where id = ${otherBefore[0]!.id}::uuid`,
      );
      await h.request('PATCH', `/v1/transactions/${ownerBefore[0]!.id}`, { body: { note: 'edited now' } });
      await until(
        'the owner’s cached answer to be forgotten',
        async () => {
          const now = (await h.request<{ data: ApiTransaction[] }>('GET', url)).body.data;
          return now[0]!.note === 'edited now';
        },
        10_000,
        20,
      );
      const otherAfter = (await h.request<{ data: ApiTransaction[] }>('GET', url, { token: otherRead })).body
        .data;
      expect(otherAfter).toEqual(otherBefore);
      expect(otherAfter[0]!.note).toBeNull();
    });
  });

  describe('edits survive every later sync', () => {
    const edit = {
      note: 'kept through syncs',
      category: 'SURVIVOR',
      tags: ['kept'],
      excluded: true,
      excluded_reason: 'reimbursed',
      merchant_name: 'My Merchant',
    };
    const shown = {
      note: edit.note,
      category: edit.category,
      tags: edit.tags,
      excluded: true,
      excluded_reason: 'reimbursed',
      merchant_name_override: edit.merchant_name,
    };

    it('from a pending transaction to the posted one that replaces it', async () => {
      const {
        transaction_ids: [pendingPlaidId],
      } = await h.control<{ transaction_ids: string[] }>(
        'POST',
        `/__emulator/items/${h.owner.plaidItemId}/transactions`,
        { transactions: [{ amount: 18.4, name: 'Pending survivor', pending: true, posts_after_days: 1 }] },
      );
      await h.sync();
      const pendingId = (await h.ourId(pendingPlaidId!))!;
      const patched = await h.request<{ data: ApiTransaction }>('PATCH', `/v1/transactions/${pendingId}`, {
        body: edit,
      });
      expect(patched.body.data.pending).toBe(true);

      await h.control('POST', '/__emulator/clock/advance', { days: 2 });
      await h.sync();
      expect(await h.ourId(pendingPlaidId!)).toBeUndefined();
      const truth = await h.truth();
      const posted = truth.transactions.find((t) => t.pending_transaction_id === pendingPlaidId)!;
      expect(posted.pending).toBe(false);
      const { data } = await h.transaction((await h.ourId(posted.transaction_id))!);
      expect(ownerFields(data)).toEqual(shown);
      expect(data.amount).toBe((-posted.amount).toFixed(2));
      expect(data.version).toBeGreaterThan(patched.body.data.version);
    });

    it("through Plaid's modifications: Plaid's fields updated, the owner's kept", async () => {
      const before = new Map((await h.truth()).transactions.map((t) => [t.transaction_id, t]));
      let changed: Transaction | undefined;
      for (let i = 0; i < 40 && !changed; i++) {
        const { change } = await h.control<{ change: string }>(
          'POST',
          `/__emulator/items/${h.owner.plaidItemId}/mutate`,
        );
        if (change !== 'modified') continue;
        const now = (await h.truth()).transactions;
        changed = now.find((t) => {
          const old = before.get(t.transaction_id);
          return old !== undefined && JSON.stringify(old) !== JSON.stringify(t);
        });
      }
      expect(changed, 'the emulator modified a transaction').toBeDefined();
      const id = (await h.ourId(changed!.transaction_id))!;
      // Edited while we still hold Plaid's version from before the modification.
      await h.request('PATCH', `/v1/transactions/${id}`, { body: edit });
      await h.sync();
      const current = (await h.truth()).transactions.find(
        (t) => t.transaction_id === changed!.transaction_id,
      )!;
      const { data } = await h.transaction(id);
      expect(ownerFields(data)).toEqual(shown);
      expect({ amount: data.amount, name: data.name, date: data.date }).toEqual({
        amount: (-current.amount).toFixed(2),
        name: current.name,
        date: current.date,
      });
    });

    it('through a removal and the re-adding of the same Plaid id', async () => {
      const tx = await pick('out');
      const plaidId = await h.plaidIdOf(tx.id);
      const patched = await h.request<{ data: ApiTransaction }>('PATCH', `/v1/transactions/${tx.id}`, {
        body: edit,
      });

      h.fakes.removeNext = [plaidId];
      await h.sync();
      expect(await h.ourId(plaidId)).toBeUndefined();
      await h.request('GET', `/v1/transactions/${tx.id}`, { status: 404 });
      const [kept] = await selectRows<{ n: number }>(
        h.t.database.handle.db,
        sql`select count(*)::int as n from transaction_edits_kept where user_id = ${h.owner.userId} and plaid_transaction_id = ${plaidId}`,
      );
      expect(kept?.n).toBe(1);

      h.fakes.addNext = [h.seen.get(plaidId)!];
      await h.sync();
      const again = (await h.ourId(plaidId))!;
      expect(again).toBeDefined();
      const { data } = await h.transaction(again);
      expect(ownerFields(data)).toEqual(shown);
      // Past the old version, so that an ETag from before the removal cannot match.
      expect(data.version).toBeGreaterThan(patched.body.data.version);
      const [left] = await selectRows<{ n: number }>(
        h.t.database.handle.db,
        sql`select count(*)::int as n from transaction_edits_kept where user_id = ${h.owner.userId}`,
      );
      expect(left?.n).toBe(0);
      // And we hold exactly the emulator's transactions again.
      const truth = await h.truth();
      const ours = await selectRows<{ plaid: string }>(
        h.t.database.handle.db,
        sql`select plaid_transaction_id as plaid from transactions where user_id = ${h.owner.userId} order by 1`,
      );
      expect(ours.map((r) => r.plaid)).toEqual(truth.transactions.map((t) => t.transaction_id).sort());
    });
  });

  // The MCP tools, through the official client in memory: the same answers as the REST routes.
  describe('MCP tools update_transaction and list_rules', () => {
    const connect = async (userId: string, scopes: ApiTokenScope[]) => {
      const server = buildMcpServer(editsTools(h.t.app.services), { userId, scopes }, createLogger('silent'));
      const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
      await server.connect(serverSide);
      const client = new Client({ name: 'edits-tests', version: '1.0.0' });
      await client.connect(clientSide);
      return client;
    };
    type Result = {
      isError?: boolean;
      content: { text: string }[];
      structuredContent: Record<string, unknown>;
    };
    const structured = (result: unknown) => {
      const r = result as Result;
      expect(r.isError ?? false, JSON.stringify(r.content)).toBe(false);
      expect(JSON.parse(r.content[0]!.text)).toEqual(r.structuredContent);
      const { as_of: _asOf, ...rest } = r.structuredContent;
      return rest;
    };
    const errorText = (result: unknown) => {
      const r = result as Result;
      expect(r.isError).toBe(true);
      return r.content[0]!.text;
    };

    it('edits with the write scope, answering as GET /v1/transactions/{id}, and lists rules as GET /v1/rules', async () => {
      const writer = await connect(h.owner.userId, ['read', 'write']);
      const listed = await writer.listTools();
      expect(listed.tools.map((t) => t.name)).toEqual(['update_transaction', 'list_rules']);
      for (const tool of listed.tools) {
        expect(tool.description, tool.name).toMatch(/negative = money out/);
        expect(tool.outputSchema?.type, tool.name).toBe('object');
      }
      expect(listed.tools[0]!.annotations).toMatchObject({ readOnlyHint: false, openWorldHint: false });
      expect(listed.tools[1]!.annotations).toMatchObject({ readOnlyHint: true, openWorldHint: false });

      const tx = await pick('out');
      const answer = structured(
        await writer.callTool({
          name: 'update_transaction',
          arguments: { transaction_id: tx.id, note: 'via MCP', tags: ['mcp'], version: tx.version },
        }),
      );
      const rest = await h.request<Record<string, unknown>>('GET', `/v1/transactions/${tx.id}`);
      const { as_of: _asOf, ...restAnswer } = rest.body;
      expect(answer).toEqual(restAnswer);
      expect(answer.data).toMatchObject({ note: 'via MCP', tags: ['mcp'], version: tx.version + 1 });

      // A stale version, another person's id, and bad arguments are tool errors that change nothing.
      expect(
        errorText(
          await writer.callTool({
            name: 'update_transaction',
            arguments: { transaction_id: tx.id, note: 'stale', version: tx.version },
          }),
        ),
      ).toMatch(/^PRECONDITION_FAILED/);
      const otherWriter = await connect(h.other.userId, ['read', 'write']);
      expect(
        errorText(
          await otherWriter.callTool({
            name: 'update_transaction',
            arguments: { transaction_id: tx.id, note: 'x' },
          }),
        ),
      ).toMatch(/^NOT_FOUND/);
      expect(
        errorText(
          await writer.callTool({
            name: 'update_transaction',
            arguments: { transaction_id: tx.id, tags: Array.from({ length: 21 }, (_, i) => `t${i}`) },
          }),
        ),
      ).toMatch(/tags/);
      expect(
        errorText(
          await writer.callTool({ name: 'update_transaction', arguments: { transaction_id: tx.id } }),
        ),
      ).toMatch(/at least one/);
      expect((await h.transaction(tx.id)).data).toMatchObject({ note: 'via MCP', version: tx.version + 1 });

      await h.request('POST', '/v1/rules', {
        body: { match: { text: 'mcp rule' }, add_tags: ['r'] },
        status: 201,
      });
      const rules = structured(await writer.callTool({ name: 'list_rules', arguments: {} }));
      const restRules = await h.request<{ data: unknown[] }>('GET', '/v1/rules');
      expect(rules).toMatchObject({ data: restRules.body.data, next_cursor: null, truncated: null });
      expect(rules.data).toHaveLength(1);
    });

    it('refuses update_transaction without the write scope', async () => {
      const reader = await connect(h.owner.userId, ['read']);
      const tx = await pick('out');
      const before = (await h.transaction(tx.id)).data;
      expect(
        errorText(
          await reader.callTool({
            name: 'update_transaction',
            arguments: { transaction_id: tx.id, note: 'refused write' },
          }),
        ),
      ).toMatch(/^INSUFFICIENT_SCOPE/);
      // Nothing changed (an earlier test may have left a note on the transaction picked).
      expect((await h.transaction(tx.id)).data).toEqual(before);
      structured(await reader.callTool({ name: 'list_rules', arguments: {} }));
    });
  });
});
