import fastJson from 'fast-json-stringify';
import type { FastifySerializerCompiler } from 'fastify/types/schema.js';
import { z } from 'zod';

/**
 * Response serialization compiled from the same zod schemas that document the responses: each schema
 * becomes JSON Schema once, at start, and fast-json-stringify turns it into a serializer. Requests are
 * still validated by zod; responses are not re-validated on every call (that cost half the CPU of a
 * 50-row page), so only the declared fields ever leave the service.
 */
export const responseSerializerCompiler: FastifySerializerCompiler<z.ZodType> = ({ schema }) => {
  const jsonSchema = z.toJSONSchema(schema, { target: 'draft-7', io: 'output', unrepresentable: 'any' });
  return fastJson(jsonSchema as Parameters<typeof fastJson>[0]);
};
