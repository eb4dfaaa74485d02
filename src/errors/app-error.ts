import type { ErrorCode } from './catalog.js';

/** One field that failed validation, named as the client sent it (e.g. `body.email`, `query.limit`). */
export interface FieldProblem {
  field: string;
  message: string;
}

/**
 * The only error the domain throws on purpose, made by the catalog's factories (`errors.notFound(...)`
 * in ./catalog.ts), which is where every code is listed. The HTTP error handler turns it into an RFC 9457
 * problem+json body; anything else becomes a 500 whose details are logged, never returned.
 */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly status: number,
    readonly title: string,
    detail: string,
    readonly extra: { errors?: FieldProblem[]; headers?: Record<string, string> } = {},
  ) {
    super(detail);
    this.name = 'AppError';
  }

  get detail(): string {
    return this.message;
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
