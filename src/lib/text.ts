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
