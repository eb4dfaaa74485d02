import pino, { type Logger, type LoggerOptions } from 'pino';

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

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    base: { service: 'finance-api' },
    redact: { paths: redactPaths, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return destination ? pino(loggerOptions(level), destination) : pino(loggerOptions(level));
}

export type { Logger };
