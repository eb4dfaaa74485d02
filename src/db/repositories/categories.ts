import { sql } from 'drizzle-orm';
import { selectRows, type Database } from '../client.js';

/** The categories in use in the caller's transactions, with counts (every read takes the user id). */
export function createCategoriesRepository(db: Database) {
  return {
    /** Per Plaid (primary, detailed) pair as Plaid gave it, whatever the owner overrode; nulls included. */
    plaidCounts(userId: string) {
      return selectRows<{ primary: string | null; detailed: string | null; count: number }>(
        db,
        sql`select category_primary as primary, category_detailed as detailed, count(*)::int as count
            from transactions where user_id = ${userId}
            group by category_primary, category_detailed
            order by category_primary collate "C" nulls last, category_detailed collate "C" nulls last`,
      );
    },
    /** Per category the owner set (user_category). */
    ownCounts(userId: string) {
      return selectRows<{ category: string; count: number }>(
        db,
        sql`select user_category as category, count(*)::int as count
            from transactions where user_id = ${userId} and user_category is not null
            group by user_category order by user_category collate "C"`,
      );
    },
  };
}

export type CategoriesRepository = ReturnType<typeof createCategoriesRepository>;
