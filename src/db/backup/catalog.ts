import { sql } from 'drizzle-orm';
import { selectRows, type Database } from '../client.js';
import type { MigrationLevel } from './format.js';

/**
 * What a backup covers, read from the database itself: every base table of the `public` schema in an
 * order where each comes after the tables its foreign keys point to, with its columns; and the migration
 * level drizzle recorded.
 */

export interface TableColumns {
  name: string;
  columns: string[];
}

export async function backedUpTables(db: Database): Promise<TableColumns[]> {
  const tables = await selectRows<{ name: string; columns: string[] }>(
    db,
    sql`select c.relname as name,
               array(select a.attname::text from pg_attribute a
                      where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
                      order by a.attnum) as columns
          from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relispartition
         order by c.relname`,
  );
  const edges = await selectRows<{ child: string; parent: string }>(
    db,
    sql`select distinct c.relname as child, p.relname as parent
          from pg_constraint k
          join pg_class c on c.oid = k.conrelid join pg_class p on p.oid = k.confrelid
          join pg_namespace n on n.oid = c.relnamespace
         where k.contype = 'f' and n.nspname = 'public' and c.oid <> p.oid`,
  );
  // Parents first (Kahn's algorithm; ties by name, so the order is stable).
  const parents = new Map(tables.map((t) => [t.name, new Set<string>()]));
  for (const edge of edges) parents.get(edge.child)?.add(edge.parent);
  const ordered: TableColumns[] = [];
  const placed = new Set<string>();
  while (ordered.length < tables.length) {
    const next = tables.find(
      (t) => !placed.has(t.name) && [...parents.get(t.name)!].every((p) => placed.has(p) || !parents.has(p)),
    );
    if (!next) throw new Error('the foreign keys between the tables form a cycle');
    placed.add(next.name);
    ordered.push(next);
  }
  return ordered;
}

/** The migrations drizzle applied (`drizzle.__drizzle_migrations`). */
export async function migrationLevel(db: Database): Promise<MigrationLevel> {
  const [row] = await selectRows<{ count: number; last: string | null }>(
    db,
    sql`select count(*)::int as count, max(created_at)::text as last from drizzle.__drizzle_migrations`,
  );
  return { count: row?.count ?? 0, last: Number(row?.last ?? 0) };
}

/** The ids of the keys the stored secrets are encrypted with. */
export async function encryptionKeyIds(db: Database): Promise<string[]> {
  const rows = await selectRows<{ id: string }>(
    db,
    sql`select access_token_key_id as id from plaid_items
        union select encryption_key_id from oauth_signing_keys
        order by 1`,
  );
  return rows.map((row) => row.id);
}
