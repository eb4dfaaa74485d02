import { expect } from 'vitest';
import { shapeErrors } from './plaid-shape.js';

/** Fails with every mismatch when `value` does not conform to the plaid type `typeName`. */
export function expectPlaidShape(value: unknown, typeName: string): void {
  expect(shapeErrors(value, typeName)).toEqual([]);
}
