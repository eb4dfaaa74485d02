import type { WallClock } from '../core/clock.js';
import { plaidErrors } from './plaid-error.js';

interface EndpointLimit {
  readonly perItem: number | null;
  readonly perClient: number | null;
  readonly code: string;
}

/** Plaid's Sandbox limits per minute (NOTES.md §6), keyed by endpoint. */
export const SANDBOX_RATE_LIMITS: Readonly<Record<string, EndpointLimit>> = {
  '/transactions/sync': { perItem: 50, perClient: 1_000, code: 'TRANSACTIONS_SYNC_LIMIT' },
  '/transactions/refresh': { perItem: 2, perClient: 100, code: 'TRANSACTIONS_REFRESH_LIMIT' },
  '/accounts/get': { perItem: 100, perClient: 5_000, code: 'ACCOUNTS_LIMIT' },
  '/accounts/balance/get': { perItem: 25, perClient: 100, code: 'ACCOUNTS_BALANCE_GET_LIMIT' },
  '/item/get': { perItem: 40, perClient: 5_000, code: 'ITEM_GET_LIMIT' },
  '/item/remove': { perItem: 100, perClient: 500, code: 'RATE_LIMIT' },
  '/investments/holdings/get': { perItem: 100, perClient: 1_000, code: 'INVESTMENT_HOLDINGS_GET_LIMIT' },
  '/investments/transactions/get': { perItem: 100, perClient: 1_000, code: 'INVESTMENT_TRANSACTIONS_LIMIT' },
  '/liabilities/get': { perItem: 10, perClient: 1_000, code: 'RATE_LIMIT' },
  '/institutions/get_by_id': { perItem: null, perClient: 400, code: 'RATE_LIMIT' },
  '/sandbox/transactions/create': { perItem: 2, perClient: 50, code: 'RATE_LIMIT' },
};

const WINDOW_MS = 60_000;

/** Fixed one-minute windows per (client, endpoint) and (access token, endpoint). */
export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly wall: WallClock,
    private readonly limits: Readonly<Record<string, EndpointLimit>> = SANDBOX_RATE_LIMITS,
  ) {}

  check(endpoint: string, clientId: string, accessToken: string | null): void {
    const limit = this.limits[endpoint];
    if (!limit) return;
    const now = this.wall();
    if (limit.perClient !== null) this.hit(`${endpoint}|c|${clientId}`, limit.perClient, limit.code, now);
    if (limit.perItem !== null && accessToken)
      this.hit(`${endpoint}|i|${accessToken}`, limit.perItem, limit.code, now);
  }

  private hit(key: string, max: number, code: string, now: number): void {
    let window = this.windows.get(key);
    if (!window || now - window.start >= WINDOW_MS) {
      window = { start: now, count: 0 };
      this.windows.set(key, window);
      if (this.windows.size > 100_000) this.prune(now);
    }
    if (window.count >= max) throw plaidErrors.rateLimited(code);
    window.count++;
  }

  private prune(now: number): void {
    for (const [key, w] of this.windows) if (now - w.start >= WINDOW_MS) this.windows.delete(key);
  }
}
