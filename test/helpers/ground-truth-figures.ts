/**
 * Figures computed from the emulator's ground truth independently of our calculators, and ours read
 * back from the read model, for the tests and the bench (no vitest here: the bench imports it).
 */
import { sql } from 'drizzle-orm';
import { selectRows, type Database } from '../../src/db/client.js';
import type { GroundTruth } from '../../src/emulator/index.js';

/** A decimal string (numeric(20,4)) or a JSON number of at most 4 decimals → exact ten-thousandths. */
export function units(value: string | number): bigint {
  const text = typeof value === 'number' ? value.toFixed(4) : value;
  const negative = text.startsWith('-');
  const [whole = '0', fraction = ''] = text.replace(/^[-+]/, '').split('.');
  if (fraction.slice(4).replace(/0/g, '') !== '') throw new Error(`${text} has more than 4 decimals`);
  const result = BigInt(whole) * 10_000n + BigInt((fraction + '0000').slice(0, 4));
  return negative ? -result : result;
}

export type CashflowSums = Map<string, { total: bigint; count: number }>;

/** Per currency: Σ amounts (our sign) and the count of every live transaction of the ground truth. */
export function cashflowTruth(truths: readonly GroundTruth[]): CashflowSums {
  const result: CashflowSums = new Map();
  for (const truth of truths) {
    const currencyOf = new Map(
      truth.accounts.map((a) => [a.account_id, a.balances.iso_currency_code ?? 'XXX']),
    );
    for (const t of truth.transactions) {
      const currency = t.iso_currency_code ?? currencyOf.get(t.account_id) ?? 'XXX';
      const entry = result.get(currency) ?? { total: 0n, count: 0 };
      entry.total -= units(t.amount); // Plaid: positive = money out; ours: negative = money out
      entry.count += 1;
      result.set(currency, entry);
    }
  }
  return result;
}

/** The same sums from our read model (daily or monthly cash-flow table). */
export async function ourCashflow(
  db: Database,
  userId: string,
  table: 'cashflow_daily' | 'cashflow_monthly',
): Promise<CashflowSums> {
  const rows = await selectRows<{ currency: string; total: string; count: number }>(
    db,
    sql`select currency, sum(total)::text as total, sum(count)::int as count
        from ${sql.identifier(table)} where user_id = ${userId} group by currency`,
  );
  return new Map(rows.map((r) => [r.currency, { total: units(r.total), count: r.count }]));
}
