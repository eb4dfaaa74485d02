/**
 * /openapi.gpt.json, the document a custom GPT imports (docs/llm.md), checked against every rule of
 * issue 12 as served; and every GET it lists, called with default parameters for a big user, answers
 * within what a GPT Action reads (100,000 characters) on both databases.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GPT_LIMITS, GPT_OPERATIONS } from '../../src/http/plugins/openapi-gpt.js';
import { generateDataset, insertDataset } from '../factories/finance-dataset.js';
import { bearer, newAccessToken, newUser } from '../factories/users.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { databaseKinds } from '../helpers/database.js';

type Json = Record<string, unknown>;
interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  example?: unknown;
  schema: Json;
}
interface Operation {
  operationId: string;
  summary?: string;
  description?: string;
  parameters?: Parameter[];
  security?: Record<string, string[]>[];
  responses: Record<string, Json>;
  requestBody?: Json;
  'x-openai-isConsequential'?: boolean;
}
interface Document {
  openapi: string;
  info: { title: string; description?: string; version: string };
  servers: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Json>; securitySchemes: Record<string, Json> };
}

const PUBLIC_URL = 'https://finance.example.org';

function operationsOf(doc: Document) {
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      path,
      method,
      key: `${method.toUpperCase()} ${path}`,
      op,
    })),
  );
}

/** Every value of every key `name` in the tree, with where it is. */
function valuesOf(node: unknown, name: string, at = ''): { at: string; value: unknown }[] {
  if (Array.isArray(node)) return node.flatMap((item, i) => valuesOf(item, name, `${at}/${i}`));
  if (typeof node !== 'object' || node === null) return [];
  return Object.entries(node).flatMap(([key, value]) => [
    ...(key === name ? [{ at: `${at}/${key}`, value }] : []),
    ...valuesOf(value, name, `${at}/${key}`),
  ]);
}

function resolve(doc: Document, schema: Json): Json {
  const ref = schema.$ref;
  if (typeof ref !== 'string') return schema;
  return doc.components.schemas[ref.replace('#/components/schemas/', '')] ?? {};
}

function allowsArray(doc: Document, schema: Json): boolean {
  const s = resolve(doc, schema);
  if (s.type === 'array' || (Array.isArray(s.type) && s.type.includes('array'))) return true;
  return ['anyOf', 'oneOf', 'allOf'].some(
    (k) => Array.isArray(s[k]) && (s[k] as Json[]).some((sub) => allowsArray(doc, sub)),
  );
}

describe('GET /openapi.gpt.json', () => {
  let t: TestApp;
  let doc: Document;
  let text: string;
  let source: Document;

  beforeAll(async () => {
    t = await buildTestApp('pglite', { PUBLIC_URL });
    const res = await t.app.inject({ url: '/openapi.gpt.json' });
    expect(res.statusCode).toBe(200);
    expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
    text = res.body;
    doc = res.json<Document>();
    source = (await t.app.inject({ url: '/openapi.json' })).json<Document>();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('is OpenAPI 3.1 with the one server PUBLIC_URL, under 100,000 characters', () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(doc.servers).toEqual([{ url: PUBLIC_URL }]);
    expect(text.length).toBeLessThan(GPT_LIMITS.document);
    expect(doc.info.description!.length).toBeLessThanOrEqual(300);
  });

  it('carries no long regex: dates are `format: date`, date-times and ids a format and a description', () => {
    const patterns = valuesOf(doc, 'pattern');
    for (const { at, value } of patterns) expect(String(value).length, at).toBeLessThanOrEqual(40);
    expect(text).not.toContain('-02-29');
    // The source document had them (about 24 KB): the profile really removed something.
    expect(JSON.stringify(source)).toContain('-02-29');
    const dates = valuesOf(doc.paths, 'format').filter((f) => f.value === 'date');
    expect(dates.length).toBeGreaterThan(0);
  });

  it('lists at most 30 operations, only what a person asks an assistant for', () => {
    const ops = operationsOf(doc);
    expect(ops.length).toBeGreaterThan(0);
    expect(ops.length).toBeLessThanOrEqual(30);
    const keys = ops.map((o) => o.key);
    expect(keys).toEqual(
      expect.arrayContaining([
        'GET /v1/accounts',
        'GET /v1/transactions',
        'GET /v1/holdings',
        'GET /v1/net-worth',
        'GET /v1/cashflow/summary',
        'GET /v1/recurring',
        'GET /v1/items',
        'POST /v1/sync/trigger',
      ]),
    );
    for (const key of keys) {
      expect(key, 'no webhook, login, registration, Link, health or token management').not.toMatch(
        /webhook|\/auth\/|\/oauth|link-token|public-token|exchange|healthz|readyz|\/link\b|\/mcp/,
      );
    }
    expect(keys).not.toContain('DELETE /v1/items/{id}');
    // Every operation the profile names exists (a renamed operationId would silently drop out).
    expect(ops.map((o) => o.op.operationId).sort()).toEqual(Object.keys(GPT_OPERATIONS).sort());
  });

  it('derives every operation from /openapi.json: same path, method, operationId and response fields', () => {
    for (const { path, method, op } of operationsOf(doc)) {
      const original = source.paths[path]?.[method];
      expect(original?.operationId, `${method} ${path}`).toBe(op.operationId);
      const ok = Object.keys(op.responses).find((status) => status.startsWith('2'))!;
      expect(Object.keys(op.responses)).toEqual(Object.keys(original!.responses));
      const fields = (o: Operation) => {
        const schema = (o.responses[ok]?.content as Json | undefined)?.['application/json'] as
          Json | undefined;
        const resolved = schema ? resolve(o === op ? doc : source, schema.schema as Json) : {};
        return Object.keys((resolved.properties as Json | undefined) ?? {});
      };
      expect(fields(op), `${method} ${path}`).toEqual(fields(original!));
    }
  });

  it('names operations readably and describes each in at most 300 characters', () => {
    const ids = operationsOf(doc).map((o) => o.op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { key, op } of operationsOf(doc)) {
      expect(op.operationId, key).toMatch(/^[a-z][A-Za-z]{2,63}$/);
      expect(op.summary, key).toBeTruthy();
      expect(op.description, key).toBeTruthy();
      expect(op.summary!.length, key).toBeLessThanOrEqual(GPT_LIMITS.description);
      expect(op.description!.length, key).toBeLessThanOrEqual(GPT_LIMITS.description);
    }
  });

  it('describes every parameter (at most 700 characters) with an example, and has no array query parameter', () => {
    let count = 0;
    for (const { key, op } of operationsOf(doc)) {
      for (const parameter of op.parameters ?? []) {
        count++;
        const where = `${key} ${parameter.name}`;
        expect(parameter.description, where).toBeTruthy();
        expect(parameter.description!.length, where).toBeLessThanOrEqual(GPT_LIMITS.parameterDescription);
        if (parameter.name !== 'cursor')
          expect(parameter.example ?? parameter.schema.example, `${where} example`).toBeDefined();
        if (parameter.in === 'query') expect(allowsArray(doc, parameter.schema), where).toBe(false);
      }
    }
    expect(count).toBeGreaterThan(10);
    const transactions = doc.paths['/v1/transactions']!.get!.parameters!.map((p) => p.name);
    expect(transactions).toContain('account_ids');
    expect(transactions).not.toContain('account_id');
  });

  it('marks every non-GET with x-openai-isConsequential (a sync: true) and gives its body an example', () => {
    for (const { method, key, op } of operationsOf(doc)) {
      if (method === 'get') continue;
      expect(typeof op['x-openai-isConsequential'], key).toBe('boolean');
    }
    expect(doc.paths['/v1/sync/trigger']!.post!['x-openai-isConsequential']).toBe(true);
    // Their request bodies come with an example.
    for (const { method, key, op } of operationsOf(doc)) {
      if (method === 'get' || !op.requestBody) continue;
      expect(
        (op.requestBody.content as Record<string, Json>)['application/json']?.example,
        key,
      ).toBeDefined();
    }
  });

  it('offers a personal access token (bearer) and OAuth authorization code with read and write', () => {
    const schemes = doc.components.securitySchemes;
    const bearerScheme = Object.entries(schemes).find(([, s]) => s.type === 'http' && s.scheme === 'bearer');
    const oauthScheme = Object.entries(schemes).find(([, s]) => s.type === 'oauth2');
    expect(bearerScheme).toBeDefined();
    expect(oauthScheme).toBeDefined();
    const flows = oauthScheme![1].flows as Record<string, Json>;
    expect(flows.authorizationCode).toEqual({
      authorizationUrl: `${PUBLIC_URL}/oauth/authorize`,
      tokenUrl: `${PUBLIC_URL}/oauth/token`,
      scopes: { read: expect.any(String), write: expect.any(String) },
    });
    for (const { method, key, op } of operationsOf(doc)) {
      expect(op.security, key).toEqual([
        { [bearerScheme![0]]: [] },
        { [oauthScheme![0]]: [method === 'get' ? 'read' : 'write'] },
      ]);
    }
  });

  it('keeps exactly the component schemas it references, and every reference resolves', () => {
    const refs = new Set(valuesOf(doc, '$ref').map((r) => String(r.value)));
    for (const ref of refs) {
      expect(ref).toMatch(/^#\/components\/schemas\//);
      expect(doc.components.schemas[ref.replace('#/components/schemas/', '')], ref).toBeDefined();
    }
    expect(Object.keys(doc.components.schemas).sort()).toEqual(
      [...refs].map((r) => r.replace('#/components/schemas/', '')).sort(),
    );
  });
});

describe.each(databaseKinds())('GPT operations with default parameters for a big user on %s', (kind) => {
  let t: TestApp;
  let token: string;
  let doc: Document;
  let accountIds: string[];

  beforeAll(async () => {
    t = await buildTestApp(kind);
    const { user } = await newUser(t.app);
    // Ten institutions with five years each: 60 accounts, about 26,000 transactions, 40 positions.
    const ids: string[] = [];
    for (let seed = 1; seed <= 10; seed++) {
      const { accountIds: inserted } = await insertDataset(
        t.database.handle.db,
        user.id,
        generateDataset(seed, { days: 1825 }),
      );
      ids.push(...inserted.values());
    }
    accountIds = ids;
    await t.app.services.materializers.refreshUserAnalytics(user.id);
    token = (await newAccessToken(t.app, user.id, { scope: 'read' })).token;
    doc = (await t.app.inject({ url: '/openapi.gpt.json' })).json<Document>();
  }, 300_000);
  afterAll(async () => {
    await t?.close();
  });

  it('answers every GET in under 100,000 characters, each as its schema in the GPT document says', async () => {
    // The document a GPT reads must describe the real answers (patterns simplified, formats added).
    const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
    ajv.addSchema(doc, 'gpt');
    const get = (url: string) => t.app.inject({ url, headers: bearer(token) });
    const firstIds: Record<string, string> = {
      '/v1/accounts/{id}': accountIds[0]!,
      '/v1/items/{id}': (await get('/v1/items')).json<{ data: { id: string }[] }>().data[0]!.id,
    };
    const sizes: Record<string, number> = {};
    for (const { path, method } of operationsOf(doc)) {
      if (method !== 'get') continue;
      const url = path.includes('{id}') ? path.replace('{id}', firstIds[path]!) : path;
      const res = await get(url);
      expect(res.statusCode, `${url}: ${res.body.slice(0, 300)}`).toBe(200);
      sizes[path] = res.body.length;
      const pointer = `gpt#/paths/${path.replaceAll('~', '~0').replaceAll('/', '~1')}/get/responses/200/content/application~1json/schema`;
      const validate = ajv.compile({ $ref: pointer });
      expect(validate(res.json()), `${url}: ${ajv.errorsText(validate.errors)}`).toBe(true);
    }
    for (const [path, size] of Object.entries(sizes)) expect(size, path).toBeLessThan(100_000);
    expect(Object.keys(sizes).length).toBeGreaterThan(8);
  });

  it('filters transactions on comma-separated account_ids exactly as on repeated account_id', async () => {
    const [a, b] = accountIds as [string, string];
    const get = (query: string) =>
      t.app.inject({ url: `/v1/transactions?limit=200&${query}`, headers: bearer(token) });
    const repeated = await get(`account_id=${a}&account_id=${b}`);
    const commas = await get(`account_ids=${a},${b}`);
    expect(commas.statusCode).toBe(200);
    const rows = (r: typeof commas) => r.json<{ data: { id: string; account_id: string }[] }>().data;
    expect(rows(commas).length).toBeGreaterThan(0);
    expect(rows(commas).map((r) => r.id)).toEqual(rows(repeated).map((r) => r.id));
    expect(new Set(rows(commas).map((r) => r.account_id))).toEqual(new Set([a, b]));

    const bad = await get(`account_ids=${a},not-an-id`);
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(bad.json<{ errors: { field: string }[] }>().errors[0]!.field).toMatch(/^query\.account_ids/);
  });
});
