import { describe, expect, it } from 'vitest';
import { ruleMatches, type RuleCondition } from '../../src/domain/rules/matching.js';
import { versionsOfIfMatch } from '../../src/domain/transactions/edits-etag.js';
import { distinctTags } from '../../src/domain/transactions/edits.js';

const rule = (over: Partial<RuleCondition>): RuleCondition => ({
  matchField: 'merchant_or_name',
  matchKind: 'contains',
  matchText: 'uber',
  minAmount: null,
  maxAmount: null,
  accountId: null,
  ...over,
});
const tx = { name: 'UBER *TRIP HELP.UBER.COM', merchantName: 'Uber', amount: '-23.4500', accountId: 'a1' };

describe('ruleMatches', () => {
  it('should compare text without case, as contains or equals', () => {
    expect(ruleMatches(rule({ matchText: 'UbEr' }), tx)).toBe(true);
    expect(ruleMatches(rule({ matchKind: 'equals', matchText: 'UBER' }), tx)).toBe(true);
    expect(ruleMatches(rule({ matchKind: 'equals', matchText: 'ube' }), tx)).toBe(false);
  });

  it('should look only at the field the rule names; a missing merchant matches nothing', () => {
    expect(ruleMatches(rule({ matchField: 'merchant', matchText: 'trip' }), tx)).toBe(false);
    expect(ruleMatches(rule({ matchField: 'name', matchText: 'trip' }), tx)).toBe(true);
    expect(ruleMatches(rule({ matchField: 'merchant' }), { ...tx, merchantName: null })).toBe(false);
    expect(ruleMatches(rule({}), { ...tx, merchantName: null })).toBe(true);
  });

  it('should take the text literally, never as a pattern', () => {
    expect(ruleMatches(rule({ matchText: '.*' }), tx)).toBe(false);
    expect(ruleMatches(rule({ matchText: '*trip' }), tx)).toBe(true);
    expect(
      ruleMatches(rule({ matchText: '(a+)+$' }), { ...tx, name: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!' }),
    ).toBe(false);
  });

  it('should bound the signed amount inclusively (negative = money out)', () => {
    expect(ruleMatches(rule({ minAmount: '-23.45', maxAmount: '-23.45' }), tx)).toBe(true);
    expect(ruleMatches(rule({ minAmount: '-23.44' }), tx)).toBe(false);
    expect(ruleMatches(rule({ maxAmount: '-23.46' }), tx)).toBe(false);
    expect(ruleMatches(rule({ minAmount: '0' }), tx)).toBe(false);
    expect(ruleMatches(rule({ minAmount: '-100', maxAmount: '-1' }), tx)).toBe(true);
  });

  it('should keep to its account when it names one', () => {
    expect(ruleMatches(rule({ accountId: 'a1' }), tx)).toBe(true);
    expect(ruleMatches(rule({ accountId: 'a2' }), tx)).toBe(false);
  });
});

describe('versionsOfIfMatch', () => {
  it('should read strong and weak tags, lists and *', () => {
    expect(versionsOfIfMatch('"v3"')).toEqual([3]);
    expect(versionsOfIfMatch('W/"v3", "v7"')).toEqual([3, 7]);
    expect(versionsOfIfMatch('*')).toBeUndefined();
  });

  it('should accept no version for a tag that is not ours', () => {
    expect(versionsOfIfMatch('"3"')).toEqual([]);
    expect(versionsOfIfMatch('"v0"')).toEqual([]);
    expect(versionsOfIfMatch('"v99999999999"')).toEqual([]);
    expect(versionsOfIfMatch('')).toEqual([]);
  });
});

describe('distinctTags', () => {
  it('should keep the first spelling of each tag, compared without case', () => {
    expect(distinctTags(['Work', 'work', 'q3', 'WORK', 'Q3'])).toEqual(['Work', 'q3']);
  });
});
