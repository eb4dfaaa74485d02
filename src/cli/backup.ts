import type { Command } from 'commander';
import type { JsonFlag } from './options.js';

/** `backup --out FILE`, `restore --in FILE [--yes]`; the work is in ./backup-actions.ts. */
export function addBackupCommands(program: Command, json: JsonFlag): void {
  program
    .command('backup')
    .description(
      "write every table of the database (embedded or DATABASE_URL) to a gzip'd file of our own format; " +
        'no pg_dump needed (docs/operations.md)',
    )
    .requiredOption('--out <file>', 'the backup file to write (mode 0600), e.g. finance-2026-12-02.fab.gz')
    .addHelpText(
      'after',
      '\nPlaid access tokens stay encrypted in the backup: they work after a restore only with the same\n' +
        'ENCRYPTION_KEY_BASE64 (and DATA_DIR/keyring.json, DATA_DIR/secrets.json in embedded mode): keep those ' +
        'with it.\nWith the embedded database, stop the service first (it holds DATA_DIR).',
    )
    .action(async (opts: { out: string }) => {
      const { runBackup } = await import('./backup-actions.js');
      await runBackup(opts.out, json());
    });

  program
    .command('restore')
    .description(
      'restore a backup into the configured database (embedded or DATABASE_URL), all or nothing; refuses ' +
        'a backup from a newer schema and a database that has data unless --yes',
    )
    .requiredOption('--in <file>', 'the backup file (from `finance-api backup`)')
    .option(
      '--yes',
      'replace the data the database already has (it is deleted first, in the same transaction)',
      false,
    )
    .addHelpText(
      'after',
      '\nStop the service and its workers first. Restored Plaid access tokens are usable only with the\n' +
        'ENCRYPTION_KEY_BASE64 (and key ring) of the installation that made the backup.',
    )
    .action(async (opts: { in: string; yes: boolean }) => {
      const { runRestore } = await import('./backup-actions.js');
      await runRestore(opts.in, opts.yes, json());
    });
}
