import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonbSafe, jsonbText } from '../../src/lib/text.js';

describe('jsonbText (raw payloads jsonb can hold)', () => {
  it('replaces every NUL, in values and keys, with U+FFFD and nothing else', () => {
    const text = jsonbText({ name: 'a\u0000b', ['k\u0000']: ['\u0000', 1, null] });
    expect(JSON.parse(text)).toEqual({ name: 'a\ufffdb', ['k\ufffd']: ['\ufffd', 1, null] });
  });

  it('leaves a backslash followed by "u0000" alone (it is text, not a NUL)', () => {
    const value = { memo: '\\u0000 and \\\\u0000 and \\\u0000' };
    expect(JSON.parse(jsonbText(value))).toEqual({ memo: '\\u0000 and \\\\u0000 and \\\ufffd' });
  });

  it('gives the same value as jsonbSafe (which walks it), for any JSON value with NULs and backslashes', () => {
    // A NUL, a backslash, and the six characters `\u0000` (which must stay text) in any order.
    const unit = fc.constantFrom('a', '\\', '\u0000', '\\u0000', '"');
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: unit }), (value) => {
        expect(JSON.parse(jsonbText(value))).toEqual(JSON.parse(JSON.stringify(jsonbSafe(value))));
      }),
      { numRuns: 500 },
    );
  });
});
