import { mkdir, open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';

/**
 * PGlite must be opened by one process at a time, and nothing in PGlite enforces it (a second opener
 * corrupts the directory). This lock file does: created exclusively, it records the owner's pid; a lock
 * whose pid is gone is stale and taken over.
 */

export interface LockOwner {
  pid: number;
  startedAt: string;
  /** Unix socket of the running service's control channel (the CLI uses it while the lock is held). */
  controlSocket?: string;
}

export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly owner: LockOwner,
  ) {
    super(
      `The data directory ${dataDir} is in use by another process (pid ${owner.pid}, since ${owner.startedAt}). ` +
        'The embedded database can only be opened by one process at a time: stop that process, ' +
        'or use a PostgreSQL server (DATABASE_URL) to run several processes.',
    );
    this.name = 'DataDirLockedError';
  }
}

export interface DataDirLock {
  file: string;
  owner: LockOwner;
  release(): Promise<void>;
}

export function lockFilePath(dataDir: string): string {
  return path.join(path.resolve(dataDir), 'finance-api.lock');
}

export async function readLockOwner(dataDir: string): Promise<LockOwner | undefined> {
  try {
    const owner = JSON.parse(await readFile(lockFilePath(dataDir), 'utf8')) as LockOwner;
    return typeof owner.pid === 'number' && isProcessAlive(owner.pid) ? owner : undefined;
  } catch {
    return undefined;
  }
}

export async function acquireDataDirLock(
  dataDir: string,
  extra: Omit<LockOwner, 'pid' | 'startedAt'> = {},
): Promise<DataDirLock> {
  await mkdir(path.resolve(dataDir), { recursive: true });
  const file = lockFilePath(dataDir);
  const owner: LockOwner = { pid: process.pid, startedAt: new Date().toISOString(), ...extra };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o600);
      await handle.writeFile(JSON.stringify(owner));
      await handle.close();
      return {
        file,
        owner,
        release: async () => {
          const current = await readFile(file, 'utf8').catch(() => '');
          if (current.includes(`"pid":${process.pid},`)) await rm(file, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const existing = await readFile(file, 'utf8')
        .then((text) => JSON.parse(text) as LockOwner)
        .catch(() => undefined);
      if (existing && typeof existing.pid === 'number' && isProcessAlive(existing.pid)) {
        throw new DataDirLockedError(path.resolve(dataDir), existing);
      }
      // Stale (its process is gone) or unreadable: take it over.
      await rm(file, { force: true });
    }
  }
  throw new Error(`Could not lock ${file}`);
}

/** Whether a process with this pid runs (one of another user counts as running). */
export function isProcessAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
