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

/** Maps anything thrown to an AppError; unknown errors become a 500 and are logged. */
export function toAppError(error: unknown, request: FastifyRequest, bodyLimit: number): AppError {
  if (error instanceof AppError) return error;
  if (hasZodFastifySchemaValidationErrors(error)) return errors.validationFailed(fieldProblems(error));
  const fastifyError = error as FastifyError;
  switch (fastifyError.code) {
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
    return new AppError(
      fastifyError.code?.replace(/^FST_ERR_/, '') ?? 'BAD_REQUEST',
      fastifyError.statusCode,
      'Bad request',
      fastifyError.message,
    );
  }
  request.log.error({ err: error }, 'unhandled error');
  return errors.internal();
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, error: AppError): FastifyReply {
  for (const [name, value] of Object.entries(error.extra.headers ?? {})) reply.header(name, value);
  return reply
    .code(error.status)
    .type(PROBLEM_CONTENT_TYPE)
    .send({
      type: `urn:finance-api:problem:${error.code.toLowerCase().replace(/_/g, '-')}`,
      title: error.title,
      status: error.status,
      detail: error.detail,
      instance: request.url.split('?')[0],
      code: error.code,
      request_id: request.id,
      ...(error.extra.errors ? { errors: error.extra.errors } : {}),
    });
}

/** One error handler and one not-found handler for the whole API: RFC 9457 problem+json. */
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
  },
  { name: 'errors' },
);
