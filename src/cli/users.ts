/* eslint-disable no-console -- the command line talks to a terminal on purpose (as src/cli.ts) */
import path from 'node:path';
import { Option, type Command } from 'commander';
import { print, table, type JsonFlag } from './options.js';

interface PersonRow {
  id: string;
  email: string;
  created_at: string;
  items: number;
  accounts: number;
  transactions: number;
  last_synced_at: string | null;
}

/** `users create|list|delete|export`. */
export function addUsersCommands(program: Command, json: JsonFlag): void {
  const users = program.command('users').description('manage users');
  users
    .command('create')
    .description('create a user; without --password one is generated and printed once')
    .requiredOption('--email <email>', 'the user email')
    .option('--password <password>', 'the password (at least 12 characters); omit to generate one')
    .action(async (opts: { email: string; password?: string }) => {
      const { runCommand } = await import('./runtime.js');
      const result = (await runCommand('users.create', opts)) as {
        user: { id: string; email: string };
        generated_password: string | null;
      };
      print(result, json(), () =>
        [
          `Created user ${result.user.email} (id ${result.user.id}).`,
          ...(result.generated_password
            ? [`Generated password (shown only now): ${result.generated_password}`]
            : []),
        ].join('\n'),
      );
    });

  users
    .command('list')
    .description('list the users, with how many items, accounts and transactions each has')
    .action(async () => {
      const { runCommand } = await import('./runtime.js');
      const rows = (await runCommand('users.list', {})) as PersonRow[];
      print(rows, json(), () =>
        rows.length === 0
          ? 'No users.'
          : table(
              ['ID', 'EMAIL', 'CREATED', 'ITEMS', 'ACCOUNTS', 'TRANSACTIONS', 'LAST SYNC'],
              rows.map((r) => [
                r.id,
                r.email,
                r.created_at.slice(0, 10),
                String(r.items),
                String(r.accounts),
                String(r.transactions),
                r.last_synced_at ?? '-',
              ]),
            ),
      );
    });

  users
    .command('delete')
    .description(
      "delete a user and all of their data; their items are removed at Plaid first (Plaid's errors are " +
        'reported, not fatal)',
    )
    .argument('<email>', 'the user email')
    .option('--yes', 'confirm: without it nothing is deleted', false)
    .action(async (email: string, opts: { yes: boolean }) => {
      if (!opts.yes) {
        console.error(
          `This deletes ${email} and every row of theirs, for good (take \`finance-api users export\` first).\n` +
            'Run it again with --yes to confirm.',
        );
        process.exitCode = 2;
        return;
      }
      const { runCommand } = await import('./runtime.js');
      const result = (await runCommand('users.delete', { email }, { plaid: true })) as {
        user: { id: string; email: string };
        plaid_available: boolean;
        items: { removed_at_plaid: number; not_removed_at_plaid: number };
        deleted: Record<string, number>;
      };
      print(result, json(), () =>
        [
          `Deleted user ${result.user.email} (id ${result.user.id}).`,
          `Items removed at Plaid: ${result.items.removed_at_plaid}; not removed: ${result.items.not_removed_at_plaid}` +
            (result.plaid_available ? '' : ' (Plaid not reachable from this process)'),
          ...Object.entries(result.deleted).map(([t, n]) => `  ${t}: ${n} row(s)`),
        ].join('\n'),
      );
      if (result.items.not_removed_at_plaid > 0) {
        console.error(
          'Warning: some items were not removed at Plaid (see the log lines above for their codes); ' +
            'remove them in the Plaid dashboard if they still bill.',
        );
      }
    });

  users
    .command('export')
    .description(
      "write all of a user's data to a file: the JSON document of GET /v1/export, or with --format csv " +
        'the zip of one CSV file per section (GET /v1/export?format=csv)',
    )
    .argument('<email>', 'the user email')
    .requiredOption('--out <file>', 'the file to write (mode 0600), e.g. me.json or me.zip')
    .addOption(
      new Option(
        '--format <format>',
        'json: one JSON document; csv: a zip of CSV files (one per section, with a README.txt)',
      )
        .choices(['json', 'csv'])
        .default('json'),
    )
    .action(async (email: string, opts: { out: string; format: 'json' | 'csv' }) => {
      const { runCommand } = await import('./runtime.js');
      const out = path.resolve(opts.out);
      const result = (await runCommand('users.export', { email, out, format: opts.format })) as {
        user: { email: string };
        out: string;
      };
      print(
        result,
        json(),
        () =>
          `Exported ${result.user.email} to ${result.out} (${opts.format === 'csv' ? 'zip of CSV' : 'JSON'}).`,
      );
    });
}
