import type { Config } from '../config/schema.js';
import { EMULATOR_DEFAULT_CLIENT_ID, EMULATOR_DEFAULT_SECRET } from '../emulator/options.js';
import type { Logger } from '../lib/logger.js';
import { createPlaidClient, plaidBasePath, type PlaidClient } from './client.js';
import { startEmbeddedEmulator, type EmbeddedEmulator } from './embedded-emulator.js';

export interface PlaidConnection {
  client: PlaidClient;
  /** The in-process emulator, when emulated and no PLAID_EMULATOR_URL is set. */
  emulator?: EmbeddedEmulator;
  /** Where Plaid is: Plaid's environment, or the emulator's URL. */
  describe: string;
  close(): Promise<void>;
}

/**
 * Plaid for this process: real Plaid with PLAID_CLIENT_ID/PLAID_SECRET; otherwise the emulator at
 * PLAID_EMULATOR_URL, or one started in this process on a loopback port.
 */
export async function connectPlaid(
  config: Pick<Config, 'plaid' | 'plaidTimeoutMs'>,
  logger: Logger,
): Promise<PlaidConnection> {
  const plaid = config.plaid;
  if (plaid.mode === 'plaid') {
    return {
      client: createPlaidClient({
        basePath: plaidBasePath(config),
        clientId: plaid.clientId,
        secret: plaid.secret,
        timeoutMs: config.plaidTimeoutMs,
      }),
      describe: `Plaid ${plaid.env}`,
      close: async () => undefined,
    };
  }
  const emulator = plaid.url ? undefined : await startEmbeddedEmulator(plaid, logger);
  const url = plaid.url ?? emulator!.url;
  return {
    client: createPlaidClient({
      basePath: plaidBasePath(config, url),
      clientId: emulator?.clientId ?? EMULATOR_DEFAULT_CLIENT_ID,
      secret: emulator?.secret ?? EMULATOR_DEFAULT_SECRET,
      timeoutMs: config.plaidTimeoutMs,
    }),
    ...(emulator ? { emulator } : {}),
    describe: `offline emulator at ${url}`,
    close: async () => {
      await emulator?.close();
    },
  };
}
