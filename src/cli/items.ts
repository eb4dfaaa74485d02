import type { Command } from 'commander';
import { print, table, type JsonFlag } from './options.js';

interface ItemRow {
  id: string;
  email: string;
  institution: string | null;
  status: string;
  products: string[];
  accounts: number;
  last_synced_at: string | null;
  created_at: string;
}

/** `items list`: the linked institutions (never their tokens). */
export function addItemsCommands(program: Command, json: JsonFlag): void {
  const items = program.command('items').description('inspect linked items (one login at one institution)');
  items
    .command('list')
    .description("list the items (every user's, or one user's): institution, status, products, last sync")
    .option('--user <email>', "only this user's items")
    .action(async (opts: { user?: string }) => {
      const { runCommand } = await import('./runtime.js');
      const rows = (await runCommand('items.list', opts.user ? { email: opts.user } : {})) as ItemRow[];
      print(rows, json(), () =>
        rows.length === 0
          ? 'No items.'
          : table(
              ['ID', 'USER', 'INSTITUTION', 'STATUS', 'ACCOUNTS', 'PRODUCTS', 'LAST SYNC'],
              rows.map((r) => [
                r.id,
                r.email,
                r.institution ?? '-',
                r.status,
                String(r.accounts),
                r.products.join(',') || '-',
                r.last_synced_at ?? 'never',
              ]),
            ),
      );
    });
}
