import type {
  TransactionFilters,
  TransactionListRow as TransactionRow,
  TransactionsRepository,
} from '../../db/repositories/transactions.js';
import type { z } from 'zod';
import type { transactionSchema } from '../../http/routes/transactions.js';
import { currencyOf, money } from '../../lib/money.js';
import type { CursorCodec } from './cursor.js';

/** A transaction as `GET /v1/transactions` shows it: the route's response schema is its type. */
export type TransactionView = z.output<typeof transactionSchema>;

export function toTransactionView(row: TransactionRow): TransactionView {
  return {
    id: row.id,
    account_id: row.account_id,
    date: row.date,
    authorized_date: row.authorized_date,
    name: row.name,
    merchant_name: row.merchant_name,
    amount: money(row.amount),
    currency: currencyOf({
      isoCurrencyCode: row.iso_currency_code,
      unofficialCurrencyCode: row.unofficial_currency_code,
    }),
    pending: row.pending,
    category: {
      primary: row.category_primary,
      detailed: row.category_detailed,
      confidence: row.category_confidence,
      user_override: row.user_category,
    },
    transfer_kind: row.transfer_kind,
    transfer_reason: row.transfer_reason,
    transfer_pair_id: row.transfer_pair_id,
    note: row.user_note,
    tags: row.user_tags,
    excluded: row.excluded,
    excluded_reason: row.excluded_reason,
    merchant_name_override: row.user_merchant_name,
    version: row.edit_version,
  };
}

export function createTransactionsService(deps: {
  transactions: TransactionsRepository;
  cursors: CursorCodec;
}) {
  return {
    async list(
      userId: string,
      filters: TransactionFilters,
      page: { limit: number; cursor?: string },
    ): Promise<{ data: TransactionView[]; next_cursor: string | null }> {
      const after = page.cursor ? deps.cursors.decode(page.cursor, userId, filters) : undefined;
      const rows = await deps.transactions.listForUser(userId, filters, { limit: page.limit + 1, after });
      const pageRows = rows.slice(0, page.limit);
      const last = pageRows.at(-1);
      return {
        data: pageRows.map(toTransactionView),
        next_cursor:
          rows.length > page.limit && last
            ? deps.cursors.encode(userId, filters, { date: last.date, id: last.id })
            : null,
      };
    },
  };
}

export type TransactionsService = ReturnType<typeof createTransactionsService>;
