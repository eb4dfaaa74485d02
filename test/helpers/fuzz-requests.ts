/**
 * The OpenAPI fuzzer's request generator: every operation of `/openapi.json` in turn, each request valid,
 * hostile in one or several places, missing or extra fields, wrong types, oversize, another user's ids,
 * or wrong credentials. Deterministic for a seed. Pure (no vitest, no I/O): the test and the bench share it.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  createRandom,
  encodeComponent,
  HOSTILE_DATES,
  HOSTILE_IDS,
  HOSTILE_NUMBERS,
  HOSTILE_RANGES,
  HOSTILE_STRINGS,
  RAW_QUERY_VALUES,
  wrongTypes,
  type Random,
} from './fuzz-values.js';

/** The slice of an OpenAPI 3.1 document the generator reads. */
export interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
  items?: JsonSchema;
  default?: unknown;
}
export interface OpenApiOperation {
  operationId?: string;
  parameters?: { in: string; name: string; required?: boolean; schema?: JsonSchema }[];
  requestBody?: { content: Record<string, { schema?: JsonSchema }> };
  security?: unknown[];
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}
export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
}

/** One user of the service under test, with the ids and values of their synced data. */
export interface FuzzPerson {
  label: string;
  email: string;
  password: string;
  /** Write-scoped personal access token: the fuzzer's main credential. */
  token: string;
  tokenId: string;
  /** Read-scoped token (write routes must refuse it). */
  readToken: string;
  readTokenId: string;
  /** Tokens the fuzzer may revoke (a valid DELETE /v1/auth/tokens/{id}). */
  spareTokenIds: string[];
  jwt: string;
  accounts: string[];
  items: string[];
  transactions: string[];
  /** Securities the user holds (GET /v1/securities/{id}). */
  securities: string[];
  runs: string[];
  cursors: { transactions?: string; runs?: string };
  /** Values of the user's data the fuzzer may send (the log check looks for others). */
  merchants: string[];
  categories: string[];
  dates: string[];
}

export interface FuzzRequest {
  n: number;
  /** `GET /v1/accounts/{id}` */
  operation: string;
  method: string;
  /** Path and query as sent (already encoded). */
  url: string;
  headers: Record<string, string>;
  body?: string;
  mode: string;
  actor: FuzzPerson | undefined;
  /** When set, the answer's status must be one of these. */
  expectStatus?: number[];
  /** Why `expectStatus` is set. */
  expectation?: string;
  /** Ids of the other user this request sends on purpose (they may be echoed in a 404's detail). */
  sentIds: string[];
  /** An empty path segment: another route may answer (`/v1/items/` is the list). */
  ambiguousRoute?: boolean;
}

interface Operation {
  key: string;
  method: string;
  path: string;
  op: OpenApiOperation;
  body?: JsonSchema;
}

export function operationsOf(doc: OpenApiDocument): Operation[] {
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const body = op.requestBody?.content['application/json']?.schema;
      operations.push({
        key: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        op,
        ...(body ? { body } : {}),
      });
    }
  }
  return operations;
}

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const WEBHOOK_PATH = '/v1/sync/plaid/webhook';
const AUTH_PATHS = new Set(['/v1/auth/token', '/v1/auth/register']);

type Kind = 'date' | 'uuid' | 'integer' | 'amount' | 'enum' | 'boolean' | 'string' | 'cursor';

function kindOf(name: string, schema: JsonSchema | undefined): Kind {
  const flat = schema?.anyOf?.find((s) => s.type !== 'null' && s.type !== 'array') ?? schema ?? {};
  if (/_date$/.test(name)) return 'date';
  if (name === 'cursor') return 'cursor';
  if (flat.format === 'uuid') return 'uuid';
  if (flat.enum) return 'enum';
  if (flat.type === 'integer' || flat.type === 'number') return 'integer';
  if (flat.type === 'boolean') return 'boolean';
  if (/amount/.test(name)) return 'amount';
  return 'string';
}

function enumOf(schema: JsonSchema | undefined): unknown[] {
  const flat = schema?.anyOf?.find((s) => s.enum) ?? schema;
  return flat?.enum ?? [];
}

export interface GeneratorOptions {
  seed: number;
  count: number;
  /** How many valid sync triggers (each a full sync of the item); default 4. */
  syncs?: number;
}

interface Budget {
  syncs: number;
}

const CURATED_STRINGS: readonly string[] = [
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfff',
  '\u202etxet\u200b\u200d',
  'x'.repeat(10 * 1024),
  "' or '1'='1",
  '<script>alert(1)</script>',
  '../../../../etc/passwd',
  '',
];
const CURATED_DATES: readonly string[] = [
  '2024-13-01',
  '2024-01-32',
  '0000-00-00',
  '2024-00-10',
  '2024-02-30',
  '0001-01-01',
  '9999-12-31',
  '10000-01-01',
  'yesterday',
  '2024-01-01\u0000',
  '\ud800',
];
const CURATED_NUMBERS: readonly string[] = [
  '-1',
  '0',
  'NaN',
  '1e309',
  '-1e309',
  '9007199254740993',
  '1.5',
  'abc',
  '',
  '\u0000',
];
const CURATED_IDS: readonly string[] = [
  '00000000-0000-0000-0000-000000000000',
  '6f1c1f5e-1d2b-4c3a-9e8f-0a1b2c3d4e5f',
  '\u0000',
  '\ud800',
  'a'.repeat(1000),
  '1e309',
  "1' or '1'='1",
];

function curatedQueryValues(kind: Kind, schema: JsonSchema | undefined): unknown[] {
  switch (kind) {
    case 'date':
      return [...CURATED_DATES];
    case 'integer':
    case 'amount':
      return [...CURATED_NUMBERS];
    case 'uuid':
      return [...CURATED_IDS];
    case 'enum':
    case 'boolean': {
      const value = String(enumOf(schema)[0] ?? 'true');
      return [value.toUpperCase(), `${value}\u0000`, ' ', '\ud800', 'x'.repeat(10 * 1024)];
    }
    default:
      return [...CURATED_STRINGS];
  }
}

function curatedBodyValues(name: string, kind: Kind): unknown[] {
  const types = [null, 1, [], {}, true];
  if (name === 'email') {
    return [
      ...types,
      'a\u0000b@example.com',
      '\ud800@example.com',
      `${'x'.repeat(250)}@example.com`,
      '',
      'x'.repeat(10 * 1024),
      '\u202e@example.com',
    ];
  }
  if (name === 'password') {
    return [
      ...types,
      'a long passphrase\ud800',
      'a long pass\u0000phrase',
      'x'.repeat(1025),
      'x'.repeat(100 * 1024),
      '',
    ];
  }
  if (kind === 'integer') return [...types, -1, 0, 1.5, 1e308, 2 ** 53 + 2, 'NaN', '1e309', '5'];
  return [...types, ...CURATED_STRINGS];
}

/**
 * The systematic phase: for every operation, every parameter and body field with each curated hostile
 * value of its kind (everything else valid, so the value reaches the code that uses it), every hostile
 * date range with every interval, and each of the other modes once (another user's ids, credentials,
 * missing, extra, wrong body, oversize).
 */
export function systematicFuzzRequests(
  doc: OpenApiDocument,
  people: readonly FuzzPerson[],
  options: { seed: number; syncs?: number },
): FuzzRequest[] {
  const random = createRandom(options.seed ^ 0x5eed);
  const requests: FuzzRequest[] = [];
  const revoked = new Set<string>();
  const budget: Budget = { syncs: options.syncs ?? 2 };
  let n = 0;
  const add = (operation: Operation, forced: Forced) => {
    const actor = people[n % people.length]!;
    const other = people.find((p) => p !== actor) ?? actor;
    requests.push(buildRequest(n++, operation, actor, other, random, revoked, budget, forced));
  };
  for (const operation of operationsOf(doc)) {
    for (const mode of [
      'valid',
      'cross-user',
      'auth',
      'auth',
      'missing',
      'extra',
      'body',
      'oversize',
    ] as const) {
      add(operation, { mode });
    }
    if (operation.path === WEBHOOK_PATH) continue;
    const params = operation.op.parameters ?? [];
    for (const param of params) {
      if (param.in !== 'query' && param.in !== 'path') continue;
      const kind = param.in === 'path' ? 'uuid' : kindOf(param.name, param.schema);
      for (const value of curatedQueryValues(kind, param.schema)) {
        add(operation, { target: `${param.in}:${param.name}`, value });
      }
      if (param.in === 'query') {
        for (const raw of RAW_QUERY_VALUES)
          add(operation, { target: `query:${param.name}`, value: raw, raw: true });
      }
    }
    if (params.some((p) => p.name === 'start_date') && params.some((p) => p.name === 'end_date')) {
      const interval = params.find((p) => p.name === 'interval');
      const intervals = [undefined, ...((interval?.schema?.enum as string[] | undefined) ?? [])];
      for (const range of HOSTILE_RANGES) {
        for (const value of intervals) add(operation, { range, ...(value ? { interval: value } : {}) });
      }
    }
    const schema = operation.body?.anyOf?.find((s) => s.type === 'object') ?? operation.body;
    for (const [name, field] of Object.entries(schema?.properties ?? {})) {
      for (const value of curatedBodyValues(name, kindOf(name, field)))
        add(operation, { target: `body:${name}`, value });
    }
  }
  return requests;
}

/**
 * The systematic phase (every parameter × every curated hostile value of its kind), then `count`
 * random requests; numbered in that order.
 */
export function generateFuzzRequests(
  doc: OpenApiDocument,
  people: readonly FuzzPerson[],
  options: GeneratorOptions,
): FuzzRequest[] {
  return [...systematicFuzzRequests(doc, people, options), ...randomFuzzRequests(doc, people, options)].map(
    (request, n) => ({ ...request, n }),
  );
}

/**
 * `count` requests over every operation of `doc` in turn (so every operation is tried once `count` ≥ the
 * number of operations), acting as one of `people` (and trying the other's ids), each in a mode drawn
 * at random: valid, hostile in one or several places, another user's ids, missing or extra fields, a
 * wrong body, wrong credentials, oversize.
 */
export function randomFuzzRequests(
  doc: OpenApiDocument,
  people: readonly FuzzPerson[],
  options: GeneratorOptions,
): FuzzRequest[] {
  const random = createRandom(options.seed);
  const operations = operationsOf(doc);
  const requests: FuzzRequest[] = [];
  const revoked = new Set<string>();
  const budget: Budget = { syncs: options.syncs ?? 4 };
  for (let n = 0; n < options.count; n++) {
    const operation = operations[n % operations.length]!;
    const actor = random.pick(people);
    const other = people.find((p) => p !== actor) ?? actor;
    requests.push(buildRequest(n, operation, actor, other, random, revoked, budget));
  }
  return requests;
}

/** A request of the systematic phase: one parameter (or the date range) set, everything else valid. */
interface Forced {
  mode?: Mode;
  /** `query:limit`, `path:id`, `body:email` */
  target?: string;
  value?: unknown;
  /** Send `value` as it is in the query (already percent-encoded, or not valid percent-encoding). */
  raw?: boolean;
  range?: [string, string];
  interval?: string;
}

const MODES = [
  ['valid', 25],
  ['hostile-one', 30],
  ['hostile-many', 10],
  ['cross-user', 8],
  ['missing', 5],
  ['extra', 5],
  ['body', 7],
  ['auth', 5],
  ['oversize', 5],
] as const;
type Mode = (typeof MODES)[number][0] | 'systematic';

function pickMode(random: Random): Mode {
  const total = MODES.reduce((sum, [, weight]) => sum + weight, 0);
  let roll = random.next() * total;
  for (const [mode, weight] of MODES) {
    roll -= weight;
    if (roll < 0) return mode;
  }
  return 'valid';
}

function hostileValue(kind: Kind, random: Random, schema?: JsonSchema): string {
  const roll = random.next();
  if (kind === 'date' && roll < 0.7) return random.pick(HOSTILE_DATES);
  if ((kind === 'integer' || kind === 'amount') && roll < 0.7) return String(random.pick(HOSTILE_NUMBERS));
  if (kind === 'uuid' && roll < 0.6) return random.pick(HOSTILE_IDS);
  if (kind === 'enum' && roll < 0.5) {
    const value = String(random.pick(enumOf(schema)));
    return random.pick([value.toUpperCase(), ` ${value}`, `${value}\u0000`, `${value},${value}`, '1', '']);
  }
  if (kind === 'boolean' && roll < 0.5) return random.pick(['yes', '1', 'TRUE', 'on', '']);
  if (roll < 0.8) return random.pick(HOSTILE_STRINGS);
  return String(random.pick(HOSTILE_NUMBERS));
}

/** A date range inside the user's data (or around it), start ≤ end. */
function validRange(actor: FuzzPerson, random: Random): [string, string] {
  const dates = actor.dates.length ? actor.dates : ['2024-01-01'];
  const a = random.pick(dates);
  const b = random.pick(dates);
  return a <= b ? [a, b] : [b, a];
}

function corruptCursor(cursor: string, random: Random): string {
  const variants = [
    cursor.slice(0, Math.max(1, cursor.length - 3)),
    cursor + 'A',
    cursor.split('').reverse().join(''),
    Buffer.from('{"date":"9999-99-99","id":"x"}').toString('base64url'),
    Buffer.from('{"d":"2024-13-01","i":"\\u0000"}').toString('base64url'),
    Buffer.from('[1,2,3]').toString('base64url'),
    Buffer.from('null').toString('base64url'),
    Buffer.from(randomBytes(48)).toString('base64url'),
  ];
  const middle = Math.floor(cursor.length / 2);
  variants.push(cursor.slice(0, middle) + (cursor[middle] === 'A' ? 'B' : 'A') + cursor.slice(middle + 1));
  return random.pick(variants);
}

/** The valid value of a query parameter for `actor`, or undefined when there is none to give. */
function validQueryValue(
  name: string,
  kind: Kind,
  schema: JsonSchema | undefined,
  actor: FuzzPerson,
  operation: Operation,
  random: Random,
): string | undefined {
  switch (name) {
    case 'account_id':
      return actor.accounts.length ? random.pick(actor.accounts) : undefined;
    case 'item_id':
      return actor.items.length ? random.pick(actor.items) : undefined;
    case 'category':
      return actor.categories.length ? random.pick(actor.categories) : undefined;
    case 'merchant':
      return actor.merchants.length ? random.pick(actor.merchants) : undefined;
    case 'q': {
      if (!actor.merchants.length) return 'coffee';
      const merchant = random.pick(actor.merchants);
      return merchant.slice(0, random.int(1, merchant.length)).toLowerCase();
    }
    case 'min_amount':
    case 'max_amount':
      return random.pick(['0', '1', '10', '25.5', '99.99', '1000', '100000']);
    case 'month':
      // The current month or one before it (a later one is 400).
      return new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() - random.int(0, 24), 1))
        .toISOString()
        .slice(0, 7);
    case 'currency':
      return 'USD';
    case 'cursor': {
      const cursor = operation.path === '/v1/transactions' ? actor.cursors.transactions : actor.cursors.runs;
      return cursor;
    }
  }
  if (kind === 'enum') return String(random.pick(enumOf(schema)));
  if (kind === 'integer') {
    const flat = schema?.anyOf?.[0] ?? schema ?? {};
    return String(random.int(flat.minimum ?? 0, Math.min(flat.maximum ?? 1000, 1000)));
  }
  if (kind === 'boolean') return random.pick(['true', 'false']);
  if (kind === 'uuid') return random.uuid();
  return undefined;
}

/** Which ids a path `{id}` takes: valid ones of the actor (never the credentials or data it runs on). */
function validPathId(operation: Operation, actor: FuzzPerson, revoked: Set<string>, random: Random) {
  const { method, path } = operation;
  if (path.startsWith('/v1/accounts/'))
    return random.pick(actor.accounts.length ? actor.accounts : [random.uuid()]);
  if (path.startsWith('/v1/auth/tokens/')) {
    const spare = actor.spareTokenIds.filter((id) => !revoked.has(id));
    const id = spare.length ? random.pick(spare) : random.uuid();
    revoked.add(id);
    return id;
  }
  if (path.startsWith('/v1/items/')) {
    // Never delete the actor's own items: the rest of the run reads their data.
    if (method === 'DELETE') return random.uuid();
    return random.pick(actor.items.length ? actor.items : [random.uuid()]);
  }
  if (path.startsWith('/v1/transactions/'))
    return random.pick(actor.transactions.length ? actor.transactions : [random.uuid()]);
  if (path.startsWith('/v1/budgets/')) return random.pick(['FOOD_AND_DRINK', 'TRAVEL', 'My own category']);
  if (path.startsWith('/v1/securities/'))
    return random.pick(actor.securities.length ? actor.securities : [random.uuid()]);
  return random.uuid();
}

/** The other user's id for a path `{id}` (any answer but 404 is a leak or a takeover). */
function crossUserPathId(operation: Operation, other: FuzzPerson, random: Random): string | undefined {
  const { path } = operation;
  if (path.startsWith('/v1/accounts/'))
    return other.accounts.length ? random.pick(other.accounts) : undefined;
  if (path.startsWith('/v1/auth/tokens/')) return random.pick([other.tokenId, other.readTokenId]);
  if (path.startsWith('/v1/items/')) return other.items.length ? random.pick(other.items) : undefined;
  if (path.startsWith('/v1/transactions/'))
    return other.transactions.length ? random.pick(other.transactions) : undefined;
  return undefined;
}

function validBody(
  operation: Operation,
  actor: FuzzPerson,
  random: Random,
  n: number,
  budget: Budget,
): Record<string, unknown> | undefined {
  switch (operation.key) {
    case 'POST /v1/auth/token':
      return { email: actor.email, password: actor.password };
    case 'POST /v1/auth/register':
      return {
        email: `fuzz-${n}-${random.int(0, 1e9)}@example.com`,
        password: 'a long enough fuzz passphrase',
      };
    case 'POST /v1/auth/tokens':
      return {
        name: `fuzz ${n}`,
        ...(random.chance(0.5) ? { scope: random.pick(['read', 'write']) } : {}),
        ...(random.chance(0.5) ? { expires_in_days: random.int(1, 3650) } : {}),
      };
    case 'POST /v1/sync/trigger':
      // A few real syncs (each one a full pull from the emulator); the rest name an item of nobody.
      if (budget.syncs-- <= 0) return { item_id: random.uuid() };
      return random.chance(0.5) && actor.items.length ? { item_id: random.pick(actor.items) } : {};
    case 'POST /v1/plaid/link-token':
      return random.chance(0.6) || !actor.items.length
        ? {}
        : { item_id: random.pick(actor.items), ...(random.chance(0.5) ? { account_selection: true } : {}) };
    case 'POST /v1/plaid/item/public-token/exchange':
      return { public_token: `public-sandbox-${random.uuid()}` };
    case 'POST /v1/items/{id}/repaired':
      return {};
    case 'PATCH /v1/transactions/{id}':
      // The actor's own fields (never a version: a stale one is 412, which says nothing here).
      return random.pick([
        { note: `fuzz ${n}` },
        { tags: ['fuzz', `n${n}`] },
        { category: 'FUZZ_CATEGORY', merchant_name: `Fuzz ${n}` },
        { excluded: random.chance(0.5), ...(random.chance(0.5) ? {} : { note: null }) },
      ]);
    case 'POST /v1/rules':
      return {
        match: { text: `fuzz rule ${n}`, ...(random.chance(0.5) ? { kind: 'equals', field: 'name' } : {}) },
        ...(random.chance(0.5) ? { min_amount: '-100.00', max_amount: '-1' } : {}),
        set_category: 'FUZZ_RULE',
        ...(random.chance(0.5) ? { add_tags: ['fuzz'] } : {}),
      };
    case 'PUT /v1/budgets/{category}':
      return {
        amount: random.pick(['0', '25', '250.00', '1234.5678']),
        currency: 'USD',
        ...(random.chance(0.5) ? { rollover: random.chance(0.5) } : {}),
      };
  }
  if (!operation.body) return undefined;
  const body: Record<string, unknown> = {};
  const schema = operation.body.anyOf?.find((s) => s.type === 'object') ?? operation.body;
  for (const [name, field] of Object.entries(schema.properties ?? {})) {
    const kind = kindOf(name, field);
    body[name] =
      kind === 'integer'
        ? random.int(field.minimum ?? 0, field.maximum ?? 10)
        : kind === 'enum'
          ? random.pick(enumOf(field))
          : `fuzz ${n}`;
  }
  return body;
}

function hostileBodyValue(name: string, field: JsonSchema | undefined, random: Random): unknown {
  const kind = kindOf(name, field);
  const roll = random.next();
  if (roll < 0.25) return random.pick(wrongTypes(random));
  if ((kind === 'integer' || kind === 'amount') && roll < 0.6) {
    const value = random.pick(HOSTILE_NUMBERS);
    return random.chance(0.5) && typeof value === 'string' && Number.isFinite(Number(value))
      ? Number(value)
      : value;
  }
  if (name === 'email' && roll < 0.5) {
    return random.pick([
      `a\u0000b@example.com`,
      `${'x'.repeat(250)}@example.com`,
      '\ud800@example.com',
      'ana@exa\u202emple.com',
      'ANA@EXAMPLE.COM ',
      '"quoted"@example.com',
      'a@b',
      '@',
    ]);
  }
  if (name === 'password' && roll < 0.6) {
    return random.pick([
      'a long passphrase\ud800',
      'a long passphrase\udfff',
      'a long passphrase\ufffd',
      'a long pass\u0000phrase',
      'x'.repeat(1025),
      'x'.repeat(100 * 1024),
      'é'.repeat(1024),
    ]);
  }
  return random.pick(HOSTILE_STRINGS);
}

function base64url(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

/** A `Plaid-Verification` JWT that looks right and is not signed by Plaid. */
function forgedVerification(body: string, random: Random): string {
  const sha = createHash('sha256').update(body).digest('hex');
  const now = Math.floor(Date.now() / 1000);
  const payload = { iat: now, request_body_sha256: sha };
  const sig = base64url(randomBytes(64));
  return random.pick([
    `${base64url({ alg: 'ES256', kid: random.uuid(), typ: 'JWT' })}.${base64url(payload)}.${sig}`,
    `${base64url({ alg: 'none', kid: random.uuid() })}.${base64url(payload)}.`,
    `${base64url({ alg: 'HS256', kid: random.uuid() })}.${base64url(payload)}.${sig}`,
    `${base64url({ alg: 'ES256', kid: '../../etc/passwd' })}.${base64url({ iat: 1, request_body_sha256: sha })}.${sig}`,
    `${base64url({ alg: 'ES256', kid: 'x'.repeat(5000) })}.${base64url(payload)}.${sig}`,
    'not-a-jwt',
    '',
    `${base64url({ alg: 'ES256' })}.${base64url('[]')}.${sig}`,
  ]);
}

function forgedBearer(random: Random, other: FuzzPerson): { value: string | undefined; label: string } {
  const now = Math.floor(Date.now() / 1000);
  return random.pick([
    { value: undefined, label: 'no Authorization' },
    { value: 'Bearer', label: 'Bearer without token' },
    { value: 'Bearer ', label: 'Bearer and a space' },
    { value: `Basic ${Buffer.from('ana:pw').toString('base64')}`, label: 'Basic auth' },
    { value: `Bearer fapat_${'0'.repeat(40)}`, label: 'made-up personal access token' },
    { value: `Bearer ${other.token.slice(0, -2)}xx`, label: 'tampered personal access token' },
    { value: `Bearer ${other.token.toUpperCase()}`, label: 'upper-cased personal access token' },
    { value: `Bearer ${other.jwt.slice(0, -4)}AAAA`, label: 'JWT with a tampered signature' },
    {
      value: `Bearer ${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ sub: random.uuid(), exp: now + 3600 })}.`,
      label: 'unsigned JWT (alg none)',
    },
    {
      value: `Bearer ${base64url({ alg: 'HS256', typ: 'JWT' })}.${base64url({ sub: random.uuid(), exp: now - 10 })}.${base64url(randomBytes(32))}`,
      label: 'expired JWT, wrong key',
    },
    { value: `Bearer ${'a'.repeat(8000)}`, label: '8 KB token' },
    {
      value: `bearer ${random.pick(HOSTILE_STRINGS.filter((s) => /^[\x20-\x7e]*$/.test(s) && s.length < 200))}`,
      label: 'printable garbage',
    },
  ]);
}

function buildRequest(
  n: number,
  operation: Operation,
  actor: FuzzPerson,
  other: FuzzPerson,
  random: Random,
  revoked: Set<string>,
  budget: Budget,
  forced?: Forced,
): FuzzRequest {
  const mode: Mode = forced?.mode ?? (forced ? 'systematic' : pickMode(random));
  if (operation.path === WEBHOOK_PATH) return webhookRequest(n, operation, mode, random);
  const secured = (operation.op.security?.length ?? 0) > 0;
  const headers: Record<string, string> = {};
  const sentIds: string[] = [];
  let expectStatus: number[] | undefined;
  let expectation: string | undefined;
  let ambiguousRoute = false;
  const hostile = (p: number) => (mode === 'hostile-many' ? random.chance(p) : false);

  // Path.
  let path = operation.path;
  const pathParams = (operation.op.parameters ?? []).filter((p) => p.in === 'path');
  const hostileTargets: string[] = [
    ...(operation.op.parameters ?? []).filter((p) => p.in !== 'header').map((p) => `${p.in}:${p.name}`),
    ...Object.keys(
      (operation.body?.anyOf?.find((s) => s.type === 'object') ?? operation.body)?.properties ?? {},
    ).map((name) => `body:${name}`),
  ];
  const target =
    forced?.target ??
    (mode === 'hostile-one' && hostileTargets.length ? random.pick(hostileTargets) : undefined);
  for (const param of pathParams) {
    let value: string;
    const isTarget = target === `path:${param.name}` || hostile(0.7);
    if (forced?.target === `path:${param.name}`) {
      value = String(forced.value);
    } else if (mode === 'cross-user' || (mode === 'hostile-one' && !target)) {
      const id = crossUserPathId(operation, other, random);
      value = id ?? validPathId(operation, actor, revoked, random);
      if (id) {
        sentIds.push(id);
        expectStatus = [404];
        expectation = "another user's id must be 404";
      }
    } else if (isTarget) {
      value = hostileValue('uuid', random);
    } else {
      value = validPathId(operation, actor, revoked, random);
    }
    if (value === '') ambiguousRoute = true;
    path = path.replace(`{${param.name}}`, encodeComponent(value));
  }

  // Query.
  const query: string[] = [];
  const queryParams = (operation.op.parameters ?? []).filter((p) => p.in === 'query');
  const dateNames = queryParams.filter((p) => /_date$/.test(p.name)).map((p) => p.name);
  let range: [string, string] | undefined;
  if (forced?.range) {
    range = forced.range;
  } else if (dateNames.length === 2) {
    range =
      (mode === 'hostile-one' && target?.endsWith('_date') && random.chance(0.5)) ||
      (mode === 'hostile-many' && random.chance(0.3))
        ? random.pick(HOSTILE_RANGES)
        : validRange(actor, random);
  }
  for (const param of queryParams) {
    const kind = kindOf(param.name, param.schema);
    const isTarget = target === `query:${param.name}` || hostile(0.5);
    let value: string | undefined;
    if (mode === 'missing' && random.chance(0.5)) continue;
    if (forced?.target === `query:${param.name}`) {
      if (forced.raw) {
        query.push(`${param.name}=${String(forced.value)}`);
        continue;
      }
      value = String(forced.value);
    } else if (forced && param.name === 'interval' && forced.range) {
      if (forced.interval === undefined) continue;
      value = forced.interval;
    } else if (mode === 'cross-user' && (param.name === 'account_id' || param.name === 'item_id')) {
      const pool = param.name === 'account_id' ? other.accounts : other.items;
      if (pool.length) {
        value = random.pick(pool);
        sentIds.push(value);
      }
    } else if (mode === 'cross-user' && param.name === 'cursor') {
      value = operation.path === '/v1/transactions' ? other.cursors.transactions : other.cursors.runs;
    } else if (isTarget) {
      if (kind === 'cursor') {
        const mine = operation.path === '/v1/transactions' ? actor.cursors.transactions : actor.cursors.runs;
        value = mine && random.chance(0.6) ? corruptCursor(mine, random) : hostileValue('string', random);
      } else if (kind === 'date' && range && !random.chance(0.3)) {
        value = param.name === 'start_date' ? range[0] : range[1];
        if (!HOSTILE_RANGES.some((r) => r[0] === range![0] && r[1] === range![1]))
          value = hostileValue('date', random);
      } else if (random.chance(0.1)) {
        query.push(`${param.name}=${random.pick(RAW_QUERY_VALUES)}`);
        continue;
      } else {
        value = hostileValue(kind, random, param.schema);
      }
    } else if (kind === 'date' && range) {
      if (!random.chance(0.7) && mode !== 'valid' && mode !== 'systematic') continue;
      value = param.name === 'start_date' ? range[0] : range[1];
    } else if (param.required || random.chance(0.5)) {
      value = validQueryValue(param.name, kind, param.schema, actor, operation, random);
    }
    if (value === undefined) continue;
    query.push(`${encodeComponent(param.name)}=${encodeComponent(value)}`);
    // Arrays: the same parameter twice (account_id takes a list; the others must refuse or pick one).
    if (isTarget && random.chance(0.15))
      query.push(`${encodeComponent(param.name)}=${encodeComponent(value)}`);
  }
  if (mode === 'extra') {
    query.push(
      random.pick([
        'unknown=1',
        '__proto__[admin]=1',
        'constructor[prototype][admin]=1',
        `${encodeComponent(random.pick(HOSTILE_STRINGS))}=1`,
        'limit=1&limit=2',
        'a[b][c][d][e][f]=1',
      ]),
    );
  }
  if (mode === 'oversize' && random.chance(0.4)) {
    query.push(`pad=${'x'.repeat(random.pick([4_000, 10_000, 20_000, 70_000]))}`);
  }

  // Body.
  let body: string | undefined;
  const object = validBody(operation, actor, random, n, budget);
  if (object !== undefined) {
    const schema = operation.body?.anyOf?.find((s) => s.type === 'object') ?? operation.body;
    for (const name of Object.keys(schema?.properties ?? {})) {
      if (forced?.target === `body:${name}`) {
        object[name] = forced.value;
      } else if (target === `body:${name}` || hostile(0.5)) {
        object[name] = hostileBodyValue(name, schema?.properties?.[name], random);
      }
    }
    if (mode === 'missing') {
      const names = Object.keys(object);
      if (names.length && random.chance(0.7)) delete object[random.pick(names)];
      else if (random.chance(0.5)) body = undefined;
    }
    if (mode === 'extra') {
      const key = random.pick([
        'is_admin',
        'user_id',
        '__proto__',
        'constructor',
        'id',
        random.pick(HOSTILE_STRINGS),
      ]);
      if (key === '__proto__') body = JSON.stringify(object).replace(/^\{/, '{"__proto__":{"admin":true},');
      else object[key] = random.pick([true, 'x', 1, { admin: true }]);
    }
    if (mode === 'cross-user' && 'item_id' in object && other.items.length) {
      const id = random.pick(other.items);
      object.item_id = id;
      sentIds.push(id);
      expectStatus = [404];
      expectation = "another user's item must be 404";
    }
    body ??= JSON.stringify(object);
    if (mode === 'missing' && random.chance(0.3)) body = undefined;
  }
  if (mode === 'body' && WRITE_METHODS.has(operation.method)) {
    const choice = random.int(0, 5);
    if (choice === 0) body = JSON.stringify(random.pick(wrongTypes(random)));
    else if (choice === 1)
      body = random.pick(['{', '{"a":1,}', "{'a':1}", 'nul', '{"a":1}{"b":2}', '\u0000', '\ud800', '']);
    else if (choice === 2) {
      // Malformed JSON around the user's real credentials: its parse error must not carry them to the logs.
      body = `{"email":"${actor.email}","password":"${actor.password}",`;
    } else if (choice === 3)
      headers['content-type'] = random.pick([
        'text/plain',
        'application/x-www-form-urlencoded',
        'application/json; charset=latin1',
        'multipart/form-data; boundary=x',
        'application/xml',
      ]);
    else if (choice === 4)
      body = JSON.stringify({
        ...(object ?? {}),
        [random.pick(['a', 'b'])]: 'x'.repeat(random.pick([10_000, 300_000])),
      });
    else body = '"' + '\\u0000'.repeat(2000) + '"';
    body ??= '';
  }
  if (mode === 'oversize' && WRITE_METHODS.has(operation.method) && random.chance(0.5)) {
    body = JSON.stringify({ pad: 'x'.repeat(random.pick([500_000, 2 * 1024 * 1024])) });
  }
  if (mode === 'oversize' && random.chance(0.4)) {
    headers['x-fuzz-pad'] = 'x'.repeat(random.pick([8_000, 20_000, 70_000]));
  }
  if (body !== undefined) headers['content-type'] ??= 'application/json';

  // Credentials.
  let actorOut: FuzzPerson | undefined = actor;
  if (secured) {
    if (mode === 'auth') {
      const kind = random.int(0, 2);
      if (kind === 0 && WRITE_METHODS.has(operation.method)) {
        headers.authorization = `Bearer ${actor.readToken}`;
        if (!expectStatus) {
          expectStatus = [403];
          expectation = 'a read-scoped token must be refused on a write route';
        }
      } else if (kind === 1) {
        headers.authorization = `Bearer ${actor.jwt}`;
      } else {
        const forged = forgedBearer(random, other);
        if (forged.value !== undefined) headers.authorization = forged.value;
        actorOut = undefined;
        expectStatus = [401];
        expectation = `${forged.label} must be 401`;
      }
    } else {
      headers.authorization = `Bearer ${actor.token}`;
    }
  } else if (AUTH_PATHS.has(operation.path) && mode === 'auth') {
    headers.authorization = `Bearer ${other.token}`;
  }
  if (headers['x-fuzz-pad'] && expectStatus) {
    expectStatus = undefined; // a 431 comes before anything else
    expectation = undefined;
  }
  if (query.some((q) => q.length > 8_000) && expectStatus) {
    expectStatus = undefined;
    expectation = undefined;
  }

  return {
    n,
    operation: operation.key,
    method: operation.method,
    url: path + (query.length ? `?${query.join('&')}` : ''),
    headers,
    ...(body !== undefined ? { body } : {}),
    mode,
    actor: actorOut,
    ...(expectStatus ? { expectStatus, expectation } : {}),
    sentIds,
    ...(ambiguousRoute ? { ambiguousRoute, expectStatus: undefined, expectation: undefined } : {}),
  };
}

function webhookRequest(n: number, operation: Operation, mode: Mode, random: Random): FuzzRequest {
  const itemId = `item-${random.uuid()}`;
  const bodies = [
    JSON.stringify(
      {
        webhook_type: 'TRANSACTIONS',
        webhook_code: 'SYNC_UPDATES_AVAILABLE',
        item_id: itemId,
        environment: 'sandbox',
      },
      null,
      2,
    ),
    JSON.stringify({
      webhook_type: 'ITEM',
      webhook_code: 'ERROR',
      item_id: itemId,
      error: { error_code: 'ITEM_LOGIN_REQUIRED' },
    }),
    JSON.stringify({
      webhook_type: random.pick(HOSTILE_STRINGS),
      webhook_code: random.pick(HOSTILE_STRINGS),
      item_id: random.pick(HOSTILE_STRINGS),
    }),
    JSON.stringify(random.pick(wrongTypes(random))),
    '{"webhook_type":',
    '',
  ];
  let body =
    mode === 'oversize'
      ? JSON.stringify({ pad: 'x'.repeat(random.pick([70_000, 2 * 1024 * 1024])) })
      : random.pick(bodies);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (mode === 'body')
    headers['content-type'] = random.pick([
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/octet-stream',
    ]);
  if (mode !== 'missing') headers['plaid-verification'] = forgedVerification(body, random);
  if (mode === 'extra') body = body.replace(/^\{/, '{"__proto__":{"admin":true},');
  return {
    n,
    operation: operation.key,
    method: 'POST',
    url: WEBHOOK_PATH,
    headers,
    body,
    mode: `webhook-${mode}`,
    actor: undefined,
    expectStatus: [400, 401, 413, 415, 429],
    expectation: 'a forged webhook must be refused',
    sentIds: [],
  };
}
