import type { Command } from 'commander';
import type { JsonFlag } from './options.js';

/** `keys rotate|reencrypt|list`; the work is in ./keys-actions.ts, loaded when a command runs. */
export function addKeysCommands(program: Command, json: JsonFlag): void {
  const keys = program
    .command('keys')
    .description('manage the keys that encrypt Plaid access tokens (docs/security.md)')
    .addHelpText(
      'after',
      '\nNew keys go to DATA_DIR/keyring.json (mode 0600; back it up with the data). ENCRYPTION_KEY_BASE64 ' +
        'always stays loaded\nfor decryption. Running services pick up a rotation without a restart. ' +
        'Key material is never printed.',
    );

  keys
    .command('rotate')
    .description('make a new key active and re-encrypt every stored access token under it (service may run)')
    .option('--key <base64>', 'the new key (32 bytes, base64); default: 32 random bytes, never printed')
    .action(async (opts: { key?: string }) => {
      const { rotateKeys } = await import('./keys-actions.js');
      await rotateKeys(opts, json());
    });

  keys
    .command('reencrypt')
    .description('re-encrypt the access tokens still under older keys, without a new key (service may run)')
    .action(async () => {
      const { reencryptKeys } = await import('./keys-actions.js');
      await reencryptKeys(json());
    });

  keys
    .command('list')
    .description('list the loaded keys, which one is active and how many items use each (never key material)')
    .action(async () => {
      const { listKeys } = await import('./keys-actions.js');
      await listKeys(json());
    });
}
