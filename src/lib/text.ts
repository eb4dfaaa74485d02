/**
 * Text the service accepts from outside: no NUL (PostgreSQL `text` cannot hold it, and nothing legitimate
 * sends it) and no unpaired UTF-16 surrogate (not Unicode at all: encoders silently turn it into U+FFFD,
 * so two different strings would become the same bytes).
 */
const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** What is wrong with this text, or undefined when it is acceptable. */
export function textProblem(value: string): string | undefined {
  if (value.includes('\u0000')) return 'must not contain the NUL character (U+0000)';
  if (UNPAIRED_SURROGATE.test(value)) return 'must be well-formed Unicode (no unpaired surrogate)';
  return undefined;
}

/** True for text without NUL and without unpaired surrogates. */
export function isCleanText(value: string): boolean {
  return textProblem(value) === undefined;
}

/** The text with U+FFFD in place of each NUL and unpaired surrogate, to name it in an error. */
export function printableText(value: string): string {
  return Array.from(value, (c) => (c === '\u0000' || UNPAIRED_SURROGATE.test(c) ? '\ufffd' : c)).join('');
}

export type TextPath = (string | number)[];

/**
 * Every malformed string (or object key) in a parsed JSON value, query string or params, at most
 * `limit` of them. Iterative: a JSON body nested a million deep must not overflow the stack.
 */
export function textProblemsIn(root: unknown, limit = 20): { path: TextPath; message: string }[] {
  const found: { path: TextPath; message: string }[] = [];
  const stack: { value: unknown; path: TextPath }[] = [{ value: root, path: [] }];
  while (stack.length > 0 && found.length < limit) {
    const { value, path } = stack.pop()!;
    if (typeof value === 'string') {
      const message = textProblem(value);
      if (message) found.push({ path, message });
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], path: [...path, i] });
    } else if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) {
      for (const [key, item] of Object.entries(value).reverse()) {
        const keyProblem = textProblem(key);
        // The key itself is the problem: named with U+FFFD in place of what cannot be shown.
        if (keyProblem) found.push({ path: [...path, printableText(key)], message: keyProblem });
        else stack.push({ value: item, path: [...path, key] });
      }
    }
  }
  return found;
}

/**
 * Text from banks (through Plaid) is untrusted: a merchant, a memo or an account name may carry
 * characters that hide or reorder what a reader (a person, or an LLM reading our answers) sees. The
 * limits, in code points, of each kind of field; longer text is cut and ends with `…`.
 */
export const UNTRUSTED_TEXT_LIMITS = {
  /** Account, institution, merchant, security and counterparty names. */
  name: 200,
  /** A transaction's description (Plaid `name`, the bank's memo). */
  description: 500,
  /** Short codes: tickers, categories. */
  code: 100,
} as const;

/**
 * Removed outright: controls (Unicode category Cc: C0, DEL, C1) other than whitespace; format characters
 * (category Cf: bidi embeddings, overrides, isolates and marks U+202A–U+202E, U+2066–U+2069, U+200E,
 * U+200F, U+061C; zero-width U+200B–U+200D, U+2060–U+2064, U+FEFF; soft hyphen; interlinear annotation;
 * the tag characters U+E0000–U+E007F, which spell invisible ASCII); variation selectors (U+FE00–U+FE0F,
 * U+E0100–U+E01EF: another way to hide bytes; an emoji just loses its presentation hint); unpaired
 * surrogates.
 */
const INVISIBLE_OR_CONTROL =
  /[\p{Cf}\p{Variation_Selector}\u{e0000}-\u{e007f}\ud800-\udfff]|[^\P{Cc}\s\u0085]/gu;
/** Every run of whitespace (tab, line breaks, NEL U+0085, no-break and wide spaces, U+2028/U+2029). */
const WHITESPACE_RUN = /[\s\u0085]+/gu;

/**
 * Untrusted text made safe to show and to hand to an LLM: invisible and control characters removed
 * (INVISIBLE_OR_CONTROL), every run of whitespace one space, trimmed, and at most `maxLength`
 * code points (cut text ends with `…`; a surrogate pair is never split). Pure and idempotent.
 */
export function cleanUntrustedText(value: string, maxLength: number): string {
  const collapsed = value.replace(INVISIBLE_OR_CONTROL, '').replace(WHITESPACE_RUN, ' ').trim();
  if (collapsed.length <= maxLength) return collapsed;
  const codePoints = Array.from(collapsed);
  if (codePoints.length <= maxLength) return collapsed;
  return `${codePoints
    .slice(0, maxLength - 1)
    .join('')
    .trimEnd()}…`;
}

/** The same for an optional field: null when absent or when nothing is left after cleaning. */
export function cleanOptionalUntrustedText(
  value: string | null | undefined,
  maxLength: number,
): string | null {
  if (value === null || value === undefined) return null;
  const cleaned = cleanUntrustedText(value, maxLength);
  return cleaned === '' ? null : cleaned;
}

/**
 * A parsed JSON value that PostgreSQL's jsonb can store: jsonb refuses U+0000 (SQLSTATE 22P05), which a
 * bank's text may carry; each NUL in a string or key becomes U+FFFD. The value itself when it holds none.
 */
export function jsonbSafe<T>(value: T): T {
  if (typeof value === 'string')
    return (value.includes('\u0000') ? value.replaceAll('\u0000', '\ufffd') : value) as T;
  if (Array.isArray(value)) {
    const items = value.map((item: unknown) => jsonbSafe(item));
    return (items.some((item, i) => item !== value[i]) ? items : value) as T;
  }
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const entries = Object.entries(value);
    const safe = entries.map(([k, v]) => [jsonbSafe(k), jsonbSafe(v)] as const);
    const changed = safe.some(([k, v], i) => k !== entries[i]![0] || v !== entries[i]![1]);
    return (changed ? Object.fromEntries(safe) : value) as T;
  }
  return value;
}

/** `\u0000` escapes in JSON text, not preceded by an escaped backslash (`\\u0000` is a backslash and "u0000"). */
const NUL_ESCAPE = /(?<!\\)((?:\\\\)*)\\u0000/g;

/**
 * A value as JSON text that PostgreSQL's jsonb accepts: jsonb refuses U+0000 (SQLSTATE 22P05), so each
 * NUL escape becomes U+FFFD. For large raw payloads: one serialization (the one the driver would do
 * anyway) and a scan of its text, instead of jsonbSafe's walk of every value.
 */
export function jsonbText(value: unknown): string {
  const text = JSON.stringify(value);
  return text.includes('\\u0000') ? text.replace(NUL_ESCAPE, '$1\\ufffd') : text;
}
