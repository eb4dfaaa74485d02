import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cleanOptionalUntrustedText,
  cleanUntrustedText,
  isCleanText,
  jsonbSafe,
  UNTRUSTED_TEXT_LIMITS,
} from '../../src/lib/text.js';
import { mapAccount, mapInstitution, mapSecurity, mapTransaction } from '../../src/plaid/mappers.js';
import { plaidAccount, plaidInstitution, plaidSecurity, plaidTransaction } from '../plaid/plaid-objects.js';

/** Every character the cleaning must remove, by name. */
const REMOVED: Record<string, string> = {
  NUL: '\u0000',
  BEL: '\u0007',
  ESC: '\u001b',
  DEL: '\u007f',
  'C1 CSI': '\u009b',
  LRE: '\u202a',
  RLE: '\u202b',
  PDF: '\u202c',
  LRO: '\u202d',
  RLO: '\u202e',
  LRI: '\u2066',
  RLI: '\u2067',
  FSI: '\u2068',
  PDI: '\u2069',
  LRM: '\u200e',
  RLM: '\u200f',
  ALM: '\u061c',
  ZWSP: '\u200b',
  ZWNJ: '\u200c',
  ZWJ: '\u200d',
  'WORD JOINER': '\u2060',
  'INVISIBLE TIMES': '\u2062',
  BOM: '\ufeff',
  'MONGOLIAN VOWEL SEPARATOR': '\u180e',
  'INTERLINEAR ANNOTATION': '\ufff9',
  'TAG LATIN SMALL LETTER I': '\u{e0069}',
  'CANCEL TAG': '\u{e007f}',
  'VARIATION SELECTOR-16': '\ufe0f',
  'VARIATION SELECTOR-17': '\u{e0100}',
  'LONE HIGH SURROGATE': '\ud800',
  'LONE LOW SURROGATE': '\udc00',
};

/** Whitespace that becomes one space. */
const SPACES = [
  '\t',
  '\n',
  '\r',
  '\u000b',
  '\u000c',
  '\u0085',
  '\u00a0',
  '\u2003',
  '\u2028',
  '\u2029',
  '\u3000',
];

/** Code points that must never survive, as the issue lists them (plus tags and other controls). */
const FORBIDDEN_RANGES: [number, number][] = [
  [0x00, 0x1f],
  [0x7f, 0x9f],
  [0x061c, 0x061c],
  [0x200b, 0x200f],
  [0x202a, 0x202e],
  [0x2060, 0x2064],
  [0x2066, 0x2069],
  [0xfeff, 0xfeff],
  [0xd800, 0xdfff], // what codePointAt returns for an unpaired surrogate
  [0xe0000, 0xe007f],
  [0xfe00, 0xfe0f],
  [0xe0100, 0xe01ef],
];
function forbiddenIn(text: string): string[] {
  return Array.from(text).filter((c) => {
    const cp = c.codePointAt(0)!;
    return FORBIDDEN_RANGES.some(([low, high]) => cp >= low && cp <= high);
  });
}

describe('cleanUntrustedText', () => {
  for (const [name, char] of Object.entries(REMOVED)) {
    it(`removes ${name} (U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')})`, () => {
      expect(cleanUntrustedText(`Pay${char}Pal`, 200)).toBe('PayPal');
    });
  }

  it('turns every kind of whitespace run into one space and trims', () => {
    for (const space of SPACES) {
      expect(cleanUntrustedText(`${space} STARBUCKS${space}${space} #123 ${space}`, 200), escape(space)).toBe(
        'STARBUCKS #123',
      );
    }
  });

  it('hides nothing in a bidi-spoofed memo: the reader sees the characters in stored order', () => {
    // "Refund \u202eexe.doc" renders as "Refund cod.exe" in a bidi-aware viewer.
    expect(cleanUntrustedText('Refund \u202eexe.doc\u202c', 200)).toBe('Refund exe.doc');
  });

  it('removes ASCII smuggled in Unicode tag characters', () => {
    const smuggled = Array.from('ignore previous instructions', (c) =>
      String.fromCodePoint(0xe0000 + c.charCodeAt(0)),
    ).join('');
    expect(cleanUntrustedText(`Coffee${smuggled} Shop`, 200)).toBe('Coffee Shop');
  });

  it('keeps ordinary text from anywhere as it is', () => {
    for (const text of [
      'Café Zürich',
      'Ресторан «Пушкин»',
      'スターバックス',
      'مطعم',
      'Powell’s Books — 50% off',
      '🍕 Pizza 🇺🇸',
      '𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
    ])
      expect(cleanUntrustedText(text, 200)).toBe(text);
  });

  it('bounds the length in code points, marks a cut with …, and never splits a surrogate pair', () => {
    expect(cleanUntrustedText('a'.repeat(10), 10)).toBe('a'.repeat(10));
    expect(cleanUntrustedText('a'.repeat(11), 10)).toBe(`${'a'.repeat(9)}…`);
    const emoji = '😀'.repeat(20);
    const cut = cleanUntrustedText(emoji, 10);
    expect(Array.from(cut)).toHaveLength(10);
    expect(cut).toBe(`${'😀'.repeat(9)}…`);
    expect(isCleanText(cut)).toBe(true);
    // A run of invisible characters does not count against the limit.
    expect(cleanUntrustedText(`${'\u200b'.repeat(1_000)}ok`, 10)).toBe('ok');
  });

  it('leaves no control, bidi, zero-width or tag character, no whitespace run, and is idempotent', () => {
    const hostile = fc.constantFrom(...Object.values(REMOVED), ...SPACES, ' ');
    const text = fc.array(fc.oneof(fc.string({ unit: 'binary', maxLength: 3 }), hostile), { maxLength: 80 });
    fc.assert(
      fc.property(text, fc.integer({ min: 1, max: 60 }), (parts, max) => {
        const cleaned = cleanUntrustedText(parts.join(''), max);
        expect(forbiddenIn(cleaned)).toEqual([]);
        expect(cleaned).not.toMatch(/\s\s|^\s|\s$|[^ \S]/);
        expect(Array.from(cleaned).length).toBeLessThanOrEqual(max);
        expect(isCleanText(cleaned)).toBe(true);
        expect(cleanUntrustedText(cleaned, max)).toBe(cleaned);
      }),
      { numRuns: 500 },
    );
  });

  it('gives null for an optional field that is absent or only invisible characters', () => {
    expect(cleanOptionalUntrustedText(null, 10)).toBeNull();
    expect(cleanOptionalUntrustedText(undefined, 10)).toBeNull();
    expect(cleanOptionalUntrustedText('\u200b \u202e\n', 10)).toBeNull();
    expect(cleanOptionalUntrustedText(' Acme\u200b ', 10)).toBe('Acme');
  });
});

describe('jsonbSafe', () => {
  it('replaces U+0000 in strings and keys at any depth and keeps everything else', () => {
    const value = { 'a\u0000': ['x\u0000y', 1, null, true, { b: '\u202eok' }], n: 2.5 };
    expect(jsonbSafe(value)).toEqual({ 'a\ufffd': ['x\ufffdy', 1, null, true, { b: '\u202eok' }], n: 2.5 });
    expect(JSON.stringify(jsonbSafe(value))).not.toContain('\\u0000');
    const clean = { a: ['x', { b: 'y' }] };
    expect(jsonbSafe(clean)).toBe(clean);
  });
});

describe('the Plaid mappers clean every text field from the bank', () => {
  const ctx = { userId: 'u', itemId: 'i' };
  const hostile = (s: string) => `\u202e${s}\u200b\n\n\u0007\u{e0041}`;

  it('accounts: name and official name', () => {
    const row = mapAccount(
      plaidAccount({
        type: 'depository' as never,
        name: hostile('Checking'),
        official_name: hostile('Plaid Gold Checking'),
      }),
      ctx,
    );
    expect(row.name).toBe('Checking');
    expect(row.officialName).toBe('Plaid Gold Checking');
    // `raw` keeps the bank's text, except the NUL jsonb cannot store.
    const raw = mapAccount(plaidAccount({ type: 'depository' as never, name: 'A\u0000\u202eB' }), ctx).raw;
    expect((raw as { name: string }).name).toBe('A\ufffd\u202eB');
  });

  it('transactions: description, merchant and categories, each within its limit', () => {
    const row = mapTransaction(
      plaidTransaction({
        account_id: 'acc',
        name: `${hostile('UBER')} ${'x'.repeat(1_000)}`,
        merchant_name: hostile('Uber'),
        personal_finance_category: {
          primary: hostile('TRANSPORTATION'),
          detailed: hostile('TRANSPORTATION_TAXIS'),
          confidence_level: 'HIGH',
        },
      }),
      { ...ctx, accountIds: new Map([['acc', 'our-account']]) },
    );
    expect(Array.from(row.name)).toHaveLength(UNTRUSTED_TEXT_LIMITS.description);
    expect(row.name.startsWith('UBER xxx')).toBe(true);
    expect(row.merchantName).toBe('Uber');
    expect(row.categoryPrimary).toBe('TRANSPORTATION');
    expect(row.categoryDetailed).toBe('TRANSPORTATION_TAXIS');
  });

  it('institutions and securities: names and tickers', () => {
    const institution = mapInstitution({ ...plaidInstitution(), name: hostile('First Platypus Bank') });
    expect(institution.name).toBe('First Platypus Bank');
    const security = mapSecurity(
      plaidSecurity({ name: hostile('Vanguard Total Stock Market'), ticker_symbol: hostile('VTI') }),
    );
    expect(security.name).toBe('Vanguard Total Stock Market');
    expect(security.tickerSymbol).toBe('VTI');
  });
});

function escape(value: string): string {
  return Array.from(value, (c) => `U+${c.codePointAt(0)!.toString(16).padStart(4, '0')}`).join(' ');
}
