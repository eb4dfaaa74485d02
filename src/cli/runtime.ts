import { runAdminCommand, type AdminCommandName, type AdminServices } from '../domain/admin/commands.js';
import { composeAdminServices } from '../domain/admin/services.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { sendControlCommand } from '../control/client.js';
import { openDatabase, type DatabaseHandle } from '../db/client.js';
import { readLockOwner } from '../db/data-dir-lock.js';
import { runMigrations } from '../db/migrate.js';
import { createReloadingAccessTokenCipher } from '../domain/items/keyring.js';
import { createLogger } from '../lib/logger.js';

/**
 * What the commands that touch the database share: the configuration, and running an admin command
 * (src/domain/admin/commands.ts) either directly on the database or through the running embedded
 * service's control socket. Loaded only by the commands that need it (never by `--help`).
 */

export async function config(): Promise<Config> {
  return (await loadConfig()).config;
}

/** The running embedded service's control socket, if one holds DATA_DIR; undefined on PostgreSQL. */
export async function runningService(cfg: Config): Promise<{ pid: number; socket: string } | undefined> {
  if (cfg.database.kind !== 'pglite') return undefined;
  const owner = await readLockOwner(cfg.database.dataDir);
  if (!owner) return undefined;
  if (!owner.controlSocket) {
    throw new Error(`The data directory is held by pid ${owner.pid}, which has no control socket.`);
  }
  return { pid: owner.pid, socket: owner.controlSocket };
}

/** Opens and migrates the configured database (this process holds DATA_DIR's lock meanwhile). */
export async function openConfiguredDatabase(cfg: Config): Promise<DatabaseHandle> {
  const database = await openDatabase(
    cfg.database.kind === 'pglite'
      ? { kind: 'pglite', dataDir: cfg.database.dataDir }
      : { ...cfg.database, poolSize: 2 },
  );
  try {
    await runMigrations(database);
    return database;
  } catch (error) {
    await database.close();
    throw error;
  }
}

export interface CommandOptions {
  /** Give the commands Plaid (through our adapter) when this process runs them: `users delete`. */
  plaid?: boolean;
}

/** Runs an admin command directly on the database, or through the running embedded service. */
export async function runCommand(
  name: AdminCommandName,
  input: Record<string, unknown>,
  options: CommandOptions = {},
): Promise<unknown> {
  const cfg = await config();
  const service = await runningService(cfg);
  if (service) return sendControlCommand(service.socket, name, input);
  const database = await openConfiguredDatabase(cfg);
  const logger = createLogger(cfg.logLevel === 'info' ? 'warn' : cfg.logLevel, process.stderr);
  // Plaid where this process can reach it: real Plaid, or an emulator running on its own. The emulator a
  // stopped embedded service ran in its process is gone, and a new one would know none of the items.
  const reachable = cfg.plaid.mode === 'plaid' || cfg.plaid.url !== undefined;
  // Plaid's SDK is large: loaded only by the commands that call Plaid.
  const plaid =
    options.plaid && reachable ? (await import('../plaid/connect.js')).connectPlaid(cfg, logger) : undefined;
  try {
    if (plaid) await plaid.start();
    const services: AdminServices = {
      ...composeAdminServices(database.db, cfg),
      // With Plaid, the access tokens' cipher (ENCRYPTION_KEY_BASE64 and DATA_DIR/keyring.json) to call it.
      ...(plaid
        ? {
            plaid: plaid.client,
            cipher: createReloadingAccessTokenCipher({
              dataDir: cfg.dataDir,
              configKeyBase64: cfg.encryptionKeyBase64,
            }),
          }
        : {}),
      logger,
    };
    return await runAdminCommand(services, name, input);
  } finally {
    await plaid?.close().catch(() => undefined);
    await database.close();
  }
}
