import type {
  TransactionFilters,
  TransactionListRow as TransactionRow,
  TransactionsRepository,
} from '../../db/repositories/transactions.js';
import { currencyOf, money } from '../../lib/money.js';
import type { CursorCodec } from './cursor.js';

export interface TransactionView {
  id: string;
  account_id: string;
  date: string;
  authorized_date: string | null;
  name: string;
  merchant_name: string | null;
  amount: string;
  currency: string;
  pending: boolean;
  category: {
    primary: string | null;
    detailed: string | null;
    confidence: string | null;
    user_override: string | null;
  };
  transfer_kind: TransactionRow['transferKind'];
  note: string | null;
}

export function toTransactionView(row: TransactionRow): TransactionView {
  return {
    id: row.id,
    account_id: row.accountId,
    date: row.date,
    authorized_date: row.authorizedDate,
    name: row.name,
    merchant_name: row.merchantName,
    amount: money(row.amount),
    currency: currencyOf(row),
    pending: row.pending,
    category: {
      primary: row.categoryPrimary,
      detailed: row.categoryDetailed,
      confidence: row.categoryConfidence,
      user_override: row.userCategory,
    },
    transfer_kind: row.transferKind,
    note: row.userNote,
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
