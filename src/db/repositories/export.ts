import { sql, type SQL } from 'drizzle-orm';
import { selectRows, type Database } from '../client.js';

/**
 * A person's own rows, for GET /v1/export and `finance-api users export`: each section read in keyset
 * batches (bounded memory whatever the history's length), every row rendered by PostgreSQL as JSON text
 * (numerics stay exact decimal text, never a JavaScript number), scoped by the owner's id, and without
 * what is secret or bookkeeping: the access token's ciphertext and key id, the password hash, the sync
 * cursor and lock, Plaid's raw copies (`raw`). Another person's row cannot be read: every section's
 * condition is on the owner.
 */

export const exportSectionNames = [
  'user',
  'institutions',
  'items',
  'item_products',
  'accounts',
  'balance_history',
  'transactions',
  'transaction_edits_kept',
  'securities',
  'holdings',
  'holding_snapshots',
  'investment_transactions',
  'liabilities',
  'budgets',
  'rules',
  'sync_runs',
] as const;
export type ExportSectionName = (typeof exportSectionNames)[number];

interface SectionSpec {
  table: string;
  /** The keyset: columns (and their SQL types) that identify a row, in the order of an owner's index. */
  key: [column: string, type: string][];
  /** The owner condition (`$user` is the owner's id). */
  owner: (userId: string) => SQL;
  /** Columns never exported. */
  omit: string[];
}

const ownedBy = (userId: string) => sql`t.user_id = ${userId}::uuid`;

/** Plaid's security ids a person holds, held, or traded. */
const heldSecurities = (userId: string) => sql`t.id in (
  select security_id from holdings where user_id = ${userId}::uuid
  union select security_id from holding_snapshots where user_id = ${userId}::uuid
  union select security_id from investment_transactions where user_id = ${userId}::uuid and security_id is not null)`;

const SECTIONS: Record<ExportSectionName, SectionSpec> = {
  user: {
    table: 'users',
    key: [['id', 'uuid']],
    owner: (u) => sql`t.id = ${u}::uuid`,
    omit: ['password_hash'],
  },
  institutions: {
    table: 'institutions',
    key: [['id', 'text']],
    owner: (u) => sql`t.id in (select institution_id from plaid_items where user_id = ${u}::uuid)`,
    omit: ['raw'],
  },
  items: {
    table: 'plaid_items',
    key: [['id', 'uuid']],
    owner: ownedBy,
    omit: [
      'access_token_ciphertext',
      'access_token_key_id',
      'transactions_cursor',
      'sync_lock_owner',
      'sync_lock_expires_at',
      'sync_lock_run_ids',
    ],
  },
  item_products: {
    table: 'item_products',
    key: [
      ['item_id', 'uuid'],
      ['product', 'text'],
    ],
    owner: ownedBy,
    omit: [],
  },
  accounts: { table: 'accounts', key: [['id', 'uuid']], owner: ownedBy, omit: ['raw'] },
  balance_history: {
    table: 'balance_snapshots',
    key: [
      ['date', 'date'],
      ['account_id', 'uuid'],
    ],
    owner: ownedBy,
    omit: [],
  },
  transactions: {
    table: 'transactions',
    key: [
      ['date', 'date'],
      ['id', 'uuid'],
    ],
    owner: ownedBy,
    omit: ['raw'],
  },
  transaction_edits_kept: {
    table: 'transaction_edits_kept',
    key: [['plaid_transaction_id', 'text']],
    owner: ownedBy,
    omit: [],
  },
  securities: { table: 'securities', key: [['id', 'uuid']], owner: heldSecurities, omit: ['raw'] },
  holdings: {
    table: 'holdings',
    key: [
      ['account_id', 'uuid'],
      ['security_id', 'uuid'],
    ],
    owner: ownedBy,
    omit: ['raw'],
  },
  holding_snapshots: {
    table: 'holding_snapshots',
    key: [
      ['date', 'date'],
      ['account_id', 'uuid'],
      ['security_id', 'uuid'],
    ],
    owner: ownedBy,
    omit: [],
  },
  investment_transactions: {
    table: 'investment_transactions',
    key: [
      ['date', 'date'],
      ['id', 'uuid'],
    ],
    owner: ownedBy,
    omit: ['raw'],
  },
  liabilities: { table: 'liabilities', key: [['id', 'uuid']], owner: ownedBy, omit: [] },
  budgets: {
    table: 'budgets',
    key: [
      ['category', 'text'],
      ['currency', 'text'],
    ],
    owner: ownedBy,
    omit: [],
  },
  rules: { table: 'transaction_rules', key: [['id', 'uuid']], owner: ownedBy, omit: [] },
  sync_runs: {
    table: 'sync_runs',
    key: [
      ['queued_at', 'timestamptz'],
      ['id', 'uuid'],
    ],
    owner: ownedBy,
    omit: [],
  },
};

/** A transaction as the CSV export lists it: every value as PostgreSQL's text. */
export interface TransactionCsvRow {
  id: string;
  date: string;
  authorized_date: string | null;
  account_id: string;
  account_name: string;
  amount: string;
  currency: string | null;
  name: string;
  merchant_name: string | null;
  category: string | null;
  category_detailed: string | null;
  user_category: string | null;
  user_note: string | null;
  /** The owner's tags, `;`-separated. */
  user_tags: string | null;
  user_merchant_name: string | null;
  excluded: string;
  excluded_reason: string | null;
  pending: string;
  transfer_kind: string | null;
}

const BATCH_ROWS = 1000;

/** The job queue's schema (src/jobs/queue.ts `JOBS_SCHEMA`); its jobs name people and items in `data`. */
const JOBS_SCHEMA = 'pgboss';

/** What deleting a person removed, by table (rows that went by cascade are counted too). */
export type DeletedRows = Record<string, number>;

/** A person as `finance-api users list` shows them. */
export interface PersonSummaryRow {
  id: string;
  email: string;
  created_at: string;
  items: number;
  accounts: number;
  transactions: number;
  last_synced_at: string | null;
}

/** An item as `finance-api items list` shows it (never its token). */
export interface ItemListRow {
  id: string;
  user_id: string;
  email: string;
  institution: string | null;
  status: string;
  products: string[];
  accounts: number;
  last_synced_at: string | null;
  created_at: string;
}

/** A sync ledger row as `finance-api sync --wait` follows it. */
export interface RunProgressRow {
  id: string;
  item_id: string;
  product: string;
  status: string;
  added_count: number;
  modified_count: number;
  removed_count: number;
  /** Why it failed or was skipped: Plaid's error code, or ours (src/domain/sync/run-errors.ts). */
  error_code: string | null;
  error_action: string | null;
}

/** An item as its removal at Plaid needs it (its token in the cipher's envelope). */
export interface ItemForRemoval {
  id: string;
  accessTokenCiphertext: string;
  accessTokenKeyId: string;
}

/** The tables whose rows belong to a person (a `user_id` column), as the database says. */
async function ownedTables(db: Database): Promise<string[]> {
  const rows = await selectRows<{ table_name: string }>(
    db,
    sql`select c.table_name from information_schema.columns c
          join information_schema.tables t
            on t.table_schema = c.table_schema and t.table_name = c.table_name and t.table_type = 'BASE TABLE'
         where c.table_schema = 'public' and c.column_name = 'user_id'
         order by c.table_name`,
  );
  return rows.map((row) => row.table_name);
}

/** Types whose text (`::text`) is what their JSON form holds. */
const PLAIN_TEXT_TYPES = new Set([
  'text',
  'character varying',
  'uuid',
  'numeric',
  'integer',
  'bigint',
  'smallint',
  'boolean',
]);

/** A column of a section's table, as information_schema names its type. */
interface ColumnInfo {
  name: string;
  type: string;
}

/**
 * A column as the CSV export writes it, as SQL (identifiers from information_schema, never a request):
 * arrays `;`-joined, a JSON value's text (a JSON array of texts `;`-joined, a JSON string unquoted),
 * types whose text is their JSON form as text, any other (dates and times: ISO 8601 whatever the
 * server's DateStyle) as its JSON form, so that both exports hold the same values.
 */
function csvText({ name, type }: ColumnInfo): SQL {
  const column = sql.raw(`t."${name.replaceAll('"', '""')}"`);
  if (type === 'ARRAY') return sql`array_to_string(${column}, ';')`;
  if (type === 'jsonb' || type === 'json')
    return sql`case when jsonb_typeof(${column}::jsonb) = 'array'
                     and not exists (select 1 from jsonb_array_elements(${column}::jsonb) e
                                      where jsonb_typeof(e) <> 'string')
                    then array_to_string(array(select jsonb_array_elements_text(${column}::jsonb)), ';')
                    else ${column}::jsonb #>> '{}' end`;
  if (PLAIN_TEXT_TYPES.has(type)) return sql`${column}::text`;
  return sql`to_jsonb(${column}) #>> '{}'`;
}

/** Types whose text never needs quoting nor a formula guard in CSV (digits, `-`, `.`, letters). */
const SAFE_CSV_TYPES = new Set(['uuid', 'numeric', 'integer', 'bigint', 'smallint', 'boolean']);

/**
 * A column as one CSV field (RFC 4180), as SQL: empty for null; a text starting with `=`, `+`, `-`, `@`,
 * a tab or a carriage return (and not a negative number) prefixed with `'` so that a spreadsheet does
 * not run it; quoted, its quotes doubled, when it holds `"`, `,` or a line break (as `csvField` in
 * src/domain/export/service.ts writes the transactions-alone CSV).
 */
function csvCell(column: ColumnInfo): SQL {
  // Parenthesised: `||` and `#>>` bind alike, left to right.
  const value = sql`(${csvText(column)})`;
  if (SAFE_CSV_TYPES.has(column.type)) return sql`coalesce(${value}, '')`;
  const guarded = sql`case when ${value} ~ '^[-=+@\t\r]' and ${value} !~ '^-[0-9]' then '''' || ${value} else ${value} end`;
  return sql`case when ${value} is null then ''
                  when ${value} ~ '[",\r\n]' then '"' || replace(${guarded}, '"', '""') || '"'
                  else ${guarded} end`;
}

/**
 * A section's rows in keyset batches of BATCH_ROWS, rendered by PostgreSQL for the batch's rows only:
 * `render` gives the row's value (its JSON text, or an array of its columns' texts).
 */
async function* sectionBatches<T>(
  db: Database,
  userId: string,
  section: ExportSectionName,
  render: SQL,
): AsyncGenerator<T[]> {
  const spec = SECTIONS[section];
  // Identifiers come from the constant table above, never from a request.
  const columns = sql.join(
    spec.key.map(([column]) => sql.raw(`t.${column}`)),
    sql`, `,
  );
  const keyTexts = sql.join(
    spec.key.map(([column]) => sql.raw(`t.${column}::text`)),
    sql`, `,
  );
  let after: string[] | undefined;
  for (;;) {
    const bound = after
      ? sql`and (${columns}) > (${sql.join(
          spec.key.map(([, type], i) => sql`${after![i]}::${sql.raw(type)}`),
          sql`, `,
        )})`
      : sql``;
    // The batch is chosen first and rendered after: values are made for the rows of the batch only,
    // whatever plan the keyset condition gets.
    const rows = await selectRows<{ value: T; keys: string[] }>(
      db,
      sql`select ${render} as value, array[${keyTexts}] as keys
            from (select * from ${sql.raw(spec.table)} t
                   where ${spec.owner(userId)} ${bound}
                   order by ${columns}
                   limit ${BATCH_ROWS}) t
           order by ${columns}`,
    );
    if (rows.length === 0) return;
    yield rows.map((row) => row.value);
    if (rows.length < BATCH_ROWS) return;
    after = rows.at(-1)!.keys;
  }
}

export function createExportRepository(db: Database) {
  return {
    /** The section's rows as JSON texts, batch after batch (keyset order), for the owner only. */
    sectionRows(userId: string, section: ExportSectionName): AsyncGenerator<string[]> {
      const spec = SECTIONS[section];
      const json = spec.omit.reduce<SQL>((row, column) => sql`${row} - ${column}::text`, sql`to_jsonb(t)`);
      return sectionBatches<string>(db, userId, section, sql`(${json})::text`);
    },

    /**
     * The section for CSV: its exported columns (the table's order) and its rows, batch after batch
     * (keyset order), for the owner only, each row one CSV line (no line end) written by PostgreSQL:
     * numerics exact, dates and times ISO 8601, arrays of texts `;`-joined, any other JSON value its
     * JSON text, null an empty field (`csvCell`).
     */
    async sectionCsv(
      userId: string,
      section: ExportSectionName,
    ): Promise<{ columns: string[]; lines: AsyncGenerator<string[]> }> {
      const spec = SECTIONS[section];
      const columns = await selectRows<ColumnInfo>(
        db,
        sql`select column_name as name, data_type as type from information_schema.columns
             where table_schema = 'public' and table_name = ${spec.table}
               and not (column_name = any(${sql.param(spec.omit)}::text[]))
             order by ordinal_position`,
      );
      const line = sql.join(columns.map(csvCell), sql` || ',' || `);
      return {
        columns: columns.map((column) => column.name),
        lines: sectionBatches<string>(db, userId, section, sql`(${line})`),
      };
    },

    // The operator's listings (`finance-api users list`, `items list`, `sync --wait`): across people by
    // design, for the CLI and the control socket only, never reachable from the HTTP API.

    async listPeople(): Promise<PersonSummaryRow[]> {
      return selectRows<PersonSummaryRow>(
        db,
        sql`select u.id::text as id, u.email, to_char(u.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as created_at,
                   (select count(*)::int from plaid_items i where i.user_id = u.id) as items,
                   (select count(*)::int from accounts a where a.user_id = u.id) as accounts,
                   (select count(*)::int from transactions t where t.user_id = u.id) as transactions,
                   (select to_char(max(i.last_synced_at) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
                      from plaid_items i where i.user_id = u.id) as last_synced_at
              from users u order by u.email`,
      );
    },

    async listItems(userId?: string): Promise<ItemListRow[]> {
      return selectRows<ItemListRow>(
        db,
        sql`select i.id::text as id, i.user_id::text as user_id, u.email, n.name as institution, i.status,
                   i.products, (select count(*)::int from accounts a where a.item_id = i.id) as accounts,
                   to_char(i.last_synced_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as last_synced_at,
                   to_char(i.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as created_at
              from plaid_items i join users u on u.id = i.user_id
              left join institutions n on n.id = i.institution_id
             ${userId ? sql`where i.user_id = ${userId}::uuid` : sql``}
             order by u.email, i.created_at, i.id`,
      );
    },

    async findRunsProgress(runIds: string[]): Promise<RunProgressRow[]> {
      if (runIds.length === 0) return [];
      return selectRows<RunProgressRow>(
        db,
        sql`select id::text as id, item_id::text as item_id, product, status, added_count, modified_count,
                   removed_count, coalesce(error->>'errorCode', error->>'code', error->>'name') as error_code,
                   error->>'action' as error_action
              from sync_runs where id = any(${sql.param(runIds)}::uuid[]) order by item_id, product`,
      );
    },

    async listItemsForRemoval(userId: string): Promise<ItemForRemoval[]> {
      return selectRows<ItemForRemoval>(
        db,
        sql`select id::text as id, access_token_ciphertext as "accessTokenCiphertext",
                   access_token_key_id as "accessTokenKeyId"
              from plaid_items where user_id = ${userId}::uuid order by id`,
      );
    },

    /**
     * Deletes the person and everything of theirs in one transaction: the webhook events of their items
     * (which keep Plaid's item id in their body and would only lose the link by `set null`), their jobs in
     * the queue (pending syncs, dead letters, archived jobs: their `data` names the person or the event),
     * then the user row, from which every owned table cascades. Counts the rows per table first.
     */
    async deletePerson(userId: string): Promise<DeletedRows | undefined> {
      return db.transaction(async (tx) => {
        const exists = await selectRows<{ id: string }>(
          tx,
          sql`select id from users where id = ${userId}::uuid for update`,
        );
        if (exists.length === 0) return undefined;
        const deleted: DeletedRows = {};
        for (const table of await ownedTables(tx)) {
          const [row] = await selectRows<{ n: number }>(
            tx,
            sql`select count(*)::int as n from ${sql.identifier(table)} where user_id = ${userId}::uuid`,
          );
          if (row && row.n > 0) deleted[table] = row.n;
        }
        const events = await selectRows<{ id: string }>(
          tx,
          sql`delete from webhook_events
               where item_id in (select id from plaid_items where user_id = ${userId}::uuid)
              returning id::text as id`,
        );
        if (events.length > 0) deleted.webhook_events = events.length;
        const eventIds = events.map((event) => event.id);
        const [queue] = await selectRows<{ job: string | null; archive: string | null }>(
          tx,
          sql`select to_regclass(${`${JOBS_SCHEMA}.job`})::text as job,
                     to_regclass(${`${JOBS_SCHEMA}.archive`})::text as archive`,
        );
        for (const table of [queue?.job, queue?.archive]) {
          if (!table) continue;
          const jobs = await selectRows<{ n: number }>(
            tx,
            sql`with gone as (
                  delete from ${sql.raw(table)}
                   where data->>'userId' = ${userId}
                      or data->>'webhookEventId' = any(${sql.param(eventIds)}::text[])
                  returning 1)
                select count(*)::int as n from gone`,
          );
          const n = jobs[0]?.n ?? 0;
          if (n > 0) deleted[`${table}`] = n;
        }
        await tx.execute(sql`delete from users where id = ${userId}::uuid`);
        return deleted;
      });
    },

    /** The owner's transactions for the CSV export, newest first, batch after batch. */
    async *transactionCsvRows(userId: string): AsyncGenerator<TransactionCsvRow[]> {
      let after: { date: string; id: string } | undefined;
      for (;;) {
        const rows = await selectRows<TransactionCsvRow>(
          db,
          sql`select t.id::text as id, t.date::text as date, t.authorized_date::text as authorized_date,
                     t.account_id::text as account_id, a.name as account_name, t.amount::text as amount,
                     coalesce(t.iso_currency_code, t.unofficial_currency_code) as currency,
                     t.name, t.merchant_name, coalesce(t.user_category, t.category_primary) as category,
                     t.category_detailed, t.user_category, t.user_note,
                     array_to_string(t.user_tags, ';') as user_tags, t.user_merchant_name,
                     t.excluded::text as excluded, t.excluded_reason, t.pending::text as pending,
                     t.transfer_kind
                from transactions t join accounts a on a.id = t.account_id
               where t.user_id = ${userId}::uuid
                 ${after ? sql`and (t.date, t.id) < (${after.date}::date, ${after.id}::uuid)` : sql``}
               order by t.date desc, t.id desc
               limit ${BATCH_ROWS}`,
        );
        if (rows.length === 0) return;
        yield rows;
        if (rows.length < BATCH_ROWS) return;
        const last = rows.at(-1)!;
        after = { date: last.date, id: last.id };
      }
    },
  };
}

export type ExportRepository = ReturnType<typeof createExportRepository>;
