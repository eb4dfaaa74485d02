import type { CallToolResult } from '@modelcontextprotocol/server';

/**
 * The context budget of one tool result: structuredContent and its text mirror together, serialized as
 * the client receives them, stay under 40,000 characters whatever the arguments and however much data
 * the caller has. Tools that could exceed it answer less (a page, a later start, a coarser interval)
 * and say so in `truncated` with what to ask next: never silently.
 */
export const RESULT_BUDGET_CHARS = 40_000;

/** What the tools aim for: the budget less room for the JSON-RPC envelope around the result. */
export const RESULT_TARGET_CHARS = 36_000;

/** A tool's answer: the object (structuredContent) and the same JSON as text. */
export function toolResult(structured: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(structured) }], structuredContent: structured };
}

/** The whole result as the client receives it (the text mirror's quotes escaped once more). */
export function resultChars(result: CallToolResult): number {
  return JSON.stringify(result).length;
}

export function fits(structured: Record<string, unknown>): boolean {
  return resultChars(toolResult(structured)) <= RESULT_TARGET_CHARS;
}

/**
 * The largest n in [min, max] whose answer fits (answers grow with n), by bisection: `build(n)` renders
 * the answer with n rows. `min` is answered even when it does not fit (one row, so that paging always
 * advances; the tool wrapper refuses an answer over the budget as a last resort).
 */
export function largestFitting<T extends Record<string, unknown>>(
  min: number,
  max: number,
  build: (n: number) => T,
): { n: number; answer: T } {
  const whole = build(max);
  if (max <= min || fits(whole)) return { n: max, answer: whole };
  let low = min;
  let high = max - 1;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (fits(build(mid))) low = mid;
    else high = mid - 1;
  }
  return { n: low, answer: build(low) };
}
