import { PlaidApiError } from '../http/plaid-error.js';

/** Which generated data set a Sandbox username gets. */
export type DataProfile = 'stable' | 'dynamic';

export interface SandboxLogin {
  readonly username: string;
  readonly profile: DataProfile;
  /** Set when the item is created already broken (password `error_ITEM_LOGIN_REQUIRED`). */
  readonly itemErrorCode: string | null;
}

/** Codes that do not stop linking but leave the new item in that error state. */
const ITEM_STATE_ERRORS = new Set(['ITEM_LOGIN_REQUIRED']);

const ANY_PASSWORD_USERS: Readonly<Record<string, DataProfile>> = {
  user_transactions_dynamic: 'dynamic',
  user_ewa_user: 'stable',
  user_yuppie: 'stable',
  user_small_business: 'stable',
};

/**
 * Plaid's Sandbox login rules (NOTES.md §8): `user_good`/`pass_good`, the any-password users, and
 * `error_<CODE>` passwords that make linking (or, for item-state codes, the item) fail with that code.
 */
export function checkSandboxLogin(username: string, password: string): SandboxLogin {
  if (password.startsWith('error_')) {
    const code = password.slice('error_'.length);
    if (ITEM_STATE_ERRORS.has(code)) return { username, profile: 'stable', itemErrorCode: code };
    throw new PlaidApiError(code);
  }
  const anyPassword = ANY_PASSWORD_USERS[username];
  if (anyPassword) return { username, profile: anyPassword, itemErrorCode: null };
  if (username === 'user_good' && (password === 'pass_good' || password === 'credential_good')) {
    return { username, profile: 'stable', itemErrorCode: null };
  }
  throw new PlaidApiError('INVALID_CREDENTIALS');
}
