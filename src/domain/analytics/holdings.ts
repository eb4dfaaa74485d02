/**
 * Holdings totals, a pure calculator: per currency, and per currency by security type and by account,
 * summed from the positions in exact 1/10,000 units (money is numeric(20,4)), never across currencies.
 * The positions statement already carries every figure the totals need, so they cost no second query.
 */
import { fromUnits, toUnits } from '../../lib/money.js';

export interface PositionFigures {
  accountId: string;
  securityType: string | null;
  value: string;
  costBasis: string | null;
  currency: string;
}

/** One total: `securityType` or `accountId` set for a breakdown row, both null for the currency's total. */
export interface HoldingTotal {
  currency: string;
  securityType: string | null;
  accountId: string | null;
  value: string;
  /** Null when no position of the group has a cost basis. */
  costBasis: string | null;
  /** The value of the positions that have a cost basis (the gain compares like with like); null as above. */
  valueWithBasis: string | null;
}

interface Sums {
  value: bigint;
  costBasis: bigint | null;
  valueWithBasis: bigint | null;
}

export function holdingTotals(positions: readonly PositionFigures[]): HoldingTotal[] {
  const groups = new Map<
    string,
    { key: Omit<HoldingTotal, 'value' | 'costBasis' | 'valueWithBasis'>; sums: Sums }
  >();
  const add = (
    id: string,
    key: Omit<HoldingTotal, 'value' | 'costBasis' | 'valueWithBasis'>,
    p: PositionFigures,
  ) => {
    let group = groups.get(id);
    if (!group) {
      group = { key, sums: { value: 0n, costBasis: null, valueWithBasis: null } };
      groups.set(id, group);
    }
    const value = toUnits(p.value);
    group.sums.value += value;
    if (p.costBasis !== null) {
      group.sums.costBasis = (group.sums.costBasis ?? 0n) + toUnits(p.costBasis);
      group.sums.valueWithBasis = (group.sums.valueWithBasis ?? 0n) + value;
    }
  };
  for (const p of positions) {
    const securityType = p.securityType ?? 'other';
    add(`c\u0000${p.currency}`, { currency: p.currency, securityType: null, accountId: null }, p);
    add(
      `t\u0000${p.currency}\u0000${securityType}`,
      { currency: p.currency, securityType, accountId: null },
      p,
    );
    add(
      `a\u0000${p.currency}\u0000${p.accountId}`,
      { currency: p.currency, securityType: null, accountId: p.accountId },
      p,
    );
  }
  return [...groups.values()].map(({ key, sums }) => ({
    ...key,
    value: fromUnits(sums.value),
    costBasis: sums.costBasis === null ? null : fromUnits(sums.costBasis),
    valueWithBasis: sums.valueWithBasis === null ? null : fromUnits(sums.valueWithBasis),
  }));
}
