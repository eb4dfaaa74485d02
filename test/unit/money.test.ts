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
