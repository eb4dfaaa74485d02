import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireDataDirLock, DataDirLockedError, lockFilePath } from '../../src/db/data-dir-lock.js';

describe('data directory lock', () => {
  it('refuses a second holder while the first is alive, and frees on release', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'fa-lock-'));
    const lock = await acquireDataDirLock(dir);
    // Pretend another live process (our parent) holds it.
    await writeFile(lockFilePath(dir), JSON.stringify({ pid: process.ppid, startedAt: 'earlier' }));
    await expect(acquireDataDirLock(dir)).rejects.toBeInstanceOf(DataDirLockedError);
    await expect(acquireDataDirLock(dir)).rejects.toThrow(/in use by another process/);
    await writeFile(lockFilePath(dir), JSON.stringify(lock.owner));
    await lock.release();
    const again = await acquireDataDirLock(dir);
    await again.release();
  });

  it('takes over a stale lock whose process is gone', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'fa-lock-'));
    await writeFile(lockFilePath(dir), JSON.stringify({ pid: 2 ** 22 + 12345, startedAt: 'long ago' }));
    const lock = await acquireDataDirLock(dir);
    expect(JSON.parse(await readFile(lockFilePath(dir), 'utf8')).pid).toBe(process.pid);
    await lock.release();
  });
});
