import { describe, expect, it } from 'vitest';
import { holdingTotals, type PositionFigures } from '../../src/domain/analytics/holdings.js';

const position = (p: Partial<PositionFigures>): PositionFigures => ({
  accountId: 'a1',
  securityType: 'equity',
  value: '0.0000',
  costBasis: null,
  currency: 'USD',
  ...p,
});

const find = (totals: ReturnType<typeof holdingTotals>, q: Partial<(typeof totals)[number]>) =>
  totals.filter((t) =>
    Object.entries(q).every(([k, v]) => (t as unknown as Record<string, unknown>)[k] === v),
  );

describe('holdingTotals', () => {
  it('should sum exactly per currency, type and account, never across currencies', () => {
    const totals = holdingTotals([
      position({ value: '0.1000', costBasis: '0.0500' }),
      position({ value: '0.2000', costBasis: null, securityType: 'etf' }),
      position({ value: '99999999999999.9999', costBasis: '1.0001', accountId: 'a2' }),
      position({ value: '10.0000', costBasis: '12.0000', currency: 'EUR', securityType: null }),
    ]);
    // 3 groups per currency kind: USD total, USD equity + etf, USD a1 + a2; EUR total, EUR other, EUR a1.
    expect(totals).toHaveLength(8);
    expect(find(totals, { currency: 'USD', securityType: null, accountId: null })).toEqual([
      {
        currency: 'USD',
        securityType: null,
        accountId: null,
        value: '100000000000000.2999', // 0.1 + 0.2 exactly, beside a 14-digit value
        costBasis: '1.0501',
        valueWithBasis: '100000000000000.0999',
      },
    ]);
    expect(find(totals, { currency: 'USD', securityType: 'etf' })[0]).toMatchObject({
      value: '0.2000',
      costBasis: null,
      valueWithBasis: null,
    });
    expect(find(totals, { currency: 'USD', accountId: 'a1' })[0]).toMatchObject({
      value: '0.3000',
      costBasis: '0.0500',
      valueWithBasis: '0.1000',
    });
    expect(find(totals, { currency: 'EUR', securityType: 'other' })[0]).toMatchObject({ value: '10.0000' });
    expect(find(totals, { currency: 'EUR', securityType: null, accountId: null })[0]).toMatchObject({
      value: '10.0000',
      costBasis: '12.0000',
    });
  });

  it('should answer nothing for no positions', () => {
    expect(holdingTotals([])).toEqual([]);
  });
});
