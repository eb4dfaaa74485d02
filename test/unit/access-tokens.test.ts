import { describe, expect, it } from 'vitest';
import {
  hashAccessToken,
  isWellFormedAccessToken,
  mintAccessToken,
} from '../../src/domain/auth/access-tokens.js';

describe('personal access tokens', () => {
  it('are well-formed, start with their visible prefix, and are stored as a SHA-256', () => {
    const minted = mintAccessToken();
    expect(isWellFormedAccessToken(minted.token)).toBe(true);
    expect(minted.token.startsWith(`${minted.prefix}_`)).toBe(true);
    expect(minted.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(minted.hash).toBe(hashAccessToken(minted.token));
    expect(minted.hash).not.toContain(minted.token.slice(minted.prefix.length + 1));
  });

  it('never repeat', () => {
    const tokens = new Set(Array.from({ length: 500 }, () => mintAccessToken().token));
    expect(tokens.size).toBe(500);
  });

  it('reject malformed strings', () => {
    for (const bad of ['fapat_', 'fapat_abc_def', `fapat_AAAAAAAA_${'A'.repeat(42)}`, 'ghp_x']) {
      expect(isWellFormedAccessToken(bad)).toBe(false);
    }
  });
});
