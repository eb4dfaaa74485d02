import cronParser from 'cron-parser';
import { z } from 'zod';

/**
 * The service's configuration: one schema, parsed once at boot (see `loadConfig` in ./load.ts),
 * then passed down. Feature code never reads `process.env`.
 */

const booleanString = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'expected true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

const base64Key32 = z
  .string()
  .trim()
  .refine((value) => Buffer.from(value, 'base64').length === 32, {
    message: 'expected 32 random bytes, base64-encoded (openssl rand -base64 32)',
  });

const CACHE_SECONDS = 'expected whole seconds from 0 (no cache) to 3600';

const RETENTION_DAYS = 'expected whole days from 0 (keep forever) to 36500';

/** How long the retention job keeps rows of a kind (docs/operations.md#retention); 0 keeps them forever. */
const retentionDays = (defaultDays: number) =>
  optionalString.pipe(
    z.coerce
      .number<string | undefined>({ message: RETENTION_DAYS })
      .int({ message: RETENTION_DAYS })
      .min(0, { message: RETENTION_DAYS })
      .max(36_500, { message: RETENTION_DAYS })
      .default(defaultDays),
  );

/** A cache's lifetime: 0 turns it off; empty means the default, not 0, so a blank line cannot turn it off. */
const cacheSeconds = () =>
  optionalString.pipe(
    z.coerce
      .number<string | undefined>({ message: CACHE_SECONDS })
      .int({ message: CACHE_SECONDS })
      .min(0, { message: CACHE_SECONDS })
      .max(3600, { message: CACHE_SECONDS })
      .default(60),
  );

export const configSchema = z
  .object({
    HOST: z.string().trim().min(1).default('127.0.0.1'),
    PORT: z.coerce
      .number({ message: 'expected a port number' })
      .int()
      .min(0)
      .max(65535, { message: 'expected a port number from 0 to 65535' })
      .default(8000),
    PUBLIC_URL: optionalString.pipe(z.url({ message: 'expected an absolute http(s) URL' }).optional()),
    DATABASE_URL: optionalString.pipe(
      z
        .string()
        .regex(/^postgres(ql)?:\/\//, { message: 'expected a postgres:// or postgresql:// URL' })
        .optional(),
    ),
    DATABASE_PREPARED_STATEMENTS: booleanString.default(true),
    DATA_DIR: z.string().trim().min(1).default('./data'),
    JWT_SECRET_KEY: optionalString.pipe(
      z.string().min(32, { message: 'expected at least 32 characters of random text' }).optional(),
    ),
    JWT_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(900),
    ENCRYPTION_KEY_BASE64: optionalString.pipe(base64Key32.optional()),
    PLAID_CLIENT_ID: optionalString,
    PLAID_SECRET: optionalString,
    PLAID_EMULATOR_PORT: z.coerce
      .number({ message: 'expected a port number' })
      .int()
      .min(0)
      .max(65535, { message: 'expected a port number from 0 to 65535' })
      .default(0),
    PLAID_EMULATOR_SEED: z.coerce.number({ message: 'expected a whole number' }).int().min(0).default(1),
    /** An emulator that already runs elsewhere (`finance-api emulator`): used instead of an in-process one. */
    PLAID_EMULATOR_URL: optionalString.pipe(
      z.url({ message: 'expected an absolute http(s) URL' }).optional(),
    ),
    PLAID_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(300_000).default(60_000),
    PLAID_ENV: z
      .enum(['sandbox', 'production'], { message: 'expected sandbox or production' })
      .default('sandbox'),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
        message: 'expected one of fatal, error, warn, info, debug, trace, silent',
      })
      .default('info'),
    ALLOW_REGISTRATION: booleanString.default(false),
    CORS_ORIGINS: z
      .string()
      .default('')
      .transform((value) =>
        value
          .split(',')
          .map((origin) => origin.trim())
          .filter((origin) => origin !== ''),
      ),
    BODY_LIMIT_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .max(50 * 1024 * 1024)
      .default(1024 * 1024),
    AUTH_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(10),
    /** OAuth dynamic client registrations per client address per minute (docs/oauth.md). */
    OAUTH_REGISTRATION_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(10),
    /** Tests only: client ID metadata documents may come from loopback https servers this CA signed. */
    OAUTH_CIMD_TEST_LOOPBACK_CA_FILE: optionalString,
    /** 0 turns the cache off; empty means the default, not 0, so that a blank line cannot turn it off. */
    AUTH_TOKEN_CACHE_SECONDS: cacheSeconds(),
    /** Like AUTH_TOKEN_CACHE_SECONDS, for each user's item health (the `freshness` of read responses). */
    FRESHNESS_CACHE_SECONDS: cacheSeconds(),
    /** Like AUTH_TOKEN_CACHE_SECONDS, for rendered read answers (src/http/read-cache.ts). */
    READ_CACHE_SECONDS: cacheSeconds(),
    SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
    SCHED_BALANCE_REFRESH_CRON: z
      .string()
      .trim()
      .default('0 6 * * *')
      .refine((value) => isCron(value), {
        message: 'expected a cron expression of five fields, e.g. "0 6 * * *" (daily at 06:00 UTC)',
      }),
    JOBS_IN_PROCESS: booleanString.default(true),
    /** API processes sharing the port (node:cluster); more than 1 needs PostgreSQL. */
    API_PROCESSES: z.coerce
      .number({ message: 'expected a whole number from 1 to 32' })
      .int({ message: 'expected a whole number from 1 to 32' })
      .min(1, { message: 'expected a whole number from 1 to 32' })
      .max(32, { message: 'expected a whole number from 1 to 32' })
      .default(1),
    WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(2),
    WORKER_POLL_INTERVAL_SECONDS: z.coerce.number().min(0.5).max(60).default(2),
    SYNC_RETRY_LIMIT: z.coerce.number().int().min(0).max(20).default(5),
    SYNC_RETRY_DELAY_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
    SYNC_JOB_TIMEOUT_SECONDS: z.coerce.number().int().min(30).max(86_400).default(900),
    SYNC_LOCK_LEASE_SECONDS: z.coerce.number().int().min(3).max(3600).default(60),
    /** GET /metrics (Prometheus) for this bearer token; unset: no /metrics (docs/deploy.md#metrics). */
    METRICS_TOKEN: optionalString.pipe(
      z.string().min(16, { message: 'expected at least 16 characters of random text' }).optional(),
    ),
    /** `finance-api worker` only: serve its own /metrics on this port (needs METRICS_TOKEN). */
    /** The retention job (src/jobs/retention.ts): days kept per kind of row, 0 = forever, and when it runs. */
    RETENTION_DAYS_PLAID_PAYLOADS: retentionDays(90),
    RETENTION_DAYS_WEBHOOK_EVENTS: retentionDays(90),
    RETENTION_DAYS_SYNC_RUNS: retentionDays(365),
    RETENTION_DAYS_EXPIRED_CREDENTIALS: retentionDays(30),
    RETENTION_CRON: z
      .string()
      .trim()
      .default('30 4 * * *')
      .refine((value) => isCron(value), {
        message: 'expected a cron expression of five fields, e.g. "30 4 * * *" (daily at 04:30 UTC)',
      }),
    WORKER_METRICS_PORT: optionalString.pipe(
      z.coerce
        .number<string>({ message: 'expected a port number from 1 to 65535' })
        .int({ message: 'expected a port number from 1 to 65535' })
        .min(1, { message: 'expected a port number from 1 to 65535' })
        .max(65535, { message: 'expected a port number from 1 to 65535' })
        .optional(),
    ),
  })
  .superRefine((value, ctx) => {
    if (value.API_PROCESSES > 1 && !value.DATABASE_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['API_PROCESSES'],
        message: 'more than 1 needs DATABASE_URL (the embedded database lives in one process)',
      });
    }
    if (value.DATABASE_URL) {
      for (const key of ['JWT_SECRET_KEY', 'ENCRYPTION_KEY_BASE64'] as const) {
        if (!value[key]) {
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: 'required when DATABASE_URL is set (secrets are only generated in embedded mode)',
          });
        }
      }
    }
    if (value.WORKER_METRICS_PORT !== undefined && !value.METRICS_TOKEN) {
      ctx.addIssue({
        code: 'custom',
        path: ['METRICS_TOKEN'],
        message: 'required when WORKER_METRICS_PORT is set (metrics are only served to its bearer)',
      });
    }
    if (Boolean(value.PLAID_CLIENT_ID) !== Boolean(value.PLAID_SECRET)) {
      ctx.addIssue({
        code: 'custom',
        path: [value.PLAID_CLIENT_ID ? 'PLAID_SECRET' : 'PLAID_CLIENT_ID'],
        message: 'set PLAID_CLIENT_ID and PLAID_SECRET together (leave both unset to use the emulator)',
      });
    }
  });

type RawConfig = z.output<typeof configSchema>;

function isCron(value: string): boolean {
  if (value.split(/\s+/).length !== 5) return false;
  try {
    cronParser.parseExpression(value, { tz: 'UTC' });
    return true;
  } catch {
    return false;
  }
}

export interface Config {
  host: string;
  /** API processes sharing the port (src/api-cluster.ts); 1: this process serves. */
  apiProcesses: number;
  port: number;
  /** Where people and Plaid reach this service; defaults to http://HOST:PORT. */
  publicUrl: string;
  database:
    { kind: 'pglite'; dataDir: string } | { kind: 'postgres'; url: string; preparedStatements: boolean };
  dataDir: string;
  /** Secrets are always present after boot: from the environment, or generated in embedded mode. */
  jwtSecretKey: string;
  jwtTtlSeconds: number;
  encryptionKeyBase64: string;
  plaid:
    | { mode: 'emulator'; port: number; seed: number; url?: string }
    | { mode: 'plaid'; env: 'sandbox' | 'production'; clientId: string; secret: string };
  /** Per-request timeout of every Plaid call. */
  plaidTimeoutMs: number;
  logLevel: RawConfig['LOG_LEVEL'];
  allowRegistration: boolean;
  corsOrigins: string[];
  bodyLimitBytes: number;
  authRateLimitPerMinute: number;
  oauth: {
    /** Dynamic client registrations per client address per minute. */
    registrationRateLimitPerMinute: number;
    /** Tests only: a CA file; loopback https metadata documents signed by it are fetched (docs/oauth.md). */
    cimdTestLoopbackCaFile?: string;
  };
  /** How long an authenticated personal access token is served from memory; 0: never (docs/security.md). */
  authTokenCacheSeconds: number;
  /** How long an API process keeps a user's item health (0: never); see docs/security.md. */
  freshnessCacheSeconds: number;
  /** How long an API process keeps a rendered read answer (0: never); see docs/security.md. */
  readCacheSeconds: number;
  shutdownTimeoutMs: number;
  jobs: {
    /** Run the job worker and the scheduler in the API process (always so in embedded mode). */
    inProcess: boolean;
    concurrency: number;
    pollIntervalSeconds: number;
    refreshCron: string;
    retryLimit: number;
    retryDelaySeconds: number;
    timeoutSeconds: number;
    /** The per-item lock's lease; a killed worker's item is taken over after at most this long. */
    lockLeaseSeconds: number;
    /** The retention job's settings; absent (hand-built configs): the job is not scheduled. */
    retention?: RetentionConfig;
  };
  metrics: {
    /** The bearer token of GET /metrics; undefined: no metrics endpoint. */
    token?: string;
    /** A worker's own metrics port (`finance-api worker`); undefined: none. */
    workerPort?: number;
  };
}

/** Days kept per kind of row (0 = forever) and the retention job's schedule (docs/operations.md#retention). */
export interface RetentionConfig {
  cron: string;
  /** Raw Plaid pages (`plaid_payloads`), by when they were received. */
  plaidPayloadsDays: number;
  /** Received webhooks (`webhook_events`), verified or not. */
  webhookEventsDays: number;
  /** Finished sync ledger rows; an item's newest succeeded run of each product is always kept. */
  syncRunsDays: number;
  /** Personal access tokens, OAuth records and dashboard sessions this long after they expired or were revoked. */
  expiredCredentialsDays: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(
      'Invalid configuration:\n' +
        problems.map((problem) => `  ${problem.variable}: ${problem.message}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

export interface ParsedEnv {
  raw: RawConfig;
  /** True when a secret is missing and must be generated (embedded mode only). */
  missingSecrets: ('JWT_SECRET_KEY' | 'ENCRYPTION_KEY_BASE64')[];
}

/** Validates the environment; throws ConfigError naming every bad variable. Pure. */
export function parseEnv(env: Record<string, string | undefined>): ParsedEnv {
  const result = configSchema.safeParse(env);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => ({
        variable: String(issue.path[0] ?? '(environment)'),
        message: issue.message,
      })),
    );
  }
  const raw = result.data;
  const missingSecrets = (['JWT_SECRET_KEY', 'ENCRYPTION_KEY_BASE64'] as const).filter((key) => !raw[key]);
  return { raw, missingSecrets };
}

/** Builds the final Config once every secret is known. */
export function buildConfig(
  raw: RawConfig,
  secrets: { jwtSecretKey: string; encryptionKeyBase64: string },
): Config {
  const urlHost = raw.HOST === '0.0.0.0' || raw.HOST === '::' ? '127.0.0.1' : raw.HOST;
  return {
    host: raw.HOST,
    port: raw.PORT,
    apiProcesses: raw.API_PROCESSES,
    publicUrl: (raw.PUBLIC_URL ?? `http://${urlHost}:${raw.PORT}`).replace(/\/+$/, ''),
    database: raw.DATABASE_URL
      ? { kind: 'postgres', url: raw.DATABASE_URL, preparedStatements: raw.DATABASE_PREPARED_STATEMENTS }
      : { kind: 'pglite', dataDir: raw.DATA_DIR },
    dataDir: raw.DATA_DIR,
    jwtSecretKey: secrets.jwtSecretKey,
    jwtTtlSeconds: raw.JWT_TTL_SECONDS,
    encryptionKeyBase64: secrets.encryptionKeyBase64,
    plaid:
      raw.PLAID_CLIENT_ID && raw.PLAID_SECRET
        ? { mode: 'plaid', env: raw.PLAID_ENV, clientId: raw.PLAID_CLIENT_ID, secret: raw.PLAID_SECRET }
        : {
            mode: 'emulator',
            port: raw.PLAID_EMULATOR_PORT,
            seed: raw.PLAID_EMULATOR_SEED,
            ...(raw.PLAID_EMULATOR_URL ? { url: raw.PLAID_EMULATOR_URL.replace(/\/+$/, '') } : {}),
          },
    plaidTimeoutMs: raw.PLAID_TIMEOUT_MS,
    logLevel: raw.LOG_LEVEL,
    allowRegistration: raw.ALLOW_REGISTRATION,
    corsOrigins: raw.CORS_ORIGINS,
    bodyLimitBytes: raw.BODY_LIMIT_BYTES,
    authRateLimitPerMinute: raw.AUTH_RATE_LIMIT_PER_MINUTE,
    oauth: {
      registrationRateLimitPerMinute: raw.OAUTH_REGISTRATION_RATE_LIMIT_PER_MINUTE,
      ...(raw.OAUTH_CIMD_TEST_LOOPBACK_CA_FILE
        ? { cimdTestLoopbackCaFile: raw.OAUTH_CIMD_TEST_LOOPBACK_CA_FILE }
        : {}),
    },
    authTokenCacheSeconds: raw.AUTH_TOKEN_CACHE_SECONDS,
    freshnessCacheSeconds: raw.FRESHNESS_CACHE_SECONDS,
    readCacheSeconds: raw.READ_CACHE_SECONDS,
    shutdownTimeoutMs: raw.SHUTDOWN_TIMEOUT_MS,
    jobs: {
      inProcess: raw.DATABASE_URL ? raw.JOBS_IN_PROCESS : true,
      concurrency: raw.WORKER_CONCURRENCY,
      pollIntervalSeconds: raw.WORKER_POLL_INTERVAL_SECONDS,
      refreshCron: raw.SCHED_BALANCE_REFRESH_CRON,
      retryLimit: raw.SYNC_RETRY_LIMIT,
      retryDelaySeconds: raw.SYNC_RETRY_DELAY_SECONDS,
      timeoutSeconds: raw.SYNC_JOB_TIMEOUT_SECONDS,
      lockLeaseSeconds: raw.SYNC_LOCK_LEASE_SECONDS,
      retention: {
        cron: raw.RETENTION_CRON,
        plaidPayloadsDays: raw.RETENTION_DAYS_PLAID_PAYLOADS,
        webhookEventsDays: raw.RETENTION_DAYS_WEBHOOK_EVENTS,
        syncRunsDays: raw.RETENTION_DAYS_SYNC_RUNS,
        expiredCredentialsDays: raw.RETENTION_DAYS_EXPIRED_CREDENTIALS,
      },
    },
    metrics: {
      ...(raw.METRICS_TOKEN ? { token: raw.METRICS_TOKEN } : {}),
      ...(raw.WORKER_METRICS_PORT !== undefined ? { workerPort: raw.WORKER_METRICS_PORT } : {}),
    },
  };
}
