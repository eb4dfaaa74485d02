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
