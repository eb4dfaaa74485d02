import fastJson from 'fast-json-stringify';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { responseSerializerCompiler, withNullableMembers } from '../../src/http/plugins/serializer.js';

const schema = z.object({
  at: z.iso.datetime().nullable(),
  day: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .nullable()
    .describe('a day'),
  money: z
    .string()
    .regex(/^-?\d+\.\d{2,}$/)
    .nullable(),
  kind: z.enum(['a', 'b']).nullable(),
  id: z.uuid().nullable(),
  count: z.number().int().nullable(),
  place: z.object({ id: z.string(), name: z.string() }).nullable(),
  rows: z.array(z.object({ note: z.string().nullable(), v: z.string().regex(/^\d+$/).nullable() })),
  either: z.union([z.object({ a: z.string() }).strict(), z.object({ b: z.number() }).strict()]).nullable(),
});

const serialize = responseSerializerCompiler({ schema, method: 'GET', url: '/', httpStatus: '200' });
const jsonSchema = z.toJSONSchema(schema, { target: 'draft-7', io: 'output', unrepresentable: 'any' });
/** fast-json-stringify over zod's schema as it comes (anyOf for each nullable constrained member). */
const asBefore = fastJson(jsonSchema as Parameters<typeof fastJson>[0]);

const values = [
  {
    at: '2026-01-31T10:00:00.000Z',
    day: '2026-01-31',
    money: '-12.50',
    kind: 'a',
    id: '0d4f6c1e-7a51-4c1e-9a7e-2f1f2b3c4d5e',
    count: 3,
    place: { id: 'ins_1', name: 'Bank "x"' },
    rows: [
      { note: 'n\u00e9', v: '1' },
      { note: null, v: null },
    ],
    either: { b: 2 },
  },
  {
    at: null,
    day: null,
    money: null,
    kind: null,
    id: null,
    count: null,
    place: null,
    rows: [],
    either: null,
  },
];

describe('response serializer: nullable members', () => {
  it('should write the same JSON as the anyOf zod renders, for values and for nulls', () => {
    for (const value of values) {
      expect(serialize(value)).toBe(asBefore(value));
      expect(JSON.parse(serialize(value))).toEqual(value);
    }
  });

  it('should leave no anyOf of a single type and null, and keep other unions as they are', () => {
    const text = JSON.stringify(withNullableMembers(jsonSchema));
    // Only `either` (a union of two objects, or null) is still anyOf: the union and its nullable wrapper.
    expect(text.match(/"anyOf"/g) ?? []).toHaveLength(2);
    expect(text).toContain('"nullable":true');
    expect(text).toContain('"description":"a day"');
  });
});
