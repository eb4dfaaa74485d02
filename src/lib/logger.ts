import pino, { type Logger, type LoggerOptions } from 'pino';
import { loggedDatabaseError, withoutStatement } from '../db/errors.js';

/**
 * Paths whose values never reach a log line: credentials, tokens, Plaid secrets. pino's redaction
 * works on these paths in every logged object (request headers, bodies we choose to log, errors).
 */
export const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["plaid-secret"]',
  'req.headers["plaid-verification"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.token',
  '*.access_token',
  '*.accessToken',
  '*.public_token',
  '*.secret',
  '*.client_secret',
  '*.PLAID_SECRET',
  '*.JWT_SECRET_KEY',
  '*.ENCRYPTION_KEY_BASE64',
  'password',
  'token',
  'access_token',
  'accessToken',
  'secret',
  'headers.authorization',
  'headers["PLAID-SECRET"]',
  'headers["plaid-secret"]',
  'config.headers',
  'config.data',
  'err.config',
];

/**
 * The `err` of every log line: for a database error its SQLSTATE, constraint, table and column only
 * (src/db/errors.ts); for any other error its class, code, message and stack, never its other fields
 * (an AxiosError carries the request, with Plaid credentials and access tokens) and never an SQL
 * statement with its parameters.
 */
export function loggableError(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return withoutStatement(value);
  if (!value || typeof value !== 'object') return value;
  const database = loggedDatabaseError(value);
  if (database.code) return database;
  const error = value as {
    name?: unknown;
    message?: unknown;
    code?: unknown;
    stack?: unknown;
    cause?: unknown;
  };
  // drizzle's wrapper (its message is the statement): only what caused it, e.g. the pool's
  // 'timeout exceeded when trying to connect' or a dropped connection, which carry no data.
  if (typeof error.message === 'string' && error.message.startsWith('Failed query:')) {
    return {
      type: 'DrizzleQueryError',
      ...(error.cause !== undefined && depth < 3 ? { cause: loggableError(error.cause, depth + 1) } : {}),
    };
  }
  const text = (field: unknown) => (typeof field === 'string' ? withoutStatement(field) : undefined);
  return {
    type: database.name,
    ...(text(error.message) ? { message: text(error.message) } : {}),
    ...(typeof error.code === 'string' ? { code: error.code } : {}),
    ...(text(error.stack) ? { stack: text(error.stack) } : {}),
  };
}

/**
 * The request of Fastify's request lines: method, path and request id, never the query string (it
 * carries what people search for: `merchant=…`, `q=…`, `min_amount=…`) nor headers.
 */
export function loggableRequest(value: unknown): unknown {
  if (!value || typeof value !== 'object') return value;
  const req = value as { method?: unknown; url?: unknown; id?: unknown };
  const url = typeof req.url === 'string' ? req.url : '';
  const at = url.indexOf('?');
  return {
    method: req.method,
    url: at === -1 ? url : `${url.slice(0, at)}?[query withheld]`,
    ...(req.id !== undefined ? { id: req.id } : {}),
  };
}

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    base: { service: 'finance-api' },
    serializers: { err: loggableError, req: loggableRequest },
    redact: { paths: redactPaths, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return destination ? pino(loggerOptions(level), destination) : pino(loggerOptions(level));
}

export type { Logger };
