import { createHash } from 'node:crypto';
import { z } from 'zod';
import { errors } from '../../errors/catalog.js';
import { accountSchema } from '../../http/routes/accounts.js';
import { holdingsResponse } from '../../http/routes/holdings.js';
import { recurringSeriesSchema } from '../../http/routes/recurring.js';
import { transactionSchema } from '../../http/routes/transactions.js';
import { envelopeShape } from '../../http/schemas/common.js';
import type { McpToolDeps } from '../deps.js';
import { defineTool, MONEY_RULES, READ_ONLY } from '../tool.js';

/** Matches per kind of record in one search answer. */
export const SEARCH_MATCHES_PER_KIND = 10;

type AccountView = z.output<typeof accountSchema>;
type TransactionView = z.output<typeof transactionSchema>;

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const ID_PATTERNS = {
  account: new RegExp(`^account:(${UUID})$`, 'i'),
  transaction: new RegExp(`^transaction:(\\d{4}-\\d{2}-\\d{2}):(${UUID})$`, 'i'),
  holding: new RegExp(`^holding:(${UUID}):(${UUID})$`, 'i'),
  recurring: /^recurring:([A-Za-z0-9_-]{22})$/,
};

type Holdings = Awaited<ReturnType<McpToolDeps['analytics']['holdings']>>;
type Position = Holdings['positions'][number];
type Series = Awaited<ReturnType<McpToolDeps['analytics']['recurring']>>[number];

/**
 * A recurring series has no row of its own: its id is a digest of its owner and what identifies it (a
 * merchant's series can be one per account: a salary split between two accounts), so the same series of
 * another user (same merchant, same currency) never answers to it.
 */
function seriesId(userId: string, s: Series): string {
  const digest = createHash('sha256')
    .update([userId, s.direction, s.currency, s.merchant, ...s.account_ids].join('\u0000'))
    .digest('base64url')
    .slice(0, 22);
  return `recurring:${digest}`;
}

const ids = {
  account: (a: AccountView) => `account:${a.id}`,
  transaction: (t: TransactionView) => `transaction:${t.date}:${t.id}`,
  holding: (p: Position) => `holding:${p.account_id}:${p.security_id}`,
};

const titles = {
  account: (a: AccountView) =>
    `${a.name}${a.mask ? ` ••${a.mask}` : ''}${a.institution ? ` at ${a.institution.name}` : ''} ` +
    `(${a.type}): balance ${a.balances.current ?? 'unknown'} ${a.balances.currency}`,
  transaction: (t: TransactionView) =>
    `${t.date} ${t.merchant_name ?? t.name}: ${t.amount} ${t.currency}${t.pending ? ' (pending)' : ''}`,
  holding: (p: Position) =>
    `${p.ticker ?? p.name ?? 'Security'} in ${p.account_name}: ${p.quantity} worth ${p.value} ${p.currency}`,
  recurring: (s: Series) =>
    `${s.merchant}: ${s.cadence} ${s.direction === 'out' ? 'payment' : 'income'} of about ` +
    `${s.typical_amount} ${s.currency} (${s.status})`,
};

/** Whether a record's text holds the query, or every word of it. */
function matcher(query: string): (...texts: (string | null | undefined)[]) => boolean {
  const whole = query.toLowerCase();
  const words = whole.split(/\s+/).filter((w) => w.length >= 2);
  return (...texts) => {
    const text = texts.filter(Boolean).join(' ').toLowerCase();
    return text.includes(whole) || (words.length > 0 && words.every((w) => text.includes(w)));
  };
}

const resultSchema = z.object({
  id: z.string().describe('Pass to fetch for the whole record'),
  title: z.string(),
  url: z.string().describe('The REST resource this record comes from'),
});

const recordSchemas = {
  account: accountSchema,
  transaction: transactionSchema,
  holding: holdingsResponse.shape.positions.element,
  recurring: recurringSeriesSchema,
};

export function searchFetchTools(deps: McpToolDeps) {
  const url = {
    account: (id: string) => `${deps.publicUrl}/v1/accounts/${id}`,
    transaction: (date: string) => `${deps.publicUrl}/v1/transactions?start_date=${date}&end_date=${date}`,
    holding: () => `${deps.publicUrl}/v1/holdings`,
    recurring: () => `${deps.publicUrl}/v1/recurring`,
  };

  /** A transaction by its fetch id: a walk through its day's page(s) of the caller's own transactions. */
  async function findTransaction(userId: string, date: string, id: string): Promise<TransactionView> {
    let cursor: string | undefined;
    do {
      const page = await deps.transactions.list(
        userId,
        { startDate: date, endDate: date },
        { limit: 200, ...(cursor ? { cursor } : {}) },
      );
      const found = page.data.find((t) => t.id.toLowerCase() === id.toLowerCase());
      if (found) return found;
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    throw errors.notFound('transaction', id);
  }

  /**
   * Transactions whose name or merchant holds the query; for a sentence that matches nothing whole
   * ("coffee last month"), its longest words one at a time (three at most), until one matches.
   */
  async function transactionsMatching(userId: string, query: string) {
    const words = [...new Set(query.split(/\s+/).filter((w) => w.length >= 3))]
      .sort((a, b) => b.length - a.length)
      .slice(0, 3);
    let page = await deps.transactions.list(userId, { q: query }, { limit: SEARCH_MATCHES_PER_KIND });
    for (const word of words.length > 1 ? words : []) {
      if (page.data.length > 0) break;
      page = await deps.transactions.list(userId, { q: word }, { limit: SEARCH_MATCHES_PER_KIND });
    }
    return page;
  }

  return [
    defineTool({
      name: 'search',
      title: 'Search my finances',
      description:
        'Finds my accounts, transactions (name or merchant), investment holdings and recurring payments ' +
        `matching a text query; at most ${SEARCH_MATCHES_PER_KIND} of each kind. Each result has an id for ` +
        `fetch, a title with the key figure, and the REST URL it comes from. ${MONEY_RULES}`,
      input: z.strictObject({
        query: z.string().trim().min(1).max(200).describe('Words to look for, e.g. a merchant or an account'),
      }),
      output: z.object({ ...envelopeShape, results: z.array(resultSchema) }),
      annotations: READ_ONLY,
      scope: 'read',
      async run({ query }, { userId }) {
        const matches = matcher(query);
        const [envelope, accounts, transactions, holdings, series] = await Promise.all([
          deps.accounts.envelope(userId),
          deps.accounts.list(userId),
          transactionsMatching(userId, query),
          deps.analytics.holdings(userId),
          deps.analytics.recurring(userId),
        ]);
        const results = [
          ...accounts
            .filter((a) => matches(a.name, a.official_name, a.institution?.name, a.mask, a.type, a.subtype))
            .slice(0, SEARCH_MATCHES_PER_KIND)
            .map((a) => ({ id: ids.account(a), title: titles.account(a), url: url.account(a.id) })),
          ...transactions.data.map((t) => ({
            id: ids.transaction(t),
            title: titles.transaction(t),
            url: url.transaction(t.date),
          })),
          ...holdings.positions
            .filter((p) => matches(p.ticker, p.name, p.account_name, p.security_type))
            .slice(0, SEARCH_MATCHES_PER_KIND)
            .map((p) => ({ id: ids.holding(p), title: titles.holding(p), url: url.holding() })),
          ...series
            .filter((s) => matches(s.merchant, s.cadence))
            .slice(0, SEARCH_MATCHES_PER_KIND)
            .map((s) => ({ id: seriesId(userId, s), title: titles.recurring(s), url: url.recurring() })),
        ];
        return { ...envelope, results };
      },
    }),

    defineTool({
      name: 'fetch',
      title: 'Fetch a record',
      description:
        'The whole record behind an id from search: an account, a transaction, a holding or a recurring ' +
        'series, as JSON in `text` (the same fields as the REST API), with its title and REST URL. Only my ' +
        `own records: any other id is not found. ${MONEY_RULES}`,
      input: z.strictObject({ id: z.string().min(1).max(200).describe('An id from search') }),
      output: z.object({
        ...envelopeShape,
        id: z.string(),
        title: z.string(),
        text: z.string().describe('The record as JSON, fields as in the REST API'),
        url: z.string(),
        metadata: z.object({
          type: z.enum(['account', 'transaction', 'holding', 'recurring']),
          currency: z.string().nullable(),
        }),
      }),
      annotations: READ_ONLY,
      scope: 'read',
      async run({ id }, { userId }) {
        const envelope = await deps.accounts.envelope(userId);
        const answer = (
          type: 'account' | 'transaction' | 'holding' | 'recurring',
          record: object,
          title: string,
          at: string,
          currency: string | null,
        ) => ({
          ...envelope,
          id,
          title,
          // Through the REST schema: the same fields as the REST answer, nothing more.
          text: JSON.stringify(recordSchemas[type].parse(record)),
          url: at,
          metadata: { type, currency },
        });

        let match = ID_PATTERNS.account.exec(id);
        if (match) {
          const account = await deps.accounts.get(userId, match[1]!);
          return answer(
            'account',
            account,
            titles.account(account),
            url.account(account.id),
            account.balances.currency,
          );
        }
        match = ID_PATTERNS.transaction.exec(id);
        if (match) {
          const t = await findTransaction(userId, match[1]!, match[2]!);
          return answer('transaction', t, titles.transaction(t), url.transaction(t.date), t.currency);
        }
        match = ID_PATTERNS.holding.exec(id);
        if (match) {
          const [accountId, securityId] = [match[1]!.toLowerCase(), match[2]!.toLowerCase()];
          const { positions } = await deps.analytics.holdings(userId);
          const p = positions.find((h) => h.account_id === accountId && h.security_id === securityId);
          if (!p) throw errors.notFound('holding', id);
          return answer('holding', p, titles.holding(p), url.holding(), p.currency);
        }
        if (ID_PATTERNS.recurring.test(id)) {
          const s = (await deps.analytics.recurring(userId)).find((one) => seriesId(userId, one) === id);
          if (!s) throw errors.notFound('recurring series', id);
          return answer('recurring', s, titles.recurring(s), url.recurring(), s.currency);
        }
        throw errors.notFound('record', `${id} (ids come from search)`);
      },
    }),
  ];
}
