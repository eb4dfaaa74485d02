import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { runAdminCommand, type AdminCommandName } from './domain/admin/commands.js';
import { createServices } from './domain/services.js';
import { loadConfig } from './config/load.js';
import { ConfigError, type Config } from './config/schema.js';
import { sendControlCommand } from './control/client.js';
import { openDatabase } from './db/client.js';
import { DataDirLockedError, readLockOwner } from './db/data-dir-lock.js';
import { runMigrations } from './db/migrate.js';
import {
  buildEmulatorApp,
  EMULATOR_DEFAULT_CLIENT_ID,
  EMULATOR_DEFAULT_SECRET,
  FixtureError,
  loadFixture,
} from './emulator/index.js';
import { isAppError } from './errors/app-error.js';
import { createLogger } from './lib/logger.js';
import { packageVersion } from './lib/package-info.js';
import { main as serve } from './server.js';

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
    return await runAdminCommand(createServices(database.db, cfg), name, input);
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
    .action(
      async (opts: {
        host: string;
        port: number;
        fixture?: string;
        seed: number;
        clientId: string;
        secret: string;
        rateLimits: boolean;
      }) => {
        const fixture = opts.fixture ? await loadFixture(opts.fixture) : undefined;
        const app = await buildEmulatorApp({
          clientId: opts.clientId,
          secret: opts.secret,
          seed: opts.seed,
          fixture,
          rateLimits: opts.rateLimits,
          logger: createLogger(process.env.LOG_LEVEL ?? 'info'),
        });
        await app.listen({ host: opts.host, port: opts.port });
        const url = `http://${opts.host}:${opts.port}`;
        console.error(
          [
            '',
            `  Plaid emulator at ${url}${opts.fixture ? ` (fixture ${opts.fixture})` : ` (seed ${opts.seed})`}`,
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

  return program;
}

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
