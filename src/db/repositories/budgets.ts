import { and, asc, eq, sql } from 'drizzle-orm';
import type { CategorizedHistory, SpendingRow } from '../../domain/budgets/service.js';
import { selectRows, type Database } from '../client.js';
import { budgets } from '../schema/index.js';
import { recurringCandidates } from './insights.js';

export type BudgetRow = typeof budgets.$inferSelect;

/**
 * Budgets (one per person, category and currency) and the spending they are compared with: the cash-flow
 * monthly sums, so that budgets count as cash flow counts (owner edits included). Every query takes the
 * user id.
 */
export function createBudgetsRepository(db: Database) {
  return {
    async upsert(
      userId: string,
      budget: { category: string; currency: string; amount: string; rollover: boolean },
    ): Promise<BudgetRow> {
      const [row] = await db
        .insert(budgets)
        .values({ userId, ...budget })
        .onConflictDoUpdate({
          target: [budgets.userId, budgets.category, budgets.currency],
          set: { amount: budget.amount, rollover: budget.rollover, updatedAt: sql`now()` },
        })
        .returning();
      return row!;
    },

    /** True when there was such a budget. */
    async delete(userId: string, category: string, currency: string): Promise<boolean> {
      const rows = await db
        .delete(budgets)
        .where(
          and(eq(budgets.userId, userId), eq(budgets.category, category), eq(budgets.currency, currency)),
        )
        .returning({ category: budgets.category });
      return rows.length > 0;
    },

    list(userId: string): Promise<BudgetRow[]> {
      return db
        .select()
        .from(budgets)
        .where(eq(budgets.userId, userId))
        .orderBy(asc(budgets.currency), asc(budgets.category));
    },

    /** Spending (positive) per currency, category, month and pending flag, for months in [from, until]. */
    spending(userId: string, from: string, until: string): Promise<SpendingRow[]> {
      return selectRows<SpendingRow>(
        db,
        sql`
        select currency, category, to_char(month, 'YYYY-MM-DD') as month, pending, (-sum(total))::text as spent
        from cashflow_monthly
        where user_id = ${userId} and kind = 'spending' and month >= ${from}::date and month <= ${until}::date
        group by 1, 2, 3, 4`,
      );
    },

    /**
     * Per merchant, currency and direction over [since, until]: the posted history that cash flow counts
     * (no transfer leg, not excluded) with the category of the latest row, for the recurring detection.
     */
    categorizedHistories(userId: string, since: string, until: string): Promise<CategorizedHistory[]> {
      return selectRows<CategorizedHistory>(
        db,
        sql`
        with t as (${recurringCandidates(userId, since, until, sql`t.amount < 0 and not t.excluded`)})
        select merchant, currency, direction,
               array_agg(to_char(date, 'YYYY-MM-DD') order by date, id) as dates,
               array_agg(amount::text order by date, id) as amounts,
               array_agg(account_id::text order by date, id) as account_ids,
               (array_agg(category order by date desc, id desc))[1] as category
        from t
        group by 1, 2, 3
        having count(*) >= 2`,
      );
    },
  };
}

export type BudgetsRepository = ReturnType<typeof createBudgetsRepository>;
