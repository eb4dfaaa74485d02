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
  return fastJson(withNullableMembers(jsonSchema) as Parameters<typeof fastJson>[0]);
}

type JsonSchemaNode = Record<string, unknown>;

/** Keywords that describe a schema without constraining it: they may stand beside a rewritten anyOf. */
const ANNOTATIONS = new Set([
  'description',
  'title',
  'example',
  'examples',
  'default',
  'deprecated',
  '$comment',
]);

const isObjectNode = (value: unknown): value is JsonSchemaNode =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

const isNullOnly = (node: unknown) =>
  isObjectNode(node) && node.type === 'null' && Object.keys(node).length === 1;

/** One declared type, no combinator, reference or constant of its own. */
const isSingleType = (node: unknown): node is JsonSchemaNode =>
  isObjectNode(node) &&
  typeof node.type === 'string' &&
  node.type !== 'null' &&
  !['anyOf', 'oneOf', 'allOf', '$ref', 'const', 'nullable', 'if', 'not'].some((key) => key in node);

/** Combinators fast-json-stringify decides between with ajv (which knows no `nullable` keyword). */
const VALIDATED_WITH_AJV = ['anyOf', 'oneOf', 'allOf', 'if', 'not'];

/**
 * zod renders `.nullable()` of a constrained value (a pattern, a format, an enum, an object) as
 * `anyOf: [schema, { type: 'null' }]`. fast-json-stringify serializes an anyOf by running ajv over each
 * branch for every value (the date-time format parsed, the money pattern matched: each nullable field of
 * each row of a page, a large share of a computed answer's service CPU, issue 17). Rewritten as the
 * schema with `nullable: true`, it writes `null` for null and the schema's own serializer otherwise:
 * the same text for every value the schema allows. Like the members that never were an anyOf, a value
 * the schema does not allow is no longer refused here (responses are not validated on the way out;
 * test/integration/response-bodies.test.ts holds real bodies to the schemas).
 *
 * ajv still checks the branches of the unions left as they are, so nothing they reach is rewritten: not
 * inside a remaining combinator, and not in `definitions` (a `$ref` may lead there from a union). A
 * nullable `$ref` (`anyOf: [{ $ref }, null]`) is rewritten on an inlined copy of its definition.
 */
export function withNullableMembers(root: unknown): unknown {
  if (!isObjectNode(root)) return root;
  const { definitions, ...rest } = root;
  const named = isObjectNode(definitions) ? definitions : {};
  const rewritten = rewrite(rest, named, new Set());
  return definitions === undefined ? rewritten : { ...(rewritten as JsonSchemaNode), definitions };
}

function rewrite(node: unknown, definitions: JsonSchemaNode, inlining: Set<string>): unknown {
  if (Array.isArray(node)) return node.map((item) => rewrite(item, definitions, inlining));
  if (!isObjectNode(node)) return node;
  const { anyOf, ...siblings } = node;
  if (
    Array.isArray(anyOf) &&
    anyOf.length === 2 &&
    Object.keys(siblings).every((key) => ANNOTATIONS.has(key))
  ) {
    const nullAt = anyOf.findIndex(isNullOnly);
    const branch: unknown = nullAt < 0 ? undefined : anyOf[1 - nullAt];
    const ref = isObjectNode(branch) && Object.keys(branch).length === 1 ? branch.$ref : undefined;
    const name =
      typeof ref === 'string' && ref.startsWith('#/definitions/')
        ? ref.slice('#/definitions/'.length)
        : undefined;
    const other = name !== undefined && !inlining.has(name) ? definitions[name] : branch;
    if (isSingleType(other)) {
      const inner = new Set(inlining);
      if (name !== undefined) inner.add(name);
      return { ...siblings, ...(rewrite(other, definitions, inner) as JsonSchemaNode), nullable: true };
    }
  }
  if (VALIDATED_WITH_AJV.some((key) => key in node)) return node;
  return Object.fromEntries(
    Object.entries(node).map(([key, value]) => [key, rewrite(value, definitions, inlining)]),
  );
}
