import { sql } from 'drizzle-orm';
import { selectRows, type Database } from '../client.js';
import type { OwnerField } from '../schema/index.js';

/** The owner fields an edit sets (absent: unchanged). */
export interface OwnerFieldsChange {
  note?: string | null;
  category?: string | null;
  tags?: string[];
  /** With `excluded`: the reason (null when not excluded). */
  excluded?: { excluded: boolean; reason: string | null };
  merchantName?: string | null;
}

export type EditOutcome =
  | { status: 'updated'; version: number }
  | { status: 'not_found' }
  | { status: 'version_mismatch'; version: number };

/**
 * A removed row's owner fields that are worth keeping: anything set at all (by hand or by a rule; which
 * fields were set by hand travels in manual_fields).
 */
export const HAS_OWNER_FIELDS = sql.raw(`(cardinality(manual_fields) > 0 or user_note is not null
  or user_category is not null or cardinality(user_tags) > 0 or excluded or user_merchant_name is not null)`);

/**
 * `SET` of a transaction (alias `t`) from kept owner fields (alias `k`): per field, a value the owner set
 * by hand on `t` stays; else the kept value when it was set by hand or `t` has none; else `t`'s own (a
 * rule's). The hand-set fields are the union; the version moves past both.
 */
export const MERGE_KEPT_OWNER_FIELDS = sql.raw(`
  user_note = case when 'note' = any(t.manual_fields) then t.user_note
                   when 'note' = any(k.manual_fields) or t.user_note is null then k.user_note
                   else t.user_note end,
  user_category = case when 'category' = any(t.manual_fields) then t.user_category
                       when 'category' = any(k.manual_fields) or t.user_category is null then k.user_category
                       else t.user_category end,
  user_tags = case when 'tags' = any(t.manual_fields) then t.user_tags
                   when 'tags' = any(k.manual_fields) or cardinality(t.user_tags) = 0 then k.user_tags
                   else t.user_tags end,
  excluded = case when 'excluded' = any(t.manual_fields) then t.excluded
                  when 'excluded' = any(k.manual_fields) or not t.excluded then k.excluded
                  else t.excluded end,
  excluded_reason = case when 'excluded' = any(t.manual_fields) then t.excluded_reason
                         when 'excluded' = any(k.manual_fields) or not t.excluded then k.excluded_reason
                         else t.excluded_reason end,
  user_merchant_name = case when 'merchant_name' = any(t.manual_fields) then t.user_merchant_name
                            when 'merchant_name' = any(k.manual_fields) or t.user_merchant_name is null
                            then k.user_merchant_name
                            else t.user_merchant_name end,
  manual_fields = array(select distinct f from unnest(t.manual_fields || k.manual_fields) as f order by f),
  edit_version = greatest(t.edit_version, k.edit_version) + 1,
  updated_at = now()`);

/** The columns of transaction_edits_kept filled from a transactions row (same names). */
export const KEPT_COLUMNS = sql.raw(
  'user_id, plaid_transaction_id, user_note, user_category, user_tags, excluded, excluded_reason, ' +
    'user_merchant_name, manual_fields, edit_version',
);

/** The owner's edits of one transaction (every statement takes the user id). */
export function createTransactionEditsRepository(db: Database) {
  return {
    /**
     * Sets the given owner fields of the person's transaction `id`, marks them set by hand and bumps the
     * version, all under the row's lock; refused when `expectedVersions` is given and holds no longer
     * the row's version.
     */
    async edit(
      userId: string,
      id: string,
      change: OwnerFieldsChange,
      expectedVersions: readonly number[] | undefined,
    ): Promise<EditOutcome> {
      return db.transaction(async (tx) => {
        const [row] = await selectRows<{ version: number }>(
          tx as unknown as Database,
          sql`select edit_version as version from transactions
               where user_id = ${userId} and id = ${id}::uuid for update`,
        );
        if (!row) return { status: 'not_found' } as const;
        if (expectedVersions && !expectedVersions.includes(row.version)) {
          return { status: 'version_mismatch', version: row.version } as const;
        }
        const fields: OwnerField[] = [];
        const sets = [];
        if (change.note !== undefined) {
          fields.push('note');
          sets.push(sql`user_note = ${change.note}`);
        }
        if (change.category !== undefined) {
          fields.push('category');
          sets.push(sql`user_category = ${change.category}`);
        }
        if (change.tags !== undefined) {
          fields.push('tags');
          sets.push(
            sql`user_tags = array(select jsonb_array_elements_text(${JSON.stringify(change.tags)}::jsonb))`,
          );
        }
        if (change.excluded !== undefined) {
          fields.push('excluded');
          sets.push(sql`excluded = ${change.excluded.excluded}, excluded_reason = ${change.excluded.reason}`);
        }
        if (change.merchantName !== undefined) {
          fields.push('merchant_name');
          sets.push(sql`user_merchant_name = ${change.merchantName}`);
        }
        const marked = JSON.stringify(fields);
        const [updated] = await selectRows<{ version: number }>(
          tx as unknown as Database,
          sql`update transactions set ${sql.join(sets, sql`, `)},
                manual_fields = array(select distinct f from unnest(manual_fields ||
                  array(select jsonb_array_elements_text(${marked}::jsonb))) as f order by f),
                edit_version = edit_version + 1, updated_at = now()
              where user_id = ${userId} and id = ${id}::uuid
              returning edit_version as version`,
        );
        if (!updated) return { status: 'not_found' } as const;
        return { status: 'updated', version: updated.version } as const;
      });
    },
  };
}

export type TransactionEditsRepository = ReturnType<typeof createTransactionEditsRepository>;
