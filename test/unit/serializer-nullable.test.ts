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

  it('should serialize a nullable named schema ($ref) with nullable members, and unions whose branches have them', () => {
    // A named schema (a $ref to definitions) reached through a nullable member, and the same members
    // inside the branches of a union: ajv checks those branches, so the nullable members there must stay
    // as zod wrote them (a rewritten `nullable: true` means nothing to ajv: no branch matched, a 500).
    const named = z
      .object({
        status: z.enum(['x', 'y']).nullable(),
        inner: z.object({ code: z.string(), at: z.iso.datetime().nullable() }).nullable(),
      })
      .meta({ id: 'NamedForTest' });
    const outer = z.object({
      reason: named.nullable(),
      again: named,
      choice: z.union([
        z
          .object({
            kind: z.literal('a'),
            day: z
              .string()
              .regex(/^\d{4}$/)
              .nullable(),
          })
          .strict(),
        z.object({ kind: z.literal('b'), n: z.number() }).strict(),
      ]),
    });
    const write = responseSerializerCompiler({ schema: outer, method: 'GET', url: '/', httpStatus: '200' });
    const original = fastJson(
      z.toJSONSchema(outer, { target: 'draft-7', io: 'output', unrepresentable: 'any' }) as Parameters<
        typeof fastJson
      >[0],
    );
    const cases = [
      {
        reason: { status: null, inner: null },
        again: { status: 'x', inner: { code: 'c', at: null } },
        choice: { kind: 'a', day: null },
      },
      {
        reason: { status: 'y', inner: { code: 'c', at: '2026-01-31T10:00:00.000Z' } },
        again: { status: null, inner: null },
        choice: { kind: 'a', day: '2026' },
      },
      { reason: null, again: { status: null, inner: null }, choice: { kind: 'b', n: 1 } },
    ];
    for (const value of cases) {
      expect(write(value)).toBe(original(value));
      expect(JSON.parse(write(value))).toEqual(value);
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
