import { sql, type SQL } from 'drizzle-orm';
import { selectRows, type Database } from '../client.js';
import type { TransactionListRow } from './transactions.js';

export type TransactionDetailRow = TransactionListRow & { pending_transaction_id: string | null };

/** The columns GET /v1/transactions shows, as the list query returns them (SQL names, text values). */
const columns = sql`id, account_id, date::text as date, authorized_date::text as authorized_date, name,
  merchant_name, amount::text as amount, iso_currency_code, unofficial_currency_code, pending,
  category_primary, category_detailed, category_confidence, user_category, transfer_kind,
  transfer_reason, transfer_pair_id, user_note, pending_transaction_id, user_tags, excluded, excluded_reason,
  user_merchant_name, edit_version`;

/** One transaction and the ones it points at (every read takes the user id). */
export function createTransactionDetailRepository(db: Database) {
  const one = async (userId: string, where: SQL): Promise<TransactionDetailRow | undefined> => {
    const [row] = await selectRows<TransactionDetailRow>(
      db,
      sql`select ${columns} from transactions where user_id = ${userId} and ${where} limit 1`,
    );
    return row;
  };
  return {
    getForUser: (userId: string, id: string) => one(userId, sql`id = ${id}::uuid`),
    getByPlaidIdForUser: (userId: string, plaidTransactionId: string) =>
      one(userId, sql`plaid_transaction_id = ${plaidTransactionId}`),
  };
}

export type TransactionDetailRepository = ReturnType<typeof createTransactionDetailRepository>;
