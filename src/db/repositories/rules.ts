import { and, asc, count, eq, sql, type SQL } from 'drizzle-orm';
import { selectRows, type Database } from '../client.js';
import { transactionRules, type RuleMatchField, type RuleMatchKind } from '../schema/index.js';

export type RuleRow = typeof transactionRules.$inferSelect;
export type NewRule = Omit<typeof transactionRules.$inferInsert, 'id' | 'createdAt'>;

/** The transactions a rule application looks at: the person's whole history, or Plaid ids of one sync page. */
export type RuleScope = { kind: 'history' } | { kind: 'plaid_ids'; plaidTransactionIds: readonly string[] };

/**
 * `r` (a transaction_rules row) matches `t` (a transactions row): text contains or equals, both
 * lowercased, with `strpos` (never LIKE, never a regular expression: the rule's text is data, nothing
 * in it is a pattern); the amount within the bounds, inclusive; the account when set. A null merchant
 * matches nothing.
 */
const ruleMatchesSql = sql.raw(`(
  (case r.match_kind
     when 'equals' then
       case r.match_field
         when 'merchant' then lower(t.merchant_name) = lower(r.match_text)
         when 'name' then lower(t.name) = lower(r.match_text)
         else lower(t.merchant_name) = lower(r.match_text) or lower(t.name) = lower(r.match_text) end
     else
       case r.match_field
         when 'merchant' then strpos(lower(t.merchant_name), lower(r.match_text)) > 0
         when 'name' then strpos(lower(t.name), lower(r.match_text)) > 0
         else strpos(lower(t.merchant_name), lower(r.match_text)) > 0
              or strpos(lower(t.name), lower(r.match_text)) > 0 end
   end) is true
  and (r.min_amount is null or t.amount >= r.min_amount)
  and (r.max_amount is null or t.amount <= r.max_amount)
  and (r.account_id is null or t.account_id = r.account_id))`);

/** Applying `r` would change `t`: a field the rule sets differs, and the owner did not set it by hand. */
const ruleChangesSql = sql.raw(`(
  (r.set_category is not null and not ('category' = any(t.manual_fields))
     and t.user_category is distinct from r.set_category)
  or (cardinality(r.add_tags) > 0 and not ('tags' = any(t.manual_fields)) and not (t.user_tags @> r.add_tags))
  or (r.exclude and not ('excluded' = any(t.manual_fields))
     and (not t.excluded or t.excluded_reason is distinct from r.excluded_reason)))`);

/** What applying `r` writes (each field only when the rule sets it and the owner did not set it by hand). */
const ruleSetSql = sql.raw(`
  user_category = case when r.set_category is not null and not ('category' = any(t.manual_fields))
                       then r.set_category else t.user_category end,
  user_tags = case when cardinality(r.add_tags) > 0 and not ('tags' = any(t.manual_fields))
                   then t.user_tags || array(select x from unnest(r.add_tags) as x where not (x = any(t.user_tags)))
                   else t.user_tags end,
  excluded = case when r.exclude and not ('excluded' = any(t.manual_fields)) then true else t.excluded end,
  excluded_reason = case when r.exclude and not ('excluded' = any(t.manual_fields))
                         then r.excluded_reason else t.excluded_reason end,
  edit_version = t.edit_version + 1,
  updated_at = now()`);

function scopeSql(scope: RuleScope): SQL {
  if (scope.kind === 'history') return sql`true`;
  const ids = JSON.stringify(scope.plaidTransactionIds);
  return sql`t.plaid_transaction_id in (select jsonb_array_elements_text(${ids}::jsonb))`;
}

/** The rules of a person (every read takes the user id), and their application to transactions. */
export function createRulesRepository(db: Database) {
  return {
    async create(rule: NewRule): Promise<RuleRow> {
      const [row] = await db.insert(transactionRules).values(rule).returning();
      if (!row) throw new Error('the rule insert returned no row');
      return row;
    },

    /** Oldest first: the order rules are applied in (a later rule's category wins). */
    list(userId: string): Promise<RuleRow[]> {
      return db
        .select()
        .from(transactionRules)
        .where(eq(transactionRules.userId, userId))
        .orderBy(asc(transactionRules.createdAt), asc(transactionRules.id));
    },

    async get(userId: string, id: string): Promise<RuleRow | undefined> {
      const [row] = await db
        .select()
        .from(transactionRules)
        .where(and(eq(transactionRules.userId, userId), eq(transactionRules.id, id)));
      return row;
    },

    async countOf(userId: string): Promise<number> {
      const [row] = await db
        .select({ n: count() })
        .from(transactionRules)
        .where(eq(transactionRules.userId, userId));
      return row?.n ?? 0;
    },

    async delete(userId: string, id: string): Promise<boolean> {
      const deleted = await db
        .delete(transactionRules)
        .where(and(eq(transactionRules.userId, userId), eq(transactionRules.id, id)))
        .returning({ id: transactionRules.id });
      return deleted.length > 0;
    },

    /** The person's transactions (in `scope`) that applying the rule would change: their count and a sample. */
    async wouldChange(
      userId: string,
      ruleId: string,
      scope: RuleScope,
      sampleSize: number,
    ): Promise<{ count: number; sample: string[] }> {
      const rows = await selectRows<{ n: number; sample: string[] | null }>(
        db,
        sql`with hit as (
              select t.id, t.date from transactions t, transaction_rules r
               where r.id = ${ruleId}::uuid and r.user_id = ${userId} and t.user_id = ${userId}
                 and ${scopeSql(scope)} and ${ruleMatchesSql} and ${ruleChangesSql})
            select (select count(*)::int from hit) as n,
                   (select array_agg(id::text) from (
                      select id from hit order by date desc, id desc limit ${sampleSize}) s) as sample`,
      );
      return { count: rows[0]?.n ?? 0, sample: rows[0]?.sample ?? [] };
    },

    /**
     * Applies one rule of the person to the transactions in `scope` that it would change (never to a
     * field set by hand); returns the ids changed. Runs on `db`, which may be the sync's transaction.
     */
    async apply(userId: string, ruleId: string, scope: RuleScope): Promise<string[]> {
      const rows = await selectRows<{ id: string }>(
        db,
        sql`update transactions t set ${ruleSetSql}
              from transaction_rules r
             where r.id = ${ruleId}::uuid and r.user_id = ${userId} and t.user_id = ${userId}
               and ${scopeSql(scope)} and ${ruleMatchesSql} and ${ruleChangesSql}
            returning t.id::text as id`,
      );
      return rows.map((r) => r.id);
    },

    /** The ids of the person's rules, in the order they apply. */
    async ruleIds(userId: string): Promise<string[]> {
      const rows = await db
        .select({ id: transactionRules.id })
        .from(transactionRules)
        .where(eq(transactionRules.userId, userId))
        .orderBy(asc(transactionRules.createdAt), asc(transactionRules.id));
      return rows.map((r) => r.id);
    },
  };
}

export type RulesRepository = ReturnType<typeof createRulesRepository>;

export type { RuleMatchField, RuleMatchKind };
