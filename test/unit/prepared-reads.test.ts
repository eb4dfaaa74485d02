import { describe, expect, it } from 'vitest';
import { namedReadArguments } from '../../src/db/prepared-reads.js';

describe('named repeated reads', () => {
  it('names a parameterized SELECT or WITH by its text, the same name each time', () => {
    const [first] = namedReadArguments([{ text: 'select 1 where $1::int = 1', values: [1] }]) as [
      { name: string },
    ];
    const [again] = namedReadArguments([{ text: 'select 1 where $1::int = 1', values: [2] }]) as [
      { name: string },
    ];
    expect(first.name).toMatch(/^fa_[0-9a-f]{24}$/);
    expect(again.name).toBe(first.name);
    const [cte] = namedReadArguments(['with x as (select $1::int as v) select v from x', [3]]) as [
      { name: string; text: string; values: unknown[] },
    ];
    expect(cte).toMatchObject({ text: 'with x as (select $1::int as v) select v from x', values: [3] });
    expect(cte.name).not.toBe(first.name);
  });

  it('leaves writes, statements without parameters and named or submittable queries alone', () => {
    const unchanged: unknown[][] = [
      [{ text: 'insert into t values ($1)', values: [1] }],
      [{ text: 'update t set a = $1', values: [1] }],
      ['select 1'],
      [{ text: 'select 1', values: [] }],
      [{ text: 'select $1::int', values: [1], name: 'mine' }],
      [{ text: 'select $1::int', values: [1], submit: () => undefined }],
      ['begin'],
    ];
    for (const args of unchanged) expect(namedReadArguments(args)).toBe(args);
  });

  it('keeps the callback and options of the call', () => {
    const callback = () => undefined;
    const args = namedReadArguments(['select $1::text', ['a'], callback]);
    expect(args).toHaveLength(2);
    expect(args[1]).toBe(callback);
    const config = { text: 'select $1::text as b', values: ['b'], rowMode: 'array' };
    expect(namedReadArguments([config])[0]).toMatchObject({ rowMode: 'array', values: ['b'] });
  });
});
