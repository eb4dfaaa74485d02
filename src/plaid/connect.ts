import type { Config } from '../config/schema.js';
import { EMULATOR_DEFAULT_CLIENT_ID, EMULATOR_DEFAULT_SECRET } from '../emulator/options.js';
import type { Logger } from '../lib/logger.js';
import { createPlaidClient, plaidBasePath, type PlaidClient } from './client.js';
import { startEmbeddedEmulator, type EmbeddedEmulator } from './embedded-emulator.js';

export interface PlaidConnection {
  /** Usable at once; with an in-process emulator, calls wait until `start()` has brought it up. */
  client: PlaidClient;
  /** Starts the in-process emulator when there is one (call it after the API listens); idempotent. */
  start(): Promise<void>;
  /** The in-process emulator, once started. */
  readonly emulator: EmbeddedEmulator | undefined;
  /** Where Plaid is: Plaid's environment, or the emulator's URL ('' until it has started). */
  describe(): string;
  close(): Promise<void>;
}

/**
 * A client whose calls wait for the real one: the in-process emulator loads (about a second of module
 * loading) after the API is listening, while the app is already built around this client.
 */
function deferredPlaidClient(ready: Promise<PlaidClient>): PlaidClient {
  let resolved: PlaidClient | undefined;
  void ready.then(
    (client) => (resolved = client),
    () => undefined,
  );
  return new Proxy({} as PlaidClient, {
    get(_target, prop) {
      if (prop === 'basePath') return resolved?.basePath ?? '';
      if (prop === 'then') return undefined; // not a promise itself
      return async (...args: unknown[]) => {
        const client = await ready;
        const method = client[prop as keyof PlaidClient] as unknown as (...a: unknown[]) => unknown;
        return method.apply(client, args);
      };
    },
  });
}

/**
 * Plaid for this process: real Plaid with PLAID_CLIENT_ID/PLAID_SECRET; otherwise the emulator at
 * PLAID_EMULATOR_URL, or one started in this process on a loopback port by `start()`.
 */
export function connectPlaid(
  config: Pick<Config, 'plaid' | 'plaidTimeoutMs'>,
  logger: Logger,
): PlaidConnection {
  const plaid = config.plaid;
  const direct = (basePath: string, clientId: string, secret: string) =>
    createPlaidClient({ basePath, clientId, secret, timeoutMs: config.plaidTimeoutMs });

  if (plaid.mode === 'plaid') {
    return {
      client: direct(plaidBasePath(config), plaid.clientId, plaid.secret),
      start: async () => undefined,
      emulator: undefined,
      describe: () => `Plaid ${plaid.env}`,
      close: async () => undefined,
    };
  }
  if (plaid.url) {
    const url = plaid.url;
    return {
      client: direct(plaidBasePath(config, url), EMULATOR_DEFAULT_CLIENT_ID, EMULATOR_DEFAULT_SECRET),
      start: async () => undefined,
      emulator: undefined,
      describe: () => `offline emulator at ${url}`,
      close: async () => undefined,
    };
  }

  let emulator: EmbeddedEmulator | undefined;
  let starting: Promise<PlaidClient> | undefined;
  let resolveReady!: (client: PlaidClient) => void;
  let rejectReady!: (error: unknown) => void;
  const ready = new Promise<PlaidClient>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  ready.catch(() => undefined); // calls made before a failed start see the error themselves
  return {
    client: deferredPlaidClient(ready),
    start() {
      starting ??= startEmbeddedEmulator(plaid, logger).then(
        (started) => {
          emulator = started;
          const client = direct(plaidBasePath(config, started.url), started.clientId, started.secret);
          resolveReady(client);
          return client;
        },
        (error: unknown) => {
          rejectReady(error);
          throw error;
        },
      );
      return starting.then(() => undefined);
    },
    get emulator() {
      return emulator;
    },
    describe: () => `offline emulator at ${emulator?.url ?? '(starting)'}`,
    close: async () => {
      await emulator?.close();
    },
  };
}
