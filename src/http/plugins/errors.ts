import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError, type FieldProblem } from '../../errors/app-error.js';
import { errors } from '../../errors/catalog.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const contextNames: Record<string, string> = {
  querystring: 'query',
  params: 'path',
  body: 'body',
  headers: 'header',
};

/** Zod issues as `{field, message}`, the field named as the client sent it (`body.email`). */
function fieldProblems(error: Parameters<typeof hasZodFastifySchemaValidationErrors>[0]): FieldProblem[] {
  if (!hasZodFastifySchemaValidationErrors(error)) return [];
  const context: string = contextNames[error.validationContext ?? 'body'] ?? 'body';
  const problems: FieldProblem[] = [];
  for (const issue of error.validation) {
    const base = [context, ...issue.instancePath.split('/').filter(Boolean)].join('.');
    const keys = (issue.params as { keys?: unknown }).keys;
    if (issue.keyword === 'unrecognized_keys' && Array.isArray(keys)) {
      for (const key of keys) problems.push({ field: `${base}.${String(key)}`, message: 'unknown field' });
    } else {
      problems.push({ field: base, message: issue.message ?? 'invalid' });
    }
  }
  return problems;
}

/** node-postgres's pool gave up waiting for a free connection (drizzle wraps it as the cause). */
function waitedForConnection(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if (e.message === 'timeout exceeded when trying to connect') return true;
  }
  return false;
}

/** Maps anything thrown to an AppError; unknown errors become a 500 and are logged. */
export function toAppError(error: unknown, request: FastifyRequest, bodyLimit: number): AppError {
  if (error instanceof AppError) return error;
  if (hasZodFastifySchemaValidationErrors(error)) return errors.validationFailed(fieldProblems(error));
  const fastifyError = error as FastifyError;
  switch (fastifyError.code) {
    case 'FST_ERR_BAD_URL':
      return errors.badUrl();
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return errors.uriTooLong();
    case 'FST_ERR_NOT_FOUND':
      return errors.routeNotFound(request.method, request.url);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return errors.payloadTooLarge(bodyLimit);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return errors.unsupportedMediaType(String(request.headers['content-type'] ?? ''));
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return errors.malformedJson('the body is empty');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return errors.validationFailed([
        { field: 'header.content-length', message: 'does not match the body' },
      ]);
  }
  if (
    fastifyError.statusCode === 400 &&
    (error instanceof SyntaxError || /JSON/i.test(fastifyError.message))
  ) {
    return errors.malformedJson(fastifyError.message);
  }
  if (fastifyError.statusCode && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return errors.badRequest(fastifyError.statusCode, fastifyError.message);
  }
  if (waitedForConnection(error)) {
    request.log.warn({ err: error }, 'no database connection became free in time');
    return errors.databaseBusy(5);
  }
  request.log.error({ err: error }, 'unhandled error');
  return errors.internal();
}

/** The RFC 9457 body of a problem: the same fields whoever writes it. */
export function problemBody(error: AppError, instance: string, requestId: string) {
  return {
    type: `urn:finance-api:problem:${error.code.toLowerCase().replace(/_/g, '-')}`,
    title: error.title,
    status: error.status,
    detail: error.detail,
    instance,
    code: error.code,
    request_id: requestId,
    ...(error.extra.errors ? { errors: error.extra.errors } : {}),
  };
}

/** Every 401 names its scheme (RFC 9110 §11.6.1); the catalog's own challenge when it has one. */
function headersOf(error: AppError): Record<string, string> {
  const headers = error.extra.headers ?? {};
  return error.status === 401 && !headers['www-authenticate']
    ? { ...headers, 'www-authenticate': 'Bearer' }
    : headers;
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, error: AppError): FastifyReply {
  for (const [name, value] of Object.entries(headersOf(error))) reply.header(name, value);
  // Also when no onRequest hook ran (errors raised before routing).
  reply.header('x-request-id', request.id);
  return reply
    .code(error.status)
    .type(PROBLEM_CONTENT_TYPE)
    .send(problemBody(error, request.url.split('?')[0] ?? '/', request.id));
}

/**
 * Fastify's `frameworkErrors`: what its router raises before any route or hook runs (a URL whose
 * percent-encoding does not decode, a path parameter over maxParamLength), through the same mapping.
 */
export function frameworkErrorHandler(bodyLimit: number) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    const appError = toAppError(error, request, bodyLimit);
    if (appError.status < 500) request.log.info({ code: appError.code }, appError.detail);
    void sendProblem(reply, request, appError);
  };
}

/**
 * Fastify's `clientErrorHandler` (Node's `clientError`): the HTTP parser refused the bytes, so there is
 * no request, only the socket. Answers problem+json like everything else (431 for headers over
 * `maxHeaderSize`, 408 for a request that did not arrive in time, 400 for anything else), then closes.
 */
export function clientErrorHandler(
  this: FastifyInstance,
  error: NodeJS.ErrnoException,
  socket: Duplex,
): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const appError =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? errors.headersTooLarge()
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? errors.requestTimeout()
        : errors.malformedRequest();
  const requestId = randomUUID();
  this.log.debug({ code: appError.code, parserCode: error.code, reqId: requestId }, 'client error');
  if (socket.writable) {
    const body = JSON.stringify(problemBody(appError, `urn:uuid:${requestId}`, requestId));
    const status = appError.status;
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
        `Content-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-Id: ${requestId}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  }
  socket.destroy(error);
}

/**
 * One error handler and one not-found handler for the whole API: RFC 9457 problem+json. buildApp wires
 * the two handlers Fastify takes as options (frameworkErrorHandler, clientErrorHandler) to this file too.
 */
export const errorsPlugin = fp(
  async (app: FastifyInstance, options: { bodyLimit: number }) => {
    app.setErrorHandler((error, request, reply) => {
      const appError = toAppError(error, request, options.bodyLimit);
      if (appError.status < 500) request.log.info({ code: appError.code }, appError.detail);
      return sendProblem(reply, request, appError);
    });
    app.setNotFoundHandler((request, reply) =>
      sendProblem(reply, request, errors.routeNotFound(request.method, request.url)),
    );
    // While the app closes, Fastify's own 503 is fixed JSON (buildApp sets return503OnClosing: false):
    // a request that still arrives on an open connection gets this problem instead.
    let closing = false;
    app.addHook('preClose', async () => {
      closing = true;
    });
    app.addHook('onRequest', async () => {
      if (closing) throw errors.notReady('This process is shutting down: send the request again.');
    });
  },
  { name: 'errors' },
);
