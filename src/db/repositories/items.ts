import { asc, eq } from 'drizzle-orm';
import type { Database } from '../client.js';
import { institutions, plaidItems } from '../schema/index.js';

export interface ItemHealthRow {
  id: string;
  status: (typeof plaidItems.$inferSelect)['status'];
  lastSyncedAt: Date | null;
  institutionName: string | null;
}

export function createItemsRepository(db: Database) {
  return {
    /** The caller's items with what freshness needs; never the access token. */
    listHealthForUser(userId: string): Promise<ItemHealthRow[]> {
      return db
        .select({
          id: plaidItems.id,
          status: plaidItems.status,
          lastSyncedAt: plaidItems.lastSyncedAt,
          institutionName: institutions.name,
        })
        .from(plaidItems)
        .leftJoin(institutions, eq(institutions.id, plaidItems.institutionId))
        .where(eq(plaidItems.userId, userId))
        .orderBy(asc(plaidItems.createdAt), asc(plaidItems.id));
    },
  };
}

export type ItemsRepository = ReturnType<typeof createItemsRepository>;
