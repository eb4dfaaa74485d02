import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { runAdminCommand, type AdminCommandName } from './domain/admin/commands.js';
import { composeServices } from './domain/services.js';
import { loadConfig } from './config/load.js';
import { ConfigError, type Config } from './config/schema.js';
import { sendControlCommand } from './control/client.js';
import { openDatabase } from './db/client.js';
import { DataDirLockedError, readLockOwner } from './db/data-dir-lock.js';
import { runMigrations } from './db/migrate.js';
import {
  buildEmulatorApp,
  clockStartOf,
  EMULATOR_DEFAULT_CLIENT_ID,
  EMULATOR_DEFAULT_SECRET,
  FixtureError,
  loadFixture,
} from './emulator/index.js';
import { isAppError } from './errors/app-error.js';
import { errors } from './errors/catalog.js';
import { keyIdOf } from './domain/items/access-token-cipher.js';
import type { ReencryptResult } from './domain/items/key-rotation.js';
import {
  createReloadingAccessTokenCipher,
  isValidKeyBase64,
  keyringPath,
  readKeyring,
  rotateKey,
} from './domain/items/keyring.js';
import { createLogger } from './lib/logger.js';
import { packageVersion } from './lib/package-info.js';
import { main as serve } from './server.js';
import { main as work } from './worker.js';

/**
 * `finance-api`: the operator's command line. Thin: parses arguments, then runs the same admin
 * commands the service exposes on its control socket (src/domain/admin/commands.ts).
 */

async function config(): Promise<Config> {
  return (await loadConfig()).config;
}

/** Runs an admin command directly on the database, or through the running embedded service. */
async function runCommand(name: AdminCommandName, input: Record<string, unknown>): Promise<unknown> {
  const cfg = await config();
  if (cfg.database.kind === 'pglite') {
    const owner = await readLockOwner(cfg.database.dataDir);
    if (owner) {
      if (!owner.controlSocket) {
        throw new Error(`The data directory is held by pid ${owner.pid}, which has no control socket.`);
      }
      return sendControlCommand(owner.controlSocket, name, input);
    }
  }
  const database = await openDatabase(
    cfg.database.kind === 'pglite'
      ? { kind: 'pglite', dataDir: cfg.database.dataDir }
      : { ...cfg.database, poolSize: 2 },
  );
  try {
    await runMigrations(database);
    return await runAdminCommand(composeServices(database.db, cfg), name, input);
  } finally {
    await database.close();
  }
}

function print(value: unknown, json: boolean, human: () => string): void {
  console.log(json ? JSON.stringify(value, null, 2) : human());
}

function portNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('expected a port number from 0 to 65535');
  return n;
}

/** `--today`: a calendar date, checked here so that a bad one is a usage error naming the option. */
function calendarDate(value: string): string {
  try {
    clockStartOf(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
  return value;
}

function wholeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number');
  return n;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
}

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

export function buildCli(): Command {
  const program = new Command('finance-api')
    .description('Finance Aggregation API: run the service and manage users and tokens')
    .version(packageVersion)
    .option('--json', 'print machine-readable JSON', false)
    .showHelpAfterError()
    .addHelpText(
      'after',
      '\nConfiguration comes from the environment and .env (see .env.example).\n' +
        'With the embedded database, user and token commands also work while the service runs.',
    );
  const json = () => Boolean(program.opts<{ json: boolean }>().json);

  program
    .command('serve')
    .description('run the HTTP API (migrations run first); the default of `npm start`')
    .action(async () => {
      await serve();
    });

  program
    .command('worker')
    .description(
      'run the job worker (syncs, webhooks, scheduled refresh) against DATABASE_URL; ' +
        'run several for more throughput (embedded mode needs none: `npm start` runs it)',
    )
    .action(async () => {
      await work();
    });

  program
    .command('migrate')
    .description('apply database migrations and exit')
    .action(async () => {
      const cfg = await config();
      if (cfg.database.kind === 'pglite') {
        const owner = await readLockOwner(cfg.database.dataDir);
        if (owner) {
          console.log(
            `The running service (pid ${owner.pid}) applied migrations when it started; nothing to do.`,
          );
          return;
        }
      }
      const database = await openDatabase(
        cfg.database.kind === 'pglite' ? { kind: 'pglite', dataDir: cfg.database.dataDir } : cfg.database,
      );
      try {
        await runMigrations(database);
        console.log(`Migrations applied (${cfg.database.kind}).`);
      } finally {
        await database.close();
      }
    });

  program
    .command('emulator')
    .description('run the offline Plaid emulator on its own (see docs/emulator.md)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on', (v) => portNumber(v), 4010)
    .option('--fixture <file>', 'serve the items of this JSON fixture instead of generated data')
    .option('--seed <n>', 'seed of the generated data', (v) => wholeNumber(v), 1)
    .option('--client-id <id>', 'the client id it accepts', EMULATOR_DEFAULT_CLIENT_ID)
    .option('--secret <secret>', 'the secret it accepts', EMULATOR_DEFAULT_SECRET)
    .option('--no-rate-limits', "turn off Plaid's per-item and per-client rate limits")
    .option(
      '--today <YYYY-MM-DD>',
      "the emulator's today (default: now); its clock starts at noon UTC that day, so generated " +
        'history ends then and a fixture dated in the past is served as current',
      (v) => calendarDate(v),
    )
    .action(
      async (opts: {
        host: string;
        port: number;
        fixture?: string;
        seed: number;
        clientId: string;
        secret: string;
        rateLimits: boolean;
        today?: string;
      }) => {
        const fixture = opts.fixture ? await loadFixture(opts.fixture) : undefined;
        const app = await buildEmulatorApp({
          clientId: opts.clientId,
          secret: opts.secret,
          seed: opts.seed,
          fixture,
          rateLimits: opts.rateLimits,
          ...(opts.today !== undefined ? { today: opts.today } : {}),
          logger: createLogger(process.env.LOG_LEVEL ?? 'info'),
        });
        await app.listen({ host: opts.host, port: opts.port });
        // The bound port, which differs from --port when that is 0.
        const address = app.server.address();
        const port = typeof address === 'object' && address ? address.port : opts.port;
        const url = `http://${opts.host}:${port}`;
        console.error(
          [
            '',
            `  Plaid emulator at ${url}${opts.fixture ? ` (fixture ${opts.fixture})` : ` (seed ${opts.seed})`}`,
            `  Today:        ${app.emulator.store.clock.today()}${opts.today !== undefined ? ' (--today)' : ''}`,
            `  Credentials:  PLAID-CLIENT-ID ${opts.clientId}, PLAID-SECRET ${opts.secret === EMULATOR_DEFAULT_SECRET ? opts.secret : '(as given)'}`,
            `  Link page:    ${url}/link?token=<link_token>`,
            `  Controls:     ${url}/__emulator/...  (docs/emulator.md)`,
            `  Rate limits:  ${opts.rateLimits ? 'on' : 'off'}`,
            '',
          ].join('\n'),
        );
        const stop = () => {
          void app.close().then(() => process.exit(0));
        };
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      },
    );

  const users = program.command('users').description('manage users');
  users
    .command('create')
    .description('create a user; without --password one is generated and printed once')
    .requiredOption('--email <email>', 'the user email')
    .option('--password <password>', 'the password (at least 12 characters); omit to generate one')
    .action(async (opts: { email: string; password?: string }) => {
      const result = (await runCommand('users.create', opts)) as {
        user: { id: string; email: string };
        generated_password: string | null;
      };
      print(result, json(), () =>
        [
          `Created user ${result.user.email} (id ${result.user.id}).`,
          ...(result.generated_password
            ? [`Generated password (shown only now): ${result.generated_password}`]
            : []),
        ].join('\n'),
      );
    });

  const tokens = program.command('tokens').description('manage personal access tokens');
  tokens
    .command('create')
    .description('create a personal access token for a user; the token is printed once')
    .requiredOption('--email <email>', 'the owner email')
    .requiredOption('--name <name>', 'a name to recognise the token by, e.g. chatgpt')
    .addOption(new Option('--scope <scope>', 'what it may do').choices(['read', 'write']).default('read'))
    .option('--expires-days <days>', 'expire after this many days (default: never)', positiveInt)
    .action(async (opts: { email: string; name: string; scope: string; expiresDays?: number }) => {
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
      const token = (await runCommand('tokens.revoke', { id })) as TokenOut;
      print(token, json(), () => `Revoked token "${token.name}" (${token.id}).`);
    });

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

  addKeysCommands(program, json);
  return program;
}

// ---------------------------------------------------------------------------------------------------------
// `keys`: the keys that encrypt Plaid access tokens at rest (docs/security.md). The key ring is a file in
// DATA_DIR that this process edits itself; the database work (re-encrypting, counting) goes through the
// running embedded service's control socket when it holds the database, and is done here otherwise.

/** Tokens re-encrypted per command (one control-socket request each, so progress can be shown). */
const REENCRYPT_CHUNK = 200;
/** Passes over the table: a later pass catches rows skipped or written under an old key meanwhile. */
const REENCRYPT_PASSES = 3;

interface KeysSession {
  /** Who does the database work: the running service (pid) or this process. */
  via: { kind: 'service'; pid: number } | { kind: 'database' };
  run(name: AdminCommandName, input: Record<string, unknown>): Promise<unknown>;
  close(): Promise<void>;
}

async function openKeysSession(cfg: Config): Promise<KeysSession> {
  if (cfg.database.kind === 'pglite') {
    const owner = await readLockOwner(cfg.database.dataDir);
    if (owner) {
      const socket = owner.controlSocket;
      if (!socket) {
        throw new Error(`The data directory is held by pid ${owner.pid}, which has no control socket.`);
      }
      return {
        via: { kind: 'service', pid: owner.pid },
        run: (name, input) => sendControlCommand(socket, name, input),
        close: async () => undefined,
      };
    }
  }
  const database = await openDatabase(
    cfg.database.kind === 'pglite'
      ? { kind: 'pglite', dataDir: cfg.database.dataDir }
      : { ...cfg.database, poolSize: 2 },
  );
  try {
    await runMigrations(database);
    const services = {
      ...composeServices(database.db, cfg),
      cipher: createReloadingAccessTokenCipher({
        dataDir: cfg.dataDir,
        configKeyBase64: cfg.encryptionKeyBase64,
      }),
    };
    return {
      via: { kind: 'database' },
      run: (name, input) => runAdminCommand(services, name, input),
      close: () => database.close(),
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}

/** Refuses (before the ring changes) when the process doing the work would not follow the key ring. */
async function ensureFollowsKeyRing(session: KeysSession): Promise<void> {
  if (session.via.kind !== 'service') return; // this process: it uses a ring-following cipher
  const status = (await session.run('keys.status', {})) as { followsKeyRing: boolean };
  if (!status.followsKeyRing) {
    throw new Error(
      `The running service (pid ${session.via.pid}) does not follow DATA_DIR/keyring.json, so it could ` +
        'not use a new key. Nothing was changed. Restart it on a version that does, or stop it and run ' +
        'this command again.',
    );
  }
}

async function withKeysSession<T>(cfg: Config, fn: (session: KeysSession) => Promise<T>): Promise<T> {
  const session = await openKeysSession(cfg);
  try {
    return await fn(session);
  } finally {
    await session.close();
  }
}

/** The key new tokens are encrypted with: the ring's active key, or ENCRYPTION_KEY_BASE64 without a ring. */
function activeKeyIdOf(cfg: Config): string {
  return readKeyring(cfg.dataDir)?.activeKeyId ?? keyIdOf(cfg.encryptionKeyBase64);
}

interface ReencryptSummary {
  activeKeyId: string;
  reencrypted: number;
  alreadyCurrent: number;
  skipped: number;
  failed: number;
  failures: ReencryptResult['failures'];
  /** Items still under another key than the active one when the command ended. */
  remaining: number;
}

async function countNotUnder(session: KeysSession, keyId: string): Promise<number> {
  const usage = (await session.run('keys.usage', {})) as { keyId: string; items: number }[];
  return usage.filter((row) => row.keyId !== keyId).reduce((sum, row) => sum + row.items, 0);
}

/** Drives `keys.reencrypt` chunk by chunk, pass after pass, reporting progress on stderr. */
async function reencryptAll(session: KeysSession, activeKeyId: string): Promise<ReencryptSummary> {
  const toDo = await countNotUnder(session, activeKeyId);
  const where = session.via.kind === 'service' ? ` in the running service (pid ${session.via.pid})` : '';
  console.error(`Re-encrypting ${toDo} access token(s) under key ${activeKeyId}${where}…`);
  const summary: ReencryptSummary = {
    activeKeyId,
    reencrypted: 0,
    alreadyCurrent: 0,
    skipped: 0,
    failed: 0,
    failures: [],
    remaining: toDo,
  };
  for (let pass = 1; pass <= REENCRYPT_PASSES; pass++) {
    const thisPass = { skipped: 0, failed: 0, failures: [] as ReencryptResult['failures'] };
    let afterId: string | null = null;
    do {
      const chunk = (await session.run('keys.reencrypt', {
        expectedActiveKeyId: activeKeyId,
        limit: REENCRYPT_CHUNK,
        ...(afterId ? { afterId } : {}),
      })) as ReencryptResult;
      summary.reencrypted += chunk.reencrypted;
      // A pass's first chunk counts the rows already under the key; only the first pass's count is news.
      if (pass === 1 || afterId !== null) summary.alreadyCurrent += chunk.alreadyCurrent;
      thisPass.skipped += chunk.skipped;
      thisPass.failed += chunk.failed;
      thisPass.failures.push(...chunk.failures);
      afterId = chunk.nextAfterId;
      if (toDo > 0) console.error(`  ${summary.reencrypted}/${toDo} re-encrypted`);
    } while (afterId !== null);
    // Failures and skips of the last pass are the ones that still stand.
    Object.assign(summary, thisPass);
    summary.remaining = await countNotUnder(session, activeKeyId);
    if (summary.remaining <= thisPass.failed) break;
  }
  return summary;
}

function describeReencryption(summary: ReencryptSummary): string[] {
  return [
    `Re-encrypted ${summary.reencrypted} token(s); ${summary.alreadyCurrent} already used key ${summary.activeKeyId}; ` +
      `${summary.skipped} skipped (changed meanwhile); ${summary.failed} failed.`,
    ...summary.failures.map((f) => `  item ${f.itemId}: cannot decrypt under key ${f.keyId} (${f.code})`),
  ];
}

/** Exit 1 (and say why on stderr) when tokens are left under older keys. */
function flagRemaining(summary: ReencryptSummary): void {
  if (summary.remaining === 0) return;
  console.error(
    `Warning: ${summary.remaining} item(s) still use older keys` +
      (summary.failed > 0 ? ` (${summary.failed} cannot be decrypted with any loaded key)` : '') +
      '; the old keys stay loaded, so they keep working. See `finance-api keys list`, then run ' +
      '`finance-api keys reencrypt`.',
  );
  process.exitCode = 1;
}

interface KeyListRow {
  id: string;
  active: boolean;
  /** Where the key is loaded from; `unknown` for a key id the database uses but no key is loaded for. */
  source: 'ENCRYPTION_KEY_BASE64' | 'keyring' | 'ENCRYPTION_KEY_BASE64+keyring' | 'unknown';
  createdAt: string | null;
  items: number;
}

function addKeysCommands(program: Command, json: () => boolean): void {
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
      if (opts.key !== undefined && !isValidKeyBase64(opts.key.trim())) {
        throw errors.validationFailed([
          { field: 'key', message: 'expected 32 bytes, base64-encoded (openssl rand -base64 32)' },
        ]);
      }
      const cfg = await config();
      const result = await withKeysSession(cfg, async (session) => {
        await ensureFollowsKeyRing(session);
        const rotated = rotateKey({
          dataDir: cfg.dataDir,
          configKeyBase64: cfg.encryptionKeyBase64,
          ...(opts.key !== undefined ? { newKeyBase64: opts.key } : {}),
        });
        console.error(
          rotated.changed
            ? `New active key ${rotated.keyId} (was ${rotated.previousKeyId}) written to ${keyringPath(cfg.dataDir)}.`
            : `Key ${rotated.keyId} is already the active key.`,
        );
        return {
          previousKeyId: rotated.previousKeyId,
          changed: rotated.changed,
          ...(await reencryptAll(session, rotated.keyId)),
        };
      });
      print(result, json(), () =>
        [
          `Access tokens are encrypted with key ${result.activeKeyId}` +
            (result.changed ? ` (was ${result.previousKeyId}).` : '.'),
          ...describeReencryption(result),
        ].join('\n'),
      );
      flagRemaining(result);
    });

  keys
    .command('reencrypt')
    .description('re-encrypt the access tokens still under older keys, without a new key (service may run)')
    .action(async () => {
      const cfg = await config();
      const result = await withKeysSession(cfg, async (session) => {
        await ensureFollowsKeyRing(session);
        return reencryptAll(session, activeKeyIdOf(cfg));
      });
      print(result, json(), () => describeReencryption(result).join('\n'));
      flagRemaining(result);
    });

  keys
    .command('list')
    .description('list the loaded keys, which one is active and how many items use each (never key material)')
    .action(async () => {
      const cfg = await config();
      const ring = readKeyring(cfg.dataDir);
      const configKeyId = keyIdOf(cfg.encryptionKeyBase64);
      const activeKeyId = ring?.activeKeyId ?? configKeyId;
      const usage = await withKeysSession(
        cfg,
        async (session) => (await session.run('keys.usage', {})) as { keyId: string; items: number }[],
      );
      const count = new Map(usage.map((row) => [row.keyId, row.items]));
      const rows: KeyListRow[] = [];
      const inRing = new Map((ring?.keys ?? []).map((key) => [key.id, key.createdAt]));
      rows.push({
        id: configKeyId,
        active: configKeyId === activeKeyId,
        source: inRing.has(configKeyId) ? 'ENCRYPTION_KEY_BASE64+keyring' : 'ENCRYPTION_KEY_BASE64',
        createdAt: inRing.get(configKeyId) ?? null,
        items: count.get(configKeyId) ?? 0,
      });
      for (const [id, createdAt] of inRing) {
        if (id === configKeyId) continue;
        rows.push({
          id,
          active: id === activeKeyId,
          source: 'keyring',
          createdAt,
          items: count.get(id) ?? 0,
        });
      }
      for (const { keyId, items } of usage) {
        if (keyId === configKeyId || inRing.has(keyId)) continue;
        rows.push({ id: keyId, active: false, source: 'unknown', createdAt: null, items });
      }
      print({ activeKeyId, keys: rows }, json(), () =>
        rows
          .map(
            (r) =>
              `${r.id}  ${r.active ? 'active' : '      '}  ${(r.createdAt ?? '-').padEnd(24)}  ` +
              `${String(r.items).padStart(6)} item(s)  ${r.source === 'unknown' ? 'NOT LOADED: these items cannot be decrypted' : r.source}`,
          )
          .join('\n'),
      );
    });
}
// ------------------------------------------------------------------------------------------------ keys --

function describeError(error: unknown): string {
  if (error instanceof ConfigError) return error.message;
  if (error instanceof DataDirLockedError) return error.message;
  if (error instanceof FixtureError) return error.message;
  if (isAppError(error)) {
    const fields =
      error.extra.errors?.map((e) => `  --${e.field.replace(/^body\./, '')}: ${e.message}`) ?? [];
    return [error.detail, ...fields].filter(Boolean).join('\n');
  }
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
