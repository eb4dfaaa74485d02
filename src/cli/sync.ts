import { InvalidArgumentError, type Command } from 'commander';
import { positiveInt, type JsonFlag } from './options.js';

/** `sync [--user EMAIL] [--item ID] [--wait]`; the work is in ./sync-actions.ts, loaded when it runs. */
export function addSyncCommand(program: Command, json: JsonFlag): void {
  program
    .command('sync')
    .description(
      "ask for a sync of every item (or one user's, or one item); with --wait, show each item's progress " +
        'until its runs finish and exit 1 if any failed',
    )
    .option('--user <email>', "only this user's items")
    .option('--item <id>', 'only this item (its id, from `items list`)', (value: string) => {
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value))
        throw new InvalidArgumentError('expected an item id (UUID)');
      return value;
    })
    .option('--wait', 'follow the runs until they finish', false)
    .option('--timeout <seconds>', 'with --wait: give up after this long (exit 1)', positiveInt, 1800)
    .addHelpText(
      'after',
      "\nThe syncs run in the service's workers: with the embedded database the service must be running " +
        '(npm start);\nwith DATABASE_URL, a `finance-api worker` (or an API with JOBS_IN_PROCESS=true).',
    )
    .action(async (opts: { user?: string; item?: string; wait: boolean; timeout: number }) => {
      const { runSync } = await import('./sync-actions.js');
      await runSync(opts, json());
    });
}
