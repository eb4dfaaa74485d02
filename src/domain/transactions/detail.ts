import type { z } from 'zod';
import type { TransactionDetailRepository } from '../../db/repositories/transaction-detail.js';
import { errors } from '../../errors/catalog.js';
import type { transactionDetailSchema } from '../../http/routes/transaction-detail.js';
import { toTransactionView } from './service.js';

/** One transaction as `GET /v1/transactions/{id}` shows it (the route's schema is its type). */
export type TransactionDetailView = z.output<typeof transactionDetailSchema>;

export function createTransactionDetailService(deps: { detail: TransactionDetailRepository }) {
  return {
    /**
     * The transaction, the other leg when it is a transfer between the caller's accounts, and the
     * pending transaction it posted from (Plaid's id always; the row while Plaid has not removed it).
     */
    async get(userId: string, id: string): Promise<TransactionDetailView> {
      const row = await deps.detail.getForUser(userId, id);
      if (!row) throw errors.notFound('transaction', id);
      const [counterpart, predecessor] = await Promise.all([
        row.transfer_pair_id ? deps.detail.getForUser(userId, row.transfer_pair_id) : undefined,
        row.pending_transaction_id
          ? deps.detail.getByPlaidIdForUser(userId, row.pending_transaction_id)
          : undefined,
      ]);
      return {
        ...toTransactionView(row),
        plaid_category: {
          primary: row.category_primary,
          detailed: row.category_detailed,
          confidence: row.category_confidence,
        },
        transfer_counterpart: counterpart ? toTransactionView(counterpart) : null,
        pending_transaction_id: row.pending_transaction_id,
        pending_predecessor: predecessor ? toTransactionView(predecessor) : null,
      };
    },
  };
}

export type TransactionDetailService = ReturnType<typeof createTransactionDetailService>;
