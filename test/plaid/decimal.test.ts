import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  amountToDecimalString,
  negateDecimalString,
  numberToDecimalString,
  quantityToDecimalString,
} from '../../src/plaid/decimal.js';

describe('Plaid numbers → decimal strings', () => {
  it('should keep what Plaid sent, padded to the money scale', () => {
    expect(amountToDecimalString(72.1)).toBe('72.1000');
    expect(amountToDecimalString(-4.22)).toBe('-4.2200');
    expect(amountToDecimalString(0)).toBe('0.0000');
    expect(amountToDecimalString(1234567.89)).toBe('1234567.8900');
  });

  it('should not carry float artefacts such as 0.1 + 0.2', () => {
    expect(amountToDecimalString(0.1 + 0.2)).toBe('0.3000');
    expect(quantityToDecimalString(0.1 + 0.2)).toBe('0.3000000000');
    expect(amountToDecimalString(1.005)).toBe('1.0050');
    expect(amountToDecimalString(0.07)).toBe('0.0700');
  });

  it('should never write a negative zero', () => {
    expect(amountToDecimalString(-0)).toBe('0.0000');
    expect(amountToDecimalString(-0.00001)).toBe('0.0000');
    expect(negateDecimalString('0.0000')).toBe('0.0000');
    expect(negateDecimalString('-0.0000')).toBe('0.0000');
  });

  it('should expand exponents of tiny and large numbers', () => {
    expect(String(1e-7)).toBe('1e-7');
    expect(quantityToDecimalString(1e-7)).toBe('0.0000001000');
    expect(amountToDecimalString(1e-7)).toBe('0.0000');
    expect(quantityToDecimalString(-1.5e-9)).toBe('-0.0000000015');
    expect(amountToDecimalString(1e21)).toBe('1000000000000000000000.0000');
    expect(amountToDecimalString(123456789012345.67)).toBe('123456789012345.6700');
    expect(numberToDecimalString(2 ** 53 + 1, 0)).toBe('9007199254740992');
  });

  it('should round half away from zero at the scale, as PostgreSQL numeric does', () => {
    expect(amountToDecimalString(0.00005)).toBe('0.0001');
    expect(amountToDecimalString(-0.00005)).toBe('-0.0001');
    expect(amountToDecimalString(0.00004)).toBe('0.0000');
    expect(amountToDecimalString(9.99995)).toBe('10.0000');
    expect(amountToDecimalString(-99.99999)).toBe('-100.0000');
    expect(numberToDecimalString(2.5, 0)).toBe('3');
  });

  it('should refuse NaN and infinities', () => {
    expect(() => amountToDecimalString(Number.NaN)).toThrow(RangeError);
    expect(() => amountToDecimalString(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });

  it('should negate by flipping the sign character', () => {
    expect(negateDecimalString('72.1000')).toBe('-72.1000');
    expect(negateDecimalString('-72.1000')).toBe('72.1000');
    expect(() => negateDecimalString('1e5')).toThrow(RangeError);
  });

  it('should match integer-cent arithmetic for every 2-decimal amount Plaid can send', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e13, max: 1e13 }), (cents) => {
        const abs = Math.abs(cents);
        const expected = `${cents < 0 ? '-' : ''}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}00`;
        expect(amountToDecimalString(cents / 100)).toBe(expected);
        expect(negateDecimalString(amountToDecimalString(-cents / 100))).toBe(expected);
      }),
    );
  });
});
