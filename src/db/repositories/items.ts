import { asc, eq, sql } from 'drizzle-orm';
import type { Database } from '../client.js';
import { institutions, plaidItems } from '../schema/index.js';

export interface ItemHealthRow {
  id: string;
  status: (typeof plaidItems.$inferSelect)['status'];
  lastSyncedAt: Date | null;
  institutionName: string | null;
}

export function createItemsRepository(db: Database) {
  // Every read response carries freshness: built once, prepared by name.
  const healthForUser = db
    .select({
      id: plaidItems.id,
      status: plaidItems.status,
      lastSyncedAt: plaidItems.lastSyncedAt,
      institutionName: institutions.name,
    })
    .from(plaidItems)
    .leftJoin(institutions, eq(institutions.id, plaidItems.institutionId))
    .where(eq(plaidItems.userId, sql.placeholder('userId')))
    .orderBy(asc(plaidItems.createdAt), asc(plaidItems.id))
    .prepare('items_health_for_user');

  return {
    /** The caller's items with what freshness needs; never the access token. */
    listHealthForUser(userId: string): Promise<ItemHealthRow[]> {
      return healthForUser.execute({ userId });
    },
  };
}

export type ItemsRepository = ReturnType<typeof createItemsRepository>;
