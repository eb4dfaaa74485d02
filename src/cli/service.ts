/* eslint-disable no-console -- the command line talks to a terminal on purpose (as src/cli.ts) */
import type { Command } from 'commander';
import { EMULATOR_DEFAULT_CLIENT_ID, EMULATOR_DEFAULT_SECRET } from '../emulator/options.js';
import { calendarDate, portNumber, wholeNumber } from './options.js';

/** `serve`, `worker`, `migrate`, `emulator`: the processes. Each loads its entrypoint when it runs. */
export function addServiceCommands(program: Command): void {
  program
    .command('serve')
    .description('run the HTTP API (migrations run first); the default of `npm start`')
    .action(async () => {
      const { main } = await import('../server.js');
      await main();
    });

  program
    .command('worker')
    .description(
      'run the job worker (syncs, webhooks, scheduled refresh, retention) against DATABASE_URL; ' +
        'run several for more throughput (embedded mode needs none: `npm start` runs it)',
    )
    .action(async () => {
      const { main } = await import('../worker.js');
      await main();
    });

  program
    .command('migrate')
    .description('apply database migrations and exit')
    .action(async () => {
      const { config, runningService, openConfiguredDatabase } = await import('./runtime.js');
      const cfg = await config();
      const service = await runningService(cfg);
      if (service) {
        console.log(
          `The running service (pid ${service.pid}) applied migrations when it started; nothing to do.`,
        );
        return;
      }
      const database = await openConfiguredDatabase(cfg);
      await database.close();
      console.log(`Migrations applied (${cfg.database.kind}).`);
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
        const [{ buildEmulatorApp, loadFixture }, { createLogger }] = await Promise.all([
          import('../emulator/index.js'),
          import('../lib/logger.js'),
        ]);
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
}
