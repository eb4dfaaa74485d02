import type { FastifyReply } from 'fastify';

/**
 * Sends already-serialized JSON (built with `jsonObjectText`) as it is. The route's response schema
 * still documents the body (OpenAPI); the read-API tests hold these bodies to that schema.
 */
export function sendJsonText(reply: FastifyReply, text: string): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(text);
}
