/**
 * The Dockerfile, linted (dockerfile-utils, the Docker language server's validator) and held to the rules
 * of issue #14: a build stage that compiles the TypeScript and prunes the development dependencies, a
 * slim Node 22 runtime with production dependencies only, a non-root user, DATA_DIR as a volume, a health
 * check on /readyz, SIGTERM to stop, the compiled entrypoints. No Docker engine runs here: what the image
 * does at run time is test/deploy/container-contract.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { validate, ValidationSeverity } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';
import { copyArgs, dockerfileInstructions, execForm, readRootFile, root } from './deploy-files.js';

const text = readRootFile('Dockerfile');
const instructions = dockerfileInstructions(text);
const stages = [...new Set(instructions.map((instruction) => instruction.stage))];
const runtime = stages.at(-1)!;
const inStage = (stage: string, keyword: string) =>
  instructions.filter((instruction) => instruction.stage === stage && instruction.keyword === keyword);
const one = (stage: string, keyword: string) => {
  const found = inStage(stage, keyword);
  expect(found, `${keyword} in stage ${stage}`).toHaveLength(1);
  return found[0]!;
};

describe('Dockerfile', () => {
  it('passes the linter with no error or warning', () => {
    const problems = validate(text).filter(
      (problem) =>
        problem.severity === ValidationSeverity.ERROR || problem.severity === ValidationSeverity.WARNING,
    );
    expect(problems.map((p) => `line ${p.range.start.line + 1}: ${p.message}`)).toEqual([]);
  });

  it('the linter does flag problems (an unknown instruction, a bad port)', () => {
    const last = text.split('\n').length - 1;
    const flagged = validate(`${text}FROBNICATE x\nEXPOSE notaport\n`).map((p) => p.range.start.line);
    expect(flagged).toEqual(expect.arrayContaining([last, last + 1]));
  });

  it('has a build stage and a slim Node 22 runtime stage', () => {
    expect(stages).toEqual(['build', 'runtime']);
    for (const stage of stages) expect(one(stage, 'FROM').args).toMatch(/^node:22(\.[0-9.]+)?-[a-z]+-slim\b/);
  });

  it('builds in the order npm ci → npm run build → dev dependencies dropped', () => {
    const runs = inStage('build', 'RUN').map((run) => run.args);
    const at = (pattern: RegExp) => runs.findIndex((run) => pattern.test(run));
    const install = at(/^npm ci\b(?!.*--omit)/);
    const build = at(/^npm run build\b/);
    const prune = at(/^npm (prune|ci)\b.*--omit=dev/);
    expect(
      [install, build, prune].every((index) => index >= 0),
      runs.join('\n'),
    ).toBe(true);
    expect(install).toBeLessThan(build);
    expect(build).toBeLessThan(prune);
  });

  it('runs production dependencies only: nothing installed or compiled in the runtime stage', () => {
    expect(inStage(runtime, 'RUN').filter((run) => /\b(npm|npx|tsc|tsx|yarn|pnpm)\b/.test(run.args))).toEqual(
      [],
    );
    const fromBuild = inStage(runtime, 'COPY')
      .map((copy) => copyArgs(copy.args))
      .filter((copy) => copy.from === 'build')
      .flatMap((copy) => copy.sources);
    expect(fromBuild).toEqual(expect.arrayContaining(['/app/node_modules/', '/app/dist/']));
    // The sources and the TypeScript tooling never reach the runtime.
    const fromContext = inStage(runtime, 'COPY')
      .map((copy) => copyArgs(copy.args))
      .filter((copy) => !copy.from)
      .flatMap((copy) => copy.sources);
    expect(fromContext.filter((source) => /^(src|scripts|test)\b|tsconfig/.test(source))).toEqual([]);
  });

  it('runs as a non-root user and keeps DATA_DIR in a volume', () => {
    const user = one(runtime, 'USER').args;
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    const env = inStage(runtime, 'ENV')
      .map((instruction) => instruction.args)
      .join(' ');
    const dataDir = /\bDATA_DIR=(\S+)/.exec(env)?.[1];
    expect(dataDir).toBe('/data');
    expect(/\bHOST=0\.0\.0\.0\b/.test(env), 'listens beyond the container loopback').toBe(true);
    expect(execForm(one(runtime, 'VOLUME').args)).toEqual([dataDir]);
    // The volume is the user's, the app directory is not (chowned once, before USER).
    const chown = inStage(runtime, 'RUN').find((run) => run.args.includes('chown'));
    expect(chown?.args).toMatch(new RegExp(`chown ${user}(:\\S+)? ${dataDir}`));
    expect(chown!.line).toBeLessThan(one(runtime, 'USER').line);
    expect(inStage(runtime, 'COPY').filter((copy) => copy.args.includes('--chown'))).toEqual([]);
  });

  it('checks /readyz, stops on SIGTERM and starts the compiled server', () => {
    const healthcheck = one(runtime, 'HEALTHCHECK').args;
    expect(healthcheck).toMatch(/\bCMD\b/);
    expect(healthcheck).toContain('/readyz');
    expect(one(runtime, 'STOPSIGNAL').args).toBe('SIGTERM');
    expect(execForm(one(runtime, 'CMD').args)).toEqual(['node', 'dist/server.js']);
    expect(inStage(runtime, 'ENTRYPOINT')).toEqual([]);
  });

  it('copies only files that exist in the repository and that .dockerignore lets through', () => {
    const tracked = new Set(
      execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean),
    );
    const ignored = readRootFile('.dockerignore')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#') && !line.startsWith('!'));
    for (const secret of ['.git/', 'node_modules/', '.env', 'data/', 'dist/'])
      expect(ignored).toContain(secret);
    const sources = instructions
      .filter((instruction) => instruction.keyword === 'COPY')
      .map((copy) => copyArgs(copy.args))
      .filter((copy) => !copy.from)
      .flatMap((copy) => copy.sources);
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      const clean = source.replace(/\/$/, '');
      expect(existsSync(path.join(root, clean)), source).toBe(true);
      expect(
        [...tracked].some((file) => file === clean || file.startsWith(`${clean}/`)),
        `${source} is tracked`,
      ).toBe(true);
      expect(
        ignored.some((pattern) => pattern.replace(/\/$/, '') === clean.split('/')[0]),
        `${source} is not excluded by .dockerignore`,
      ).toBe(false);
    }
  });
});
