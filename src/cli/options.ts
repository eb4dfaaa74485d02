/* eslint-disable no-console -- the command line talks to a terminal on purpose (as src/cli.ts) */
import { InvalidArgumentError } from 'commander';
import { clockStartOf } from '../emulator/core/clock.js';

/**
 * Option parsers and output helpers of the command line. Light on purpose: `finance-api --help` loads
 * this, commander and the command modules' definitions, never the database, argon2 or the app.
 */

export function portNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('expected a port number from 0 to 65535');
  return n;
}

/** `--today`: a calendar date, checked here so that a bad one is a usage error naming the option. */
export function calendarDate(value: string): string {
  try {
    clockStartOf(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
  return value;
}

export function wholeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number');
  return n;
}

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
}

/** Whether the program was given `--json`. */
export type JsonFlag = () => boolean;

export function print(value: unknown, json: boolean, human: () => string): void {
  console.log(json ? JSON.stringify(value, null, 2) : human());
}

/** Rows as aligned text columns under a header (the human form of the list commands). */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
