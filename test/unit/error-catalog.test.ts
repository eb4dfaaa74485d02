import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors/app-error.js';
import { ERROR_CODES, errors, isErrorCode, type ErrorFactory } from '../../src/errors/catalog.js';
import { toAppError } from '../../src/http/plugins/errors.js';

/** Arguments for every factory: adding a factory without a line here does not typecheck. */
const sampleArgs: { [K in ErrorFactory]: Parameters<(typeof errors)[K]> } = {
  validationFailed: [[{ field: 'body.email', message: 'expected an email address' }]],
  malformedJson: ['Unexpected end of JSON input'],
  unsupportedMediaType: ['text/plain'],
  payloadTooLarge: [1024],
  unauthenticated: [],
  invalidToken: [],
  invalidCredentials: [],
  insufficientScope: ['write'],
  unauthenticatedAtResource: [
    'https://finance.example.com/.well-known/oauth-protected-resource/mcp',
    'read write',
    true,
  ],
  forbiddenOrigin: ['Host'],
  csrfRejected: [],
  webhookRejected: ['bad_signature'],
  notFound: ['account', '00000000-0000-4000-8000-000000000000'],
  routeNotFound: ['GET', '/v1/nope?x=1'],
  emailTaken: [],
  rateLimited: [30],
  notReady: ['migrations are running'],
  preconditionFailed: ['transaction', '"v3"'],
  ruleLimitReached: [100],
  jobQueueUnavailable: [5],
  databaseBusy: [5],
  invalidPublicToken: [],
  itemAlreadyLinked: ['00000000-0000-4000-8000-000000000001'],
  plaidUnavailable: ['INSTITUTION_DOWN', 10],
  plaidRequestFailed: ['INVALID_API_KEYS'],
  itemUpdateNotNeeded: ['00000000-0000-4000-8000-000000000002'],
  itemNotRepairable: ['00000000-0000-4000-8000-000000000003', 'revoked'],
  itemStillNeedsUpdate: ['00000000-0000-4000-8000-000000000004', 'ITEM_LOGIN_REQUIRED'],
  keyRingNotLoaded: ['0123abcd', '(none)'],
  unknownCommand: ['users.nope'],
  commandFailed: [409, 'KEY_RING_NOT_LOADED', 'the detail'],
  badUrl: [],
  uriTooLong: [],
  headersTooLarge: [],
  requestTimeout: [],
  malformedRequest: [],
  badRequest: [400, 'Method GET must not provide a body'],
  internal: [],
};

function build(name: ErrorFactory): AppError {
  const factory = errors[name] as (...args: unknown[]) => AppError;
  return factory(...(sampleArgs[name] as unknown[]));
}

/** Enough of a request for toAppError. */
function request(method = 'GET', url = '/v1/things'): FastifyRequest {
  const log = { error: () => undefined, warn: () => undefined, info: () => undefined };
  return { method, url, headers: {}, log } as unknown as FastifyRequest;
}

function fastifyError(code: string, statusCode: number, message: string): Error {
  return Object.assign(new Error(message), { code, statusCode });
}

describe('error catalog', () => {
  it('should list every code once, and every listed code should have a factory that makes it', () => {
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length);
    const made = new Set((Object.keys(errors) as ErrorFactory[]).map((name) => build(name).code));
    expect([...ERROR_CODES].filter((code) => !made.has(code))).toEqual(['CONTROL_ERROR']);
    // CONTROL_ERROR is what commandFailed makes of a code that is not ours.
    expect(errors.commandFailed(500, 'SOMETHING_ELSE', 'x').code).toBe('CONTROL_ERROR');
  });

  it('should make AppErrors with a 4xx or 5xx status, a title and a detail', () => {
    for (const name of Object.keys(errors) as ErrorFactory[]) {
      const error = build(name);
      expect(error, name).toBeInstanceOf(AppError);
      expect(isErrorCode(error.code), name).toBe(true);
      expect(error.status, name).toBeGreaterThanOrEqual(400);
      expect(error.status, name).toBeLessThan(600);
      expect(error.title, name).not.toBe('');
      expect(error.detail, name).not.toBe('');
    }
  });

  it('should keep a control-socket answer’s code only when it is one of ours', () => {
    expect(errors.commandFailed(409, 'KEY_RING_NOT_LOADED', 'd')).toMatchObject({
      code: 'KEY_RING_NOT_LOADED',
      status: 409,
    });
    expect(errors.commandFailed(404, 'UNKNOWN_COMMAND', 'd').code).toBe('UNKNOWN_COMMAND');
    for (const code of [undefined, null, 42, 'FST_ERR_NOT_FOUND', 'not_found', 'toString']) {
      expect(errors.commandFailed(500, code, 'd').code, String(code)).toBe('CONTROL_ERROR');
    }
  });

  it('should map a 4xx of Fastify or a plugin outside the catalog to BAD_REQUEST with its status', () => {
    const mapped = toAppError(
      fastifyError('FST_ERR_ROUTE_MISSING_CONTENT', 400, "Method 'POST' must provide a request body."),
      request(),
      1024,
    );
    expect(mapped).toMatchObject({ code: 'BAD_REQUEST', status: 400, title: 'Bad request' });
    expect(mapped.detail).toBe("Method 'POST' must provide a request body.");
    expect(toAppError(fastifyError('FST_ERR_SOMETHING', 405, 'no'), request(), 1024)).toMatchObject({
      code: 'BAD_REQUEST',
      status: 405,
    });
    expect(
      toAppError(fastifyError('FST_ERR_NOT_FOUND', 404, 'Not Found'), request('GET', '/v1/x?y=1'), 1024),
    ).toMatchObject({ code: 'ROUTE_NOT_FOUND', status: 404, detail: 'No route GET /v1/x.' });
    // A 5xx, or anything else, stays a 500 whose details are not returned.
    expect(toAppError(fastifyError('FST_ERR_X', 503, 'secret'), request(), 1024)).toMatchObject({
      code: 'INTERNAL_ERROR',
      status: 500,
    });
  });
});

describe('a pool with no free connection', () => {
  it('is a 503 DATABASE_BUSY with Retry-After, not a 500, however deep drizzle wraps it', () => {
    const timeout = new Error('timeout exceeded when trying to connect');
    const wrapped = new Error('Failed query: select 1\nparams: ', { cause: timeout });
    for (const error of [timeout, wrapped]) {
      const mapped = toAppError(error, request(), 1024);
      expect(mapped).toMatchObject({ code: 'DATABASE_BUSY', status: 503 });
      expect(mapped.extra.headers).toEqual({ 'retry-after': '5' });
    }
    expect(toAppError(new Error('something else'), request(), 1024).code).toBe('INTERNAL_ERROR');
  });
});
