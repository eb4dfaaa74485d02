import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { copyTemplateIntoFreshDirectory } from '../../src/db/pglite-template.js';

describe('the embedded database template', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const fresh = () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fa-template-'));
    dirs.push(dir);
    return dir;
  };

  it('never copies into a directory that holds anything', async () => {
    const dir = fresh();
    writeFileSync(path.join(dir, 'PG_VERSION'), '17\n');
    expect(await copyTemplateIntoFreshDirectory(dir)).toBe(false);
    expect(readdirSync(dir)).toEqual(['PG_VERSION']);
  });

  it('copies the installed migrated template into a fresh directory', async () => {
    const dir = fresh();
    expect(await copyTemplateIntoFreshDirectory(dir)).toBe(true);
    expect(readdirSync(dir)).toEqual(expect.arrayContaining(['PG_VERSION', 'base', 'global']));
  });

  it('leaves the directory empty (initdb runs instead) when the copy fails half way', async () => {
    const template = fresh();
    writeFileSync(path.join(template, 'PG_VERSION'), '17\n');
    const dir = fresh();
    // A copy that fails after writing part of the cluster (an unreadable file of another user's install).
    const failingCopy = (_from: string, to: string) => {
      writeFileSync(path.join(to, 'PG_VERSION'), '17\n');
      mkdirSync(path.join(to, 'base'));
      throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    };
    expect(await copyTemplateIntoFreshDirectory(dir, template, failingCopy)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('does nothing without a template', async () => {
    const dir = fresh();
    expect(await copyTemplateIntoFreshDirectory(dir, path.join(dir, 'missing'))).toBe(false);
  });
});
