import { asc, inArray } from 'drizzle-orm';
import type { Database } from '../client.js';
import { plaidItems } from '../schema/index.js';

/**
 * What the scheduler reads: every item that can be synced, across users. This is the scheduler's job
 * (an operator-level fan-out), the intended exception to "every read takes the user id"; it returns
 * only ids, never tokens or data.
 */
export function createSyncScheduleRepository(db: Database) {
  return {
    async listSyncableItems(): Promise<{ userId: string; itemId: string }[]> {
      return db
        .select({ userId: plaidItems.userId, itemId: plaidItems.id })
        .from(plaidItems)
        .where(inArray(plaidItems.status, ['good', 'pending_expiration']))
        .orderBy(asc(plaidItems.createdAt), asc(plaidItems.id));
    },
  };
}
