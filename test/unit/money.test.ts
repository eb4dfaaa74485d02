import { describe, expect, it } from 'vitest';
import { formatMoney } from '../../src/lib/money.js';

describe('formatMoney', () => {
  it.each([
    ['12.3400', '12.34'],
    ['-5.0000', '-5.00'],
    ['0.00012300', '0.000123'],
    ['-0.0000', '0.00'],
    ['1000000000000.1000', '1000000000000.10'],
    ['7', '7.00'],
    ['0007.5', '7.50'],
    ['-0.0100', '-0.01'],
  ])('%s → %s', (input, expected) => {
    expect(formatMoney(input)).toBe(expected);
  });

  it('keeps null and refuses non-decimals', () => {
    expect(formatMoney(null)).toBeNull();
    expect(() => formatMoney('1e5')).toThrow();
  });
});

describe('formatMoney agrees with a plain reference on random decimals', () => {
  it('for 2,000 random numeric(20,4)-shaped strings', async () => {
    const fc = await import('fast-check');
    const reference = (v: string) => {
      const negative = v.startsWith('-');
      const [whole, fraction = ''] = (negative ? v.slice(1) : v).split('.');
      let f = fraction.replace(/0+$/, '');
      if (f.length < 2) f = f.padEnd(2, '0');
      const w = whole!.replace(/^0+(?=\d)/, '');
      const zero = /^0+$/.test(w) && /^0+$/.test(f);
      return `${negative && !zero ? '-' : ''}${w}.${f}`;
    };
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 19n), max: 10n ** 19n }), (units) => {
        const abs = units < 0n ? -units : units;
        const text = `${units < 0n ? '-' : ''}${abs / 10_000n}.${(abs % 10_000n).toString().padStart(4, '0')}`;
        expect(formatMoney(text)).toBe(reference(text));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('formatRatio and formatQuantity', () => {
  it('rounds ratios half away from zero on integers', async () => {
    const { formatRatio } = await import('../../src/lib/money.js');
    expect(formatRatio(1n, 3n, 4)).toBe('0.3333');
    expect(formatRatio(2n, 3n, 4)).toBe('0.6667');
    expect(formatRatio(-1n, 8n, 2)).toBe('-0.13');
    expect(formatRatio(1n, 8n, 2)).toBe('0.13');
    expect(formatRatio(5n, 0n, 2)).toBeNull();
    expect(formatRatio(7n, 2n, 0)).toBe('4');
  });

  it('drops trailing zeros of quantities', async () => {
    const { formatQuantity } = await import('../../src/lib/money.js');
    expect(formatQuantity('120.5000000000')).toBe('120.5');
    expect(formatQuantity('40.0000000000')).toBe('40');
    expect(formatQuantity('100')).toBe('100');
  });
});
