import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { isAppError } from './errors/app-error.js';
import { packageVersion } from './lib/package-info.js';
import { addBackupCommands } from './cli/backup.js';
import { addItemsCommands } from './cli/items.js';
import { addKeysCommands } from './cli/keys.js';
import { addOAuthCommands } from './cli/oauth.js';
import { addServiceCommands } from './cli/service.js';
import { addSyncCommand } from './cli/sync.js';
import { addTokensCommands } from './cli/tokens.js';
import { addUsersCommands } from './cli/users.js';

/**
 * `finance-api`: the operator's command line. Thin: the command groups (src/cli/*.ts) declare their
 * commands and options with commander alone, and each command imports what it needs when it runs, so
 * `finance-api --help` (and any `--help`) loads neither the database, nor argon2, nor the app. Database
 * commands run the same admin commands the service exposes on its control socket
 * (src/domain/admin/commands.ts).
 */

export function buildCli(): Command {
  const program = new Command('finance-api')
    .description(
      'Finance Aggregation API: run the service and manage users, tokens, items, syncs and backups',
    )
    .version(packageVersion)
    .option('--json', 'print machine-readable JSON', false)
    .showHelpAfterError()
    .addHelpText(
      'after',
      '\nConfiguration comes from the environment and .env (see .env.example).\n' +
        'With the embedded database, user, token, item and sync commands also work while the service runs.\n' +
        'Operations (backup, restore, export, deletion, retention): docs/operations.md.',
    );
  const json = () => Boolean(program.opts<{ json: boolean }>().json);

  addServiceCommands(program);
  addUsersCommands(program, json);
  addTokensCommands(program, json);
  addItemsCommands(program, json);
  addSyncCommand(program, json);
  addBackupCommands(program, json);
  addOAuthCommands(program, json);
  addKeysCommands(program, json);
  return program;
}

/** The message of an error the CLI reports (no stack: these are the operator's problems to fix). */
function describeError(error: unknown): string {
  if (isAppError(error)) {
    const fields =
      error.extra.errors?.map((e) => `  --${e.field.replace(/^body\./, '')}: ${e.message}`) ?? [];
    return [error.detail, ...fields].filter(Boolean).join('\n');
  }
  // ConfigError, DataDirLockedError, FixtureError, BackupFormatError, RestoreRefusedError… say it all.
  return error instanceof Error ? error.message : String(error);
}

export async function runCli(argv: string[] = process.argv): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (error) {
    console.error(`Error: ${describeError(error)}`);
    process.exitCode = isAppError(error) && error.status < 500 ? 2 : 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  void runCli();
}
