/** Rows per multi-row statement: well under PostgreSQL's 65,535 bind parameters for every table here. */
export const BATCH_ROWS = 500;

/** Splits rows into batches for multi-row inserts and updates. */
export function batches<T>(rows: readonly T[], size = BATCH_ROWS): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}
