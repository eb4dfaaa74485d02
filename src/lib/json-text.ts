/**
 * Already-serialized JSON: values rendered once, where they are materialized (the net-worth history
 * points, see `netWorthPointJson`), and spliced into responses instead of being read into objects and
 * serialized again on every request.
 */
export class JsonText {
  constructor(readonly text: string) {}
}

/**
 * The members of a JSON object (without its braces, to join with other members), from fields in order:
 * JsonText values are spliced in as they are, nested plain objects are written the same way, anything
 * else goes through JSON.stringify (so JsonText inside arrays is not supported). Callers pass exactly the
 * fields their response schema declares.
 */
export function jsonMembersText(fields: Record<string, unknown>): string {
  let out = '';
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (out.length > 0) out += ',';
    out += `${JSON.stringify(key)}:${fieldText(value)}`;
  }
  return out;
}

function fieldText(value: unknown): string {
  if (value instanceof JsonText) return value.text;
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype)
    return `{${jsonMembersText(value as Record<string, unknown>)}}`;
  return JSON.stringify(value);
}
