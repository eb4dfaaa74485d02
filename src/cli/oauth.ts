import { Option, type Command } from 'commander';
import { print, type JsonFlag } from './options.js';

/** `oauth clients create`: the OAuth authorization server's clients (docs/oauth.md). */
export function addOAuthCommands(program: Command, json: JsonFlag): void {
  const oauth = program.command('oauth').description('manage the OAuth authorization server (docs/oauth.md)');
  oauth
    .command('clients')
    .description('manage OAuth clients')
    .command('create')
    .description(
      'register an OAuth client, e.g. for a custom GPT (Actions → OAuth); a secret is printed once',
    )
    .requiredOption('--name <name>', 'the name people see on the consent page')
    .requiredOption(
      '--redirect-uri <uri>',
      'an allowed redirect URI (https, or http on loopback); repeat for more',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--confidential', 'with a client secret (GPT Actions); otherwise public, PKCE only', false)
    .addOption(
      new Option('--resource <resource>', 'what its tokens are for when it does not say')
        .choices(['rest', 'mcp'])
        .default('rest'),
    )
    .action(
      async (opts: { name: string; redirectUri: string[]; confidential: boolean; resource: string }) => {
        const { runCommand } = await import('./runtime.js');
        const client = (await runCommand('oauth.clients.create', opts)) as {
          client_id: string;
          client_secret: string | null;
          token_endpoint_auth_method: string;
          resource: string;
          redirect_uris: string[];
        };
        print(client, json(), () =>
          [
            `Created OAuth client "${opts.name}" for ${client.resource}.`,
            `Client ID: ${client.client_id}`,
            ...(client.client_secret
              ? [
                  `Client secret (shown only now): ${client.client_secret}`,
                  `Token endpoint authentication: ${client.token_endpoint_auth_method} (GPT Actions: "Default (POST request)")`,
                ]
              : ['Public client: no secret; it must use PKCE (S256).']),
            `Redirect URIs: ${client.redirect_uris.join(', ')}`,
          ].join('\n'),
        );
      },
    );
}
