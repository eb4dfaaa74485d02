import type { FastifyReply } from 'fastify';

/**
 * Sends already-serialized JSON (built with `jsonObjectText` / `jsonMembersText`) as it is. The route's
 * response schema still documents the body (OpenAPI); the read-API tests hold these bodies to that schema.
 */
export function sendJson(reply: FastifyReply, body: string | Buffer): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(body);
}
