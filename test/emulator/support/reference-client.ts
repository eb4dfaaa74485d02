import type { AxiosError } from 'axios';
import type { PlaidApi, PlaidError, Transaction } from 'plaid';

export interface SyncOutcome {
  readonly pages: number;
  readonly restarts: number;
}

/**
 * A client following Plaid's documented sync rules (NOTES.md §4): page from the saved cursor,
 * accumulate, restart the whole loop from the original cursor on a mutation error (or any error),
 * and apply everything — upsert added ∪ modified, delete removed — then save the cursor, only
 * after the last page.
 */
export class ReferenceSyncClient {
  cursor: string | undefined = undefined;
  readonly transactions = new Map<string, Transaction>();

  constructor(
    private readonly plaid: PlaidApi,
    private readonly accessToken: string,
  ) {}

  async sync(count: number, maxAttempts = 20): Promise<SyncOutcome> {
    const original = this.cursor;
    let pages = 0;
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const added: Transaction[] = [];
      const modified: Transaction[] = [];
      const removed: string[] = [];
      let cursor = original;
      try {
        for (;;) {
          const page = await this.plaid.transactionsSync({
            access_token: this.accessToken,
            count,
            ...(cursor === undefined ? {} : { cursor }),
          });
          pages++;
          added.push(...page.data.added);
          modified.push(...page.data.modified);
          removed.push(...page.data.removed.map((r) => r.transaction_id));
          cursor = page.data.next_cursor;
          if (!page.data.has_more) break;
        }
      } catch (e) {
        const data = (e as AxiosError<PlaidError>).response?.data;
        if (!data?.error_code) throw e;
        continue;
      }
      if (cursor === '') return { pages, restarts: attempt };
      for (const t of [...added, ...modified]) this.transactions.set(t.transaction_id, t);
      for (const id of removed) this.transactions.delete(id);
      this.cursor = cursor;
      return { pages, restarts: attempt };
    }
    throw new Error(`sync did not complete in ${maxAttempts} attempts`);
  }

  sorted(): Transaction[] {
    return [...this.transactions.values()].sort((a, b) =>
      a.transaction_id < b.transaction_id ? -1 : a.transaction_id > b.transaction_id ? 1 : 0,
    );
  }
}
