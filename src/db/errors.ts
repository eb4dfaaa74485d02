/**
 * Database errors as a log line may show them: PostgreSQL's SQLSTATE, the constraint, table and column
 * it names, and the error class — never the statement, its parameters or the server's message (which
 * quotes values: `Key (email)=(a@b.c) already exists`). drizzle wraps driver errors (DrizzleQueryError:
 * its message is the whole statement with its parameters); the driver's error is its `cause`.
 */

export interface LoggedDatabaseError {
  /** The error class: `DatabaseError` (node-postgres and PGlite), `DrizzleQueryError`, `TypeError`, … */
  name: string;
  /** SQLSTATE, e.g. `23505` (unique violation), `40P01` (deadlock), `57014` (cancelled). */
  code?: string;
  constraint?: string;
  table?: string;
  column?: string;
  /** The server's message only for errors whose message carries no value: class 08/53/57 (connection, resources, operator). */
  message?: string;
}

/** drizzle's wrapper message is the statement and its parameters: `Failed query: insert … params: …`. */
export function withoutStatement(text: string): string {
  const at = text.indexOf('Failed query:');
  return at === -1 ? text : `${text.slice(0, at)}Failed query: [statement withheld]`;
}

const SAFE_MESSAGE_CLASSES = ['08', '53', '57', '58'];

function field(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value.slice(0, 120) : undefined;
}

function driverError(error: unknown): Record<string, unknown> | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const candidate = current as Record<string, unknown>;
    if (typeof candidate.code === 'string' && /^[0-9A-Z]{5}$/.test(candidate.code)) return candidate;
    current = candidate.cause;
  }
  return undefined;
}

/** What of `error` may be logged. Safe for any thrown value, database or not. */
export function loggedDatabaseError(error: unknown): LoggedDatabaseError {
  const name = error instanceof Error ? error.name : typeof error;
  const driver = driverError(error);
  if (!driver) return { name };
  const code = field(driver.code);
  const message = code && SAFE_MESSAGE_CLASSES.includes(code.slice(0, 2)) ? field(driver.message) : undefined;
  return {
    name: driver instanceof Error ? driver.name : name,
    ...(code ? { code } : {}),
    ...(field(driver.constraint) ? { constraint: field(driver.constraint) } : {}),
    ...(field(driver.table) ? { table: field(driver.table) } : {}),
    ...(field(driver.column) ? { column: field(driver.column) } : {}),
    ...(message ? { message } : {}),
  };
}
