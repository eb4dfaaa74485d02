import { Option, type Command } from 'commander';
import { positiveInt, print, type JsonFlag } from './options.js';

interface TokenOut {
  id: string;
  name: string;
  prefix: string;
  scope: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
  token?: string;
}

/** `tokens create|list|revoke`: personal access tokens. */
export function addTokensCommands(program: Command, json: JsonFlag): void {
  const tokens = program.command('tokens').description('manage personal access tokens');
  tokens
    .command('create')
    .description('create a personal access token for a user; the token is printed once')
    .requiredOption('--email <email>', 'the owner email')
    .requiredOption('--name <name>', 'a name to recognise the token by, e.g. chatgpt')
    .addOption(new Option('--scope <scope>', 'what it may do').choices(['read', 'write']).default('read'))
    .option('--expires-days <days>', 'expire after this many days (default: never)', positiveInt)
    .action(async (opts: { email: string; name: string; scope: string; expiresDays?: number }) => {
      const { runCommand } = await import('./runtime.js');
      const token = (await runCommand('tokens.create', opts)) as TokenOut;
      print(token, json(), () =>
        [
          `Created token "${token.name}" (${token.scope}, id ${token.id}, expires ${token.expires_at ?? 'never'}).`,
          'Token (shown only now):',
          token.token ?? '',
        ].join('\n'),
      );
    });
  tokens
    .command('list')
    .description("list a user's personal access tokens (never the secrets)")
    .requiredOption('--email <email>', 'the owner email')
    .action(async (opts: { email: string }) => {
      const { runCommand } = await import('./runtime.js');
      const rows = (await runCommand('tokens.list', opts)) as TokenOut[];
      print(rows, json(), () =>
        rows.length === 0
          ? 'No tokens.'
          : rows
              .map(
                (t) =>
                  `${t.id}  ${t.prefix}…  ${t.scope.padEnd(5)}  ${t.revoked_at ? 'revoked' : t.expires_at && new Date(t.expires_at) < new Date() ? 'expired' : 'active '}  ${t.name}`,
              )
              .join('\n'),
      );
    });
  tokens
    .command('revoke')
    .description('revoke a personal access token by id')
    .argument('<id>', 'the token id (from tokens list)')
    .action(async (id: string) => {
      const { runCommand } = await import('./runtime.js');
      const token = (await runCommand('tokens.revoke', { id })) as TokenOut;
      print(token, json(), () => `Revoked token "${token.name}" (${token.id}).`);
    });
}
