import type { z } from 'zod';
import type { CategoriesRepository } from '../../db/repositories/categories.js';
import type { categoriesData } from '../../http/routes/categories.js';

/** The taxonomy in use, as `GET /v1/categories` shows it (the route's schema is its type). */
export type CategoriesView = z.output<typeof categoriesData>;

export function createCategoriesService(deps: { categories: CategoriesRepository }) {
  return {
    async list(userId: string): Promise<CategoriesView> {
      const [plaid, own] = await Promise.all([
        deps.categories.plaidCounts(userId),
        deps.categories.ownCounts(userId),
      ]);
      const primaries = new Map<string, CategoriesView['plaid'][number]>();
      let uncategorized = 0;
      for (const row of plaid) {
        if (row.primary === null) {
          uncategorized += row.count;
          continue;
        }
        let entry = primaries.get(row.primary);
        if (!entry) {
          entry = { primary: row.primary, transaction_count: 0, detailed: [] };
          primaries.set(row.primary, entry);
        }
        entry.transaction_count += row.count;
        if (row.detailed !== null)
          entry.detailed.push({ detailed: row.detailed, transaction_count: row.count });
      }
      return {
        plaid: [...primaries.values()],
        own: own.map((row) => ({ category: row.category, transaction_count: row.count })),
        uncategorized_count: uncategorized,
      };
    },
  };
}

export type CategoriesService = ReturnType<typeof createCategoriesService>;
