import type { Config } from '../config/schema.js';
import type { Logger } from '../lib/logger.js';

export interface EmbeddedEmulator {
  url: string;
  clientId: string;
  secret: string;
  close(): Promise<void>;
}

/**
 * Without Plaid keys the service talks to the offline emulator, run in this process on a loopback port
 * (PLAID_EMULATOR_PORT, default a free one). Its controls are on, as in the Sandbox it stands in for.
 */
export async function startEmbeddedEmulator(
  plaid: Extract<Config['plaid'], { mode: 'emulator' }>,
  logger: Logger,
): Promise<EmbeddedEmulator> {
  // Loaded on demand: a service with real Plaid keys never loads the emulator.
  const { buildEmulatorApp, EMULATOR_DEFAULT_CLIENT_ID, EMULATOR_DEFAULT_SECRET } =
    await import('../emulator/index.js');
  const app = await buildEmulatorApp({
    clientId: EMULATOR_DEFAULT_CLIENT_ID,
    secret: EMULATOR_DEFAULT_SECRET,
    seed: plaid.seed,
    logger: logger.child({ component: 'plaid-emulator' }),
  });
  await app.listen({ host: '127.0.0.1', port: plaid.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : plaid.port;
  return {
    url: `http://127.0.0.1:${port}`,
    clientId: EMULATOR_DEFAULT_CLIENT_ID,
    secret: EMULATOR_DEFAULT_SECRET,
    close: () => app.close(),
  };
}
