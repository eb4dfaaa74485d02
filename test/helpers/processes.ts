import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
/**
 * `node --import tsx <script>`: the process IS the service (the tsx command would be a wrapper around a
 * second process, so a SIGKILL would kill the wrapper and leave the service running).
 */
const node = (args: string[], env: NodeJS.ProcessEnv) =>
  spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: root, env });
/** `node <script>` for the JavaScript launchers in bin/ (`npm start` is `node bin/start.js`). */
const plainNode = (args: string[], env: NodeJS.ProcessEnv) =>
  spawn(process.execPath, args, { cwd: root, env });

/** How a server process is started: `src/server.ts` through tsx, or as `npm start` does (bin/start.js). */
export type ServerEntry = 'source' | 'start-command';

export interface ServiceProcess {
  process: ChildProcess;
  output(): string;
  /** Sends the signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

export interface ServerProcess extends ServiceProcess {
  url: string;
}

export type WorkerProcess = ServiceProcess;

function baseEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const { DATABASE_URL: _db, PORT: _port, DATA_DIR: _dir, ...rest } = process.env;
  return { ...rest, LOG_LEVEL: 'info', ...env };
}

/** Starts a service script as its own process; resolves when its output matches `ready`. */
async function startService(
  script: string,
  env: NodeJS.ProcessEnv,
  ready: RegExp,
  timeoutMs: number,
  spawnNode = node,
): Promise<ServiceProcess & { match: RegExpExecArray }> {
  const child = spawnNode([script], env);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start:\n${output}`)), timeoutMs);
    const check = () => {
      const found = ready.exec(output);
      if (found) {
        clearTimeout(timer);
        resolve(found);
      }
    };
    child.stderr.on('data', check);
    child.stdout.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code}:\n${output}`));
    });
  });
  return {
    match,
    process: child,
    output: () => output,
    exited,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Starts `src/server.ts` as its own process and waits for its banner (the URL it listens on). */
export async function startServerProcess(
  env: Record<string, string>,
  timeoutMs = 30_000,
  entry: ServerEntry = 'source',
): Promise<ServerProcess> {
  const { match, ...service } = await startService(
    entry === 'source' ? 'src/server.ts' : 'bin/start.js',
    baseEnv({ PORT: '0', ...env }),
    /running at (http:\/\/\S+)/,
    timeoutMs,
    entry === 'source' ? node : plainNode,
  );
  return { ...service, url: match[1]! };
}

/** Starts `finance-api worker` (src/worker.ts) as its own process and waits until it says it runs. */
export async function startWorkerProcess(
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<WorkerProcess> {
  const { match: _match, ...service } = await startService(
    'src/worker.ts',
    baseEnv(env),
    /finance-api worker is running/,
    timeoutMs,
  );
  return service;
}

/** Runs a process to completion (the CLI, or a server expected to fail): `node --import tsx <args>`. */
export function runProcess(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 60_000,
  spawnNode = node,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawnNode(args, baseEnv(env));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out: ${args.join(' ')}\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export const runCli = (args: string[], env: Record<string, string>) =>
  runProcess(['src/cli.ts', ...args], env);

/** The package's command as installed (`finance-api …`, bin/finance-api.js), without tsx. */
export const runPackageCommand = (args: string[], env: Record<string, string>, timeoutMs = 60_000) =>
  runProcess(['bin/finance-api.js', ...args], env, timeoutMs, plainNode);
