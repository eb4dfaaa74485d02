/**
 * Hostile values for the OpenAPI fuzzer, and the seeded PRNG that picks among them. Pure: no vitest,
 * no I/O, so the bench (`npm run bench -- --only fuzz`) uses the same generator as the test.
 */

/** mulberry32: a small, fast, seeded PRNG; the same seed gives the same sequence on every machine. */
export function createRandom(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  return {
    next,
    int,
    chance: (p: number) => next() < p,
    pick: <T>(values: readonly T[]): T => {
      if (values.length === 0) throw new Error('pick from an empty list');
      return values[Math.floor(next() * values.length)]!;
    },
    uuid: () => {
      const hex = () => int(0, 15).toString(16);
      const block = (n: number) => Array.from({ length: n }, hex).join('');
      return `${block(8)}-${block(4)}-4${block(3)}-${'89ab'[int(0, 3)]}${block(3)}-${block(12)}`;
    },
  };
}
export type Random = ReturnType<typeof createRandom>;

/** Strings no parameter should choke on: control and invalid code points, scripts, markup, injection. */
export const HOSTILE_STRINGS: readonly string[] = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  'merchant\u0000',
  '\ud800',
  '\udfff',
  'x\ud800y',
  '\udfff\ud800',
  '\ud83d',
  '\u202etxet lanigiro\u202c',
  '\u200b\u200c\u200d\u2060',
  '\ufeffBOM',
  '\ufffd\ufffe\uffff',
  'e\u0301'.repeat(500),
  '💸'.repeat(200),
  'ǅ İ ß ﬃ Ω',
  '１２３４',
  '\r\n\t\v\f',
  'x'.repeat(10 * 1024),
  'é'.repeat(6 * 1024),
  "'; drop table users; --",
  "' or '1'='1",
  '1; select pg_sleep(30)',
  'insert into users values (1)',
  '$1',
  '%',
  '%%',
  '_%_',
  '\\',
  '\\x00',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  '{"$gt":""}',
  '{"a":',
  '[]',
  '{}',
  'null',
  'undefined',
  'true',
  '__proto__',
  'constructor',
  '../../../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '/dev/zero',
  '${jndi:ldap://x/a}',
  '{{7*7}}',
  '%s%s%s%n',
];

/** Numbers and would-be numbers: negative, huge, non-finite, non-numeric, odd notations. */
export const HOSTILE_NUMBERS: readonly (string | number)[] = [
  -1,
  0,
  -0,
  1.5,
  2 ** 31,
  2 ** 53 + 2,
  -(2 ** 63),
  1e21,
  1e308,
  'NaN',
  'Infinity',
  '-Infinity',
  '1e309',
  '-1e309',
  '0x10',
  '1_000',
  ' 5',
  '5abc',
  '',
  '１２',
  '99999999999999999999999999999999',
  '0.00001',
  '-0.01',
  '1.',
  '.5',
  '+5',
  '0e0',
];

/** Dates that are impossible, far off, in other notations, or not dates at all. */
export const HOSTILE_DATES: readonly string[] = [
  '2024-13-01',
  '2024-01-32',
  '0000-00-00',
  '2024-00-10',
  '2024-02-30',
  '2023-02-29',
  '2024-04-31',
  '0001-01-01',
  '9999-12-31',
  '10000-01-01',
  '-0001-01-01',
  '+002024-01-01',
  '1900-01-01',
  '1969-12-31',
  '2100-01-01',
  '2024-1-1',
  '2024-01-01T00:00:00Z',
  '2024-01-01 ',
  '20240101',
  '2024/01/01',
  '01-01-2024',
  'yesterday',
  '2024-01-01\u0000',
  '２０２４-０１-０１',
  '9999-99-99',
];

/** Date ranges that are empty, reversed, or span the whole calendar. */
export const HOSTILE_RANGES: readonly [string, string][] = [
  ['0001-01-01', '9999-12-31'],
  ['1900-01-01', '2100-12-31'],
  ['9999-12-31', '0001-01-01'],
  ['2024-03-01', '2024-02-01'],
  ['2024-02-29', '2024-02-29'],
  ['1970-01-01', '2038-01-19'],
];

/** Ids that are not ids, or ids of nothing. */
export const HOSTILE_IDS: readonly string[] = [
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  'FFFFFFFF-FFFF-4FFF-BFFF-FFFFFFFFFFFF',
  '00000000-0000-0000-c000-000000000000',
  '0',
  '-1',
  '1e309',
  'null',
  '../healthz',
  '..%2f..%2fhealthz',
  "1' or '1'='1",
  'a'.repeat(1000),
  '\u0000',
  '\ud800',
  '%00',
];

/** JSON values of every type, including deep and large ones. */
export function wrongTypes(random: Random): unknown[] {
  const deep = (n: number): unknown => (n === 0 ? 1 : [deep(n - 1)]);
  return [
    null,
    true,
    0,
    -1,
    1e308,
    'string',
    [],
    ['a', 1],
    {},
    { nested: { object: true } },
    deep(random.int(50, 400)),
    Array.from({ length: 2000 }, (_, i) => i),
  ];
}

/**
 * A URI component as the bytes a hostile client may send: well-formed text as UTF-8, lone surrogates as
 * their WTF-8 bytes (`%ED%A0%80`: not UTF-8 at all), which `encodeURIComponent` refuses to produce.
 */
export function encodeComponent(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    const isHigh = code >= 0xd800 && code <= 0xdbff;
    const isLow = code >= 0xdc00 && code <= 0xdfff;
    const next = value.charCodeAt(i + 1);
    if (isHigh && next >= 0xdc00 && next <= 0xdfff) {
      out += encodeURIComponent(value.slice(i, i + 2));
      i++;
    } else if (isHigh || isLow) {
      out += [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join('');
    } else {
      out += encodeURIComponent(value[i]!);
    }
  }
  return out;
}

/** Raw percent sequences that are not valid UTF-8 or not valid percent-encoding at all. */
export const RAW_QUERY_VALUES: readonly string[] = ['%', '%zz', '%C0%AF', '%FF%FE', '%E2%82', 'a%00b'];
