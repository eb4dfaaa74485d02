import type { z } from 'zod';
import type {
  InvestmentTransactionFilters,
  InvestmentTransactionRow,
  InvestmentTransactionsRepository,
} from '../../db/repositories/investment-transactions.js';
import type { investmentTransactionSchema } from '../../http/routes/investment-transactions.js';
import { currencyOf, formatMoney, formatQuantity, money } from '../../lib/money.js';
import type { CursorCodec } from '../transactions/cursor.js';

/** An investment transaction as `GET /v1/investment-transactions` shows it (the route's schema). */
export type InvestmentTransactionView = z.output<typeof investmentTransactionSchema>;

export function toInvestmentTransactionView(row: InvestmentTransactionRow): InvestmentTransactionView {
  return {
    id: row.id,
    account_id: row.accountId,
    date: row.date,
    name: row.name,
    type: row.type,
    subtype: row.subtype,
    security: row.security
      ? {
          id: row.security.id,
          ticker: row.security.tickerSymbol,
          name: row.security.name,
          type: row.security.type,
        }
      : null,
    quantity: formatQuantity(row.quantity),
    price: formatQuantity(row.price),
    amount: money(row.amount),
    fees: formatMoney(row.fees),
    currency: currencyOf(row),
  };
}

export function createInvestmentsService(deps: {
  investmentTransactions: InvestmentTransactionsRepository;
  cursors: CursorCodec;
}) {
  return {
    /** Newest first; `next_cursor` is bound to the caller and to these filters (cursor.ts). */
    async listTransactions(
      userId: string,
      filters: InvestmentTransactionFilters,
      page: { limit: number; cursor?: string | undefined },
    ): Promise<{ data: InvestmentTransactionView[]; next_cursor: string | null }> {
      // The resource is part of the query a cursor is bound to: a /v1/transactions cursor is refused here.
      const query = { resource: 'investment_transactions', ...filters };
      const after = page.cursor ? deps.cursors.decode(page.cursor, userId, query) : undefined;
      const rows = await deps.investmentTransactions.listForUser(userId, filters, {
        limit: page.limit + 1,
        after,
      });
      const pageRows = rows.slice(0, page.limit);
      const last = pageRows.at(-1);
      return {
        data: pageRows.map(toInvestmentTransactionView),
        next_cursor:
          rows.length > page.limit && last
            ? deps.cursors.encode(userId, query, { date: last.date, id: last.id })
            : null,
      };
    },
  };
}

export type InvestmentsService = ReturnType<typeof createInvestmentsService>;
