import type { TransactionFilters, TransactionsRepository } from '../../db/repositories/transactions.js';
import { JsonText } from '../../lib/json-text.js';
import type { CursorCodec } from './cursor.js';

export function createTransactionsService(deps: {
  transactions: TransactionsRepository;
  cursors: CursorCodec;
}) {
  return {
    async list(
      userId: string,
      filters: TransactionFilters,
      page: { limit: number; cursor?: string },
    ): Promise<{ data: JsonText; next_cursor: string | null }> {
      const after = page.cursor ? deps.cursors.decode(page.cursor, userId, filters) : undefined;
      const result = await deps.transactions.pageForUser(userId, filters, { limit: page.limit, after });
      return {
        data: new JsonText(result.json),
        next_cursor: result.more && result.last ? deps.cursors.encode(userId, filters, result.last) : null,
      };
    },
  };
}

export type TransactionsService = ReturnType<typeof createTransactionsService>;
