/**
 * Reading the deployment files the way their tools do, for the deploy tests: the Dockerfile's
 * instructions (line continuations joined, comments dropped, JSON or shell form), the compose files'
 * variable interpolation (`${VAR}`, `${VAR:-default}`, `${VAR:?message}`) and `.env` lines.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';

export const root = path.resolve(import.meta.dirname, '../..');

export const readRootFile = (name: string) => readFileSync(path.join(root, name), 'utf8');

export interface Instruction {
  keyword: string;
  /** The text after the keyword, continuations joined. */
  args: string;
  /** The build stage it belongs to (the FROM's `AS` name, else its index). */
  stage: string;
  line: number;
}

/** The Dockerfile's instructions in order. */
export function dockerfileInstructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split('\n');
  let stage = '';
  let stages = 0;
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i]!;
    if (/^\s*(#|$)/.test(line)) continue;
    while (line.trimEnd().endsWith('\\') && i + 1 < lines.length) {
      i += 1;
      const next = lines[i]!;
      if (/^\s*#/.test(next)) continue;
      line = `${line.trimEnd().slice(0, -1)} ${next.trim()}`;
    }
    const match = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!match) throw new Error(`Dockerfile line ${start + 1}: not an instruction`);
    const keyword = match[1]!.toUpperCase();
    const args = match[2]!.trim();
    if (keyword === 'FROM') {
      stage = /\s+AS\s+(\S+)$/i.exec(args)?.[1] ?? String(stages);
      stages += 1;
    }
    out.push({ keyword, args, stage, line: start + 1 });
  }
  return out;
}

/** An exec-form (JSON array) argument list, else undefined. */
export function execForm(args: string): string[] | undefined {
  if (!args.startsWith('[')) return undefined;
  const parsed = JSON.parse(args) as unknown;
  return Array.isArray(parsed) && parsed.every((part) => typeof part === 'string') ? parsed : undefined;
}

/** COPY's flags (`--from=build`) and its sources and destination. */
export function copyArgs(args: string): { from?: string; sources: string[]; destination: string } {
  const words = execForm(args) ?? args.split(/\s+/);
  const flags = words.filter((word) => word.startsWith('--'));
  const paths = words.filter((word) => !word.startsWith('--'));
  const from = flags.find((flag) => flag.startsWith('--from='))?.slice('--from='.length);
  return { ...(from ? { from } : {}), sources: paths.slice(0, -1), destination: paths.at(-1)! };
}

/** `KEY=value` lines of a .env file (comments and blank lines skipped). */
export function dotenvLines(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^\s*([A-Z0-9_]+)=(.*)$/.exec(line);
    if (match) out[match[1]!] = match[2]!.trim();
  }
  return out;
}

export class MissingVariableError extends Error {}

/** Compose's interpolation of one string: `${VAR}`, `${VAR:-default}`, `${VAR:?message}`, `$$`. */
export function interpolate(value: string, vars: Record<string, string | undefined>): string {
  return value.replace(
    /\$\$|\$\{([A-Z0-9_]+)(?:(:?[-?])([^}]*))?\}/g,
    (whole, name: string | undefined, op: string | undefined, rest: string | undefined) => {
      if (whole === '$$') return '$';
      const current = vars[name!];
      const unset = current === undefined || (op?.startsWith(':') === true && current === '');
      if (op?.endsWith('?') && unset) throw new MissingVariableError(`${name}: ${rest}`);
      if (op?.endsWith('-') && unset) return rest ?? '';
      return current ?? '';
    },
  );
}

export interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  env_file?: unknown;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; disable?: boolean };
  restart?: string;
  container_name?: string;
  [key: string]: unknown;
}

export interface ComposeFile {
  name?: string;
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** A compose file with its anchors and merge keys resolved (as compose reads it), not interpolated. */
export function readComposeFile(name: string): ComposeFile {
  return parseYaml(readRootFile(name), { merge: true }) as ComposeFile;
}

/** A service's environment as its container gets it, given the variables compose interpolates from. */
export function serviceEnvironment(
  service: ComposeService,
  vars: Record<string, string | undefined>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(service.environment ?? {}).map(([key, value]) => [key, interpolate(String(value), vars)]),
  );
}
