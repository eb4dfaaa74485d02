import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { newRequestId } from '../core/ids.js';
import type { EmulatorRuntime } from '../runtime.js';
import type { EmulatedItem } from '../state/item.js';
import { PlaidApiError, plaidErrors } from './plaid-error.js';
import { parseRequest } from './validation.js';

export interface PlaidRouteContext {
  readonly requestId: string;
  readonly clientId: string;
  readonly runtime: EmulatorRuntime;
  /** The item behind `access_token`, checked (unknown, removed, in error). */
  item(accessToken: string, options?: { allowItemError?: boolean }): EmulatedItem;
}

type Handler<S extends z.ZodType, R> = (body: z.output<S>, ctx: PlaidRouteContext) => R | Promise<R>;

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Credentials from the `PLAID-CLIENT-ID`/`PLAID-SECRET` headers or from the body. */
function authenticate(
  runtime: EmulatorRuntime,
  request: FastifyRequest,
  body: Record<string, unknown>,
): string {
  const clientId = header(request, 'plaid-client-id') ?? body.client_id;
  const secret = header(request, 'plaid-secret') ?? body.secret;
  const missing = [
    clientId === undefined ? 'client_id' : null,
    secret === undefined ? 'secret' : null,
  ].filter((f): f is string => f !== null);
  if (missing.length > 0) throw plaidErrors.missingFields(missing);
  if (clientId !== runtime.clientId || secret !== runtime.secret) throw plaidErrors.invalidApiKeys();
  return clientId;
}

/**
 * Registers one Plaid endpoint: POST, JSON, and the same pipeline as Plaid for every call —
 * latency, credentials, injected faults, strict validation, rate limits, then the handler. Errors
 * come back as Plaid error objects with their HTTP status; every answer carries a `request_id`.
 */
export function plaidRoute<S extends z.ZodType, R extends { request_id: string }>(
  app: FastifyInstance,
  runtime: EmulatorRuntime,
  path: string,
  schema: S,
  handler: Handler<S, R>,
): void {
  app.post(path, async (request: FastifyRequest, reply: FastifyReply) => {
    const requestId = newRequestId();
    try {
      const latency = runtime.faults.latencyFor(path);
      if (latency > 0) await sleep(latency);
      const raw = request.body;
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw plaidErrors.invalidBody();
      const body = raw as Record<string, unknown>;
      const clientId = authenticate(runtime, request, body);
      const token = typeof body.access_token === 'string' ? body.access_token : null;
      const fault = runtime.faults.take(path, token ? itemIdQuietly(runtime, token) : null);
      if (fault) throw fault;
      const parsed = parseRequest(schema, body);
      runtime.rateLimiter?.check(path, clientId, token);
      const ctx: PlaidRouteContext = {
        requestId,
        clientId,
        runtime,
        item: (accessToken, options) => {
          const item = runtime.store.itemForAccessToken(accessToken);
          if (item.error && !options?.allowItemError) {
            throw new PlaidApiError(item.error.error_code, {
              message: item.error.error_message,
              display: item.error.display_message,
              type: item.error.error_type,
              status: item.error.status ?? 400,
            });
          }
          return item;
        },
      };
      const result = await handler(parsed, ctx);
      return reply.code(200).send(result);
    } catch (error) {
      if (error instanceof PlaidApiError) return reply.code(error.status).send(error.toResponse(requestId));
      runtime.logger.error({ err: error, path }, 'emulator handler failed');
      const internal = new PlaidApiError('INTERNAL_SERVER_ERROR');
      return reply.code(internal.status).send(internal.toResponse(requestId));
    }
  });
}

function itemIdQuietly(runtime: EmulatorRuntime, token: string): string | null {
  try {
    return runtime.store.itemForAccessToken(token).id;
  } catch {
    return null;
  }
}
