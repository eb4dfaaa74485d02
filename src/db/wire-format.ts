import { sql, type SQL, type SQLWrapper } from 'drizzle-orm';

/**
 * The API's wire format rendered by PostgreSQL, for read paths over many rows: the database writes the
 * JSON text and the service splices it into the response, so thousands of values never go through
 * the driver's row parsing, an object per row and a serializer (PostgREST's approach). Objects are
 * built by concatenation rather than json_build_object, which re-inspects the type of every argument
 * on every row (about twice the cost) and pads its output with spaces.
 * These expressions must agree with `src/lib/money.ts` and the response schemas (tested on both
 * databases).
 */

/**
 * A money value as the API writes it (`formatMoney`): at least two decimals, no trailing zeros past
 * them, never `-0.00`. numeric(20,4) → "-12.50", "0.0001", "1234.5678". Null stays null.
 */
export function moneyText(value: SQLWrapper): SQL<string> {
  return sql<string>`(case when scale(trim_scale(${value})) < 2 then round(${value}, 2) else trim_scale(${value}) end)::text`;
}

/** A JSON value: text in SQL holding one JSON literal (never SQL NULL). */
export type JsonFragment = SQL<string>;

/**
 * Any text (names, merchants, notes), and dates (to_json writes ISO 8601 whatever the session's DateStyle):
 * encoded by PostgreSQL's JSON encoder; null → null.
 */
export function jsonText(value: SQLWrapper): JsonFragment {
  return sql<string>`coalesce(to_json(${value})::text, 'null')`;
}

/**
 * Values whose text form never needs escaping (uuids, enum codes, money strings):
 * quoted as they are; null → null.
 */
export function jsonPlain(value: SQLWrapper): JsonFragment {
  return sql<string>`coalesce('"' || ${value} || '"', 'null')`;
}

/** A money value (see moneyText) as a JSON string; null → null. */
export function jsonMoney(value: SQLWrapper): JsonFragment {
  return jsonPlain(moneyText(value));
}

/** A boolean column: true/false; null → null. */
export function jsonBoolean(value: SQLWrapper): JsonFragment {
  return sql<string>`coalesce(${value}::text, 'null')`;
}

/** A JSON object with these keys in this order (keys are our own identifiers, never user input). */
export function jsonObject(fields: Record<string, JsonFragment>): JsonFragment {
  const parts = Object.entries(fields).map(([key, value], i) => {
    if (!/^[a-z_]+$/.test(key)) throw new Error(`not a plain JSON key: ${key}`);
    return sql`${sql.raw(`'${i === 0 ? '{' : ','}"${key}":'`)} || ${value}`;
  });
  return sql<string>`(${sql.join(parts, sql` || `)} || '}')`;
}
