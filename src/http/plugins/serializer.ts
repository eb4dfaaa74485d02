import fastJson from 'fast-json-stringify';
import type { FastifySerializerCompiler } from 'fastify/types/schema.js';
import { z } from 'zod';

/**
 * Response serialization compiled from the same zod schemas that document the responses: each schema
 * becomes JSON Schema once, and fast-json-stringify turns it into a serializer. Requests are still
 * validated by zod; responses are not re-validated on every call (that cost half the CPU of a 50-row
 * page), so only the declared fields ever leave the service.
 *
 * Compiled at a response's first use, not at start: the ~150 response schemas of the API cost about a
 * second of CPU to compile, which the start (ready in ≤ 5 s) should not pay for routes not yet called.
 */
export const responseSerializerCompiler: FastifySerializerCompiler<z.ZodType> = ({ schema }) => {
  let serialize: ((data: unknown) => string) | undefined;
  return (data: unknown) => {
    serialize ??= compileSerializer(schema);
    return serialize(data);
  };
};

function compileSerializer(schema: z.ZodType): (data: unknown) => string {
  const jsonSchema = z.toJSONSchema(schema, { target: 'draft-7', io: 'output', unrepresentable: 'any' });
  return fastJson(jsonSchema as Parameters<typeof fastJson>[0]);
}
