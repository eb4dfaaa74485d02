import { createHash } from 'node:crypto';
import type pg from 'pg';

/**
 * Server-side prepared statements for the reads the service repeats (PostgreSQL server mode).
 *
 * Every answer is a handful of parameterized SELECTs whose text never changes (drizzle sends values as
 * parameters). Sent unnamed, PostgreSQL parses, analyzes and plans each one on every request: for the
 * small reads of a typical person that costs as much as running them (0.2–0.3 ms of planning against
 * 0.1 ms of execution for the accounts or a transactions page, EXPLAIN ANALYZE). Named, each connection
 * parses a statement once, and after a few executions the plan is cached too.
 *
 * Only parameterized SELECT/WITH statements are named (writes with a varying number of rows have a new
 * text every time), at most MAX_NAMED distinct texts per process and none longer than MAX_TEXT, so the
 * statements a connection keeps stay bounded. The name is a hash of the text: one text, one name.
 * `DATABASE_PREPARED_STATEMENTS=false` turns it off (a transaction-mode PgBouncer in front of PostgreSQL
 * older than 1.21 does not support named statements).
 */
const MAX_NAMED = 2_000;
const MAX_TEXT = 16_384;
const READ = /^\s*(select|with)\b/i;

const names = new Map<string, string>();

function nameFor(text: string): string | undefined {
  const known = names.get(text);
  if (known !== undefined) return known;
  if (names.size >= MAX_NAMED || text.length > MAX_TEXT || !READ.test(text)) return undefined;
  const name = `fa_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
  names.set(text, name);
  return name;
}

interface QueryConfig {
  text?: unknown;
  name?: unknown;
  values?: unknown;
  submit?: unknown;
}

/** The arguments of `client.query(...)` with a name added when the statement is a repeated read. */
export function namedReadArguments(args: unknown[]): unknown[] {
  const [first, second, ...rest] = args;
  if (typeof first === 'string') {
    if (!Array.isArray(second) || second.length === 0) return args;
    const name = nameFor(first);
    return name ? [{ text: first, values: second, name }, ...rest] : args;
  }
  if (first === null || typeof first !== 'object') return args;
  const config = first as QueryConfig;
  if (typeof config.text !== 'string' || config.name !== undefined || config.submit !== undefined)
    return args;
  const values = config.values ?? (Array.isArray(second) ? second : undefined);
  if (!Array.isArray(values) || values.length === 0) return args;
  const name = nameFor(config.text);
  return name ? [{ ...config, name }, ...args.slice(1)] : args;
}

/** Makes every connection of `pool` name its repeated reads (see above). */
export function prepareRepeatedReads(pool: pg.Pool): void {
  pool.on('connect', (client: pg.PoolClient) => {
    // The class's own method, looked up at each call (not bound once): whatever wraps the driver's
    // prototype later (a test recording statements, an instrumentation library) still sees every query.
    const prototype = Object.getPrototypeOf(client) as { query: (...args: unknown[]) => unknown };
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) =>
      prototype.query.apply(client, namedReadArguments(args));
  });
}
