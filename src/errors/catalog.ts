import { AppError, type FieldProblem } from './app-error.js';

/**
 * Every `code` an error of ours can carry, in one list: `AppError` only takes one of these, so a code is
 * added here (with its factory below) or it does not compile. Clients match on them: never rename one.
 */
export const ERROR_CODES = [
  // The request itself
  'VALIDATION_FAILED',
  'MALFORMED_JSON',
  'UNSUPPORTED_MEDIA_TYPE',
  'PAYLOAD_TOO_LARGE',
  // Authentication and authorization
  'UNAUTHENTICATED',
  'INVALID_TOKEN',
  'INVALID_CREDENTIALS',
  'INSUFFICIENT_SCOPE',
  'FORBIDDEN_ORIGIN',
  'CSRF_REJECTED',
  'WEBHOOK_REJECTED',
  // Resources and state
  'NOT_FOUND',
  'ROUTE_NOT_FOUND',
  'EMAIL_TAKEN',
  'RATE_LIMITED',
  'NOT_READY',
  'JOB_QUEUE_UNAVAILABLE',
  'DATABASE_BUSY',
  'PRECONDITION_FAILED',
  'RULE_LIMIT_REACHED',
  // Linking and items (Plaid)
  'INVALID_PUBLIC_TOKEN',
  'ITEM_ALREADY_LINKED',
  'PLAID_UNAVAILABLE',
  'PLAID_REQUEST_FAILED',
  'ITEM_UPDATE_NOT_NEEDED',
  'ITEM_NOT_REPAIRABLE',
  'ITEM_STILL_NEEDS_UPDATE',
  // Administration (CLI and the control socket)
  'KEY_RING_NOT_LOADED',
  'UNKNOWN_COMMAND',
  'CONTROL_ERROR',
  // Raised by Fastify or Node's HTTP parser before any route runs
  'BAD_URL',
  'URI_TOO_LONG',
  'HEADERS_TOO_LARGE',
  'REQUEST_TIMEOUT',
  'MALFORMED_REQUEST',
  'BAD_REQUEST',
  'INTERNAL_ERROR',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

const errorCodes: ReadonlySet<string> = new Set(ERROR_CODES);

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && errorCodes.has(value);
}

/**
 * The error catalog: every error the API returns, with a stable `code`. Add new errors here, never
 * `throw new Error(...)` for a client's mistake, nor `new AppError(...)` outside this file.
 */
export const errors = {
  validationFailed: (errors: FieldProblem[], detail?: string) =>
    new AppError(
      'VALIDATION_FAILED',
      400,
      'Invalid request',
      detail ?? errors.map((e) => `${e.field}: ${e.message}`).join('; '),
      { errors },
    ),
  malformedJson: (detail: string) =>
    new AppError(
      'MALFORMED_JSON',
      400,
      'Malformed JSON body',
      `The request body is not valid JSON: ${detail}`,
      {
        errors: [{ field: 'body', message: 'not valid JSON' }],
      },
    ),
  unsupportedMediaType: (contentType: string) =>
    new AppError(
      'UNSUPPORTED_MEDIA_TYPE',
      415,
      'Unsupported media type',
      `Content-Type ${contentType || '(none)'} is not supported; send application/json.`,
    ),
  payloadTooLarge: (limitBytes: number) =>
    new AppError(
      'PAYLOAD_TOO_LARGE',
      413,
      'Request body too large',
      `The request body is larger than the limit of ${limitBytes} bytes.`,
    ),
  unauthenticated: (detail = 'Send a valid token as `Authorization: Bearer <token>`.') =>
    new AppError('UNAUTHENTICATED', 401, 'Authentication required', detail, {
      headers: { 'www-authenticate': 'Bearer' },
    }),
  invalidToken: (detail = 'The bearer token is malformed, expired, revoked or not ours.') =>
    new AppError('INVALID_TOKEN', 401, 'Invalid token', detail, {
      headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
    }),
  invalidCredentials: () =>
    new AppError('INVALID_CREDENTIALS', 401, 'Invalid credentials', 'The email or the password is wrong.'),
  insufficientScope: (needed: string) =>
    new AppError(
      'INSUFFICIENT_SCOPE',
      403,
      'Insufficient scope',
      `This operation needs a token with the '${needed}' scope.`,
      { headers: { 'www-authenticate': `Bearer error="insufficient_scope", scope="${needed}"` } },
    ),
  /**
   * 401 at a protected resource (the MCP endpoint): the challenge points at its protected-resource
   * metadata (RFC 9728 §5.1) and names the scopes, which is what starts a client's OAuth flow.
   */
  unauthenticatedAtResource: (resourceMetadataUrl: string, scope: string, invalidToken: boolean) =>
    new AppError(
      invalidToken ? 'INVALID_TOKEN' : 'UNAUTHENTICATED',
      401,
      invalidToken ? 'Invalid token' : 'Authentication required',
      invalidToken
        ? 'The bearer token is malformed, expired, revoked, not ours or not meant for this resource.'
        : 'Send a valid token as `Authorization: Bearer <token>`.',
      {
        headers: {
          'www-authenticate':
            `Bearer ${invalidToken ? 'error="invalid_token", ' : ''}` +
            `resource_metadata="${resourceMetadataUrl}", scope="${scope}"`,
        },
      },
    ),
  /** DNS-rebinding protection: a Host or Origin header that does not name this service. */
  forbiddenOrigin: (header: 'Host' | 'Origin') =>
    new AppError(
      'FORBIDDEN_ORIGIN',
      403,
      'Forbidden origin',
      `The ${header} header does not name this service (PUBLIC_URL).`,
    ),
  /** A state-changing request made with the dashboard's session cookie without its CSRF token (or cross-site). */
  csrfRejected: () =>
    new AppError(
      'CSRF_REJECTED',
      403,
      'CSRF check failed',
      "A request made with the session cookie that changes state must come from this service's own pages and carry the `X-CSRF-Token` header.",
    ),
  /** A Plaid webhook whose `Plaid-Verification` did not verify; `reason` is a WebhookRejectionReason. */
  webhookRejected: (reason: string) =>
    new AppError(
      'WEBHOOK_REJECTED',
      401,
      'Webhook rejected',
      `The Plaid-Verification header did not verify (${reason}); the webhook was recorded and ignored.`,
      { headers: { 'www-authenticate': 'Plaid-Verification' } },
    ),
  notFound: (resource: string, id?: string) =>
    new AppError(
      'NOT_FOUND',
      404,
      'Not found',
      id ? `No ${resource} with id ${id}.` : `No such ${resource}.`,
    ),
  routeNotFound: (method: string, url: string) =>
    new AppError('ROUTE_NOT_FOUND', 404, 'Not found', `No route ${method} ${url.split('?')[0]}.`),
  emailTaken: () =>
    new AppError('EMAIL_TAKEN', 409, 'Email already registered', 'A user with this email already exists.', {
      errors: [{ field: 'body.email', message: 'already registered' }],
    }),
  rateLimited: (retryAfterSeconds: number) =>
    new AppError(
      'RATE_LIMITED',
      429,
      'Too many requests',
      `Too many requests; retry in ${retryAfterSeconds} s.`,
      { headers: { 'retry-after': String(retryAfterSeconds) } },
    ),
  notReady: (detail: string) => new AppError('NOT_READY', 503, 'Service not ready', detail),
  /** If-Match (or a body `version`) no longer names the resource's version: someone edited it meanwhile. */
  preconditionFailed: (resource: string, currentEtag: string) =>
    new AppError(
      'PRECONDITION_FAILED',
      412,
      'Precondition failed',
      `The ${resource} was changed since you read it (its ETag is now ${currentEtag}); nothing was ` +
        'changed. Read it again and send your edit with the new ETag in If-Match.',
      { headers: { etag: currentEtag } },
    ),
  ruleLimitReached: (limit: number) =>
    new AppError(
      'RULE_LIMIT_REACHED',
      409,
      'Too many rules',
      `You have ${limit} rules, the most allowed; delete one before adding another.`,
    ),
  databaseBusy: (retryAfterSeconds: number) =>
    new AppError(
      'DATABASE_BUSY',
      503,
      'Database busy',
      `Every database connection stayed busy too long; nothing was changed. Try again in ${retryAfterSeconds} s.`,
      { headers: { 'retry-after': String(retryAfterSeconds) } },
    ),
  jobQueueUnavailable: (retryAfterSeconds: number) =>
    new AppError(
      'JOB_QUEUE_UNAVAILABLE',
      503,
      'Job queue unavailable',
      'The job queue could not take the first sync, so nothing was linked (the item was removed at ' +
        `Plaid). Open Link again in ${retryAfterSeconds} s.`,
      { headers: { 'retry-after': String(retryAfterSeconds) } },
    ),
  // Linking and items (Plaid). Plaid's own error code is named in the detail, never its message text.
  invalidPublicToken: () =>
    new AppError(
      'INVALID_PUBLIC_TOKEN',
      400,
      'Invalid public token',
      'Plaid did not accept this public_token: it is unknown, expired (30 minutes), from another ' +
        'environment or already exchanged. Open Link again to get a new one.',
      { errors: [{ field: 'body.public_token', message: 'unknown, expired or already exchanged' }] },
    ),
  /** The same login (same institution, same accounts) linked again. */
  itemAlreadyLinked: (existingItemId: string) =>
    new AppError(
      'ITEM_ALREADY_LINKED',
      409,
      'Item already linked',
      `This login is already linked as item ${existingItemId} (same institution and accounts). ` +
        'Repair or remove that item instead of linking it again.',
    ),
  plaidUnavailable: (plaidCode: string, retryAfterSeconds: number) =>
    new AppError(
      'PLAID_UNAVAILABLE',
      502,
      'Plaid is unavailable',
      `Plaid could not be reached or is temporarily failing (${plaidCode}); nothing was changed. ` +
        `Try again in ${retryAfterSeconds} s.`,
      { headers: { 'retry-after': String(retryAfterSeconds) } },
    ),
  plaidRequestFailed: (plaidCode: string) =>
    new AppError(
      'PLAID_REQUEST_FAILED',
      502,
      'Plaid refused the request',
      `Plaid answered ${plaidCode}; nothing was changed. This is usually a configuration problem of ` +
        'this service (keys, environment, enabled products); the error was logged with this request id.',
    ),
  itemUpdateNotNeeded: (itemId: string) =>
    new AppError(
      'ITEM_UPDATE_NOT_NEEDED',
      409,
      'Item does not need an update',
      `Item ${itemId} is in good health: update mode is only for an item whose login needs its owner ` +
        '(status login_required or pending_expiration) or that has new accounts to share. To add ' +
        'accounts anyway, send account_selection: true.',
    ),
  itemNotRepairable: (itemId: string, status: string) =>
    new AppError(
      'ITEM_NOT_REPAIRABLE',
      409,
      'Item cannot be repaired',
      `Item ${itemId} has status ${status}: Link update mode cannot fix it. Delete it and link the ` +
        'institution again.',
    ),
  itemStillNeedsUpdate: (itemId: string, plaidCode: string) =>
    new AppError(
      'ITEM_STILL_NEEDS_UPDATE',
      409,
      'Item still needs its owner',
      `Plaid still reports ${plaidCode} for item ${itemId}: complete Link update mode first.`,
    ),
  // Administration (the CLI, and the control socket of a running service: src/control).
  /** The process that would re-encrypt does not encrypt with the key ring's active key. */
  keyRingNotLoaded: (expected: string, actual: string) =>
    new AppError(
      'KEY_RING_NOT_LOADED',
      409,
      'Key ring not loaded',
      `The service encrypts with key ${actual}, not with the key ring's active key ${expected}: it does not ` +
        'follow DATA_DIR/keyring.json, or another rotation happened meanwhile. Nothing was re-encrypted; ' +
        'run `finance-api keys reencrypt` once it does.',
    ),
  unknownCommand: (name: string) =>
    new AppError('UNKNOWN_COMMAND', 404, 'Unknown command', `No admin command named ${name}.`),
  /** What the running service answered on its control socket: its code when it is one of ours. */
  commandFailed: (status: number, code: unknown, detail: string, fieldErrors?: FieldProblem[]) =>
    new AppError(isErrorCode(code) ? code : 'CONTROL_ERROR', status, 'Command failed', detail, {
      errors: fieldErrors,
    }),
  // Raised by Fastify or Node's HTTP parser before any route runs (src/http/plugins/errors.ts).
  badUrl: () =>
    new AppError('BAD_URL', 400, 'Bad URL', 'The URL is not valid: a percent-encoding does not decode.'),
  uriTooLong: () =>
    new AppError('URI_TOO_LONG', 414, 'URI too long', 'A path segment of the URL is longer than allowed.'),
  headersTooLarge: () =>
    new AppError(
      'HEADERS_TOO_LARGE',
      431,
      'Request header fields too large',
      'The request line and headers are larger than the server accepts.',
    ),
  requestTimeout: () =>
    new AppError('REQUEST_TIMEOUT', 408, 'Request timeout', 'The request did not arrive in time.'),
  malformedRequest: () =>
    new AppError('MALFORMED_REQUEST', 400, 'Malformed request', 'The request is not valid HTTP/1.1.'),
  /** Any other 4xx that Fastify or a plugin raised, with its own message. */
  badRequest: (status: number, detail: string) => new AppError('BAD_REQUEST', status, 'Bad request', detail),
  internal: () =>
    new AppError(
      'INTERNAL_ERROR',
      500,
      'Internal server error',
      'Something went wrong on our side; the error was logged with this request id.',
    ),
} as const;

export type ErrorFactory = keyof typeof errors;
