import type { PlaidErrorType } from 'plaid';
import { PlaidApiError } from './plaid-error.js';

export interface FaultRule {
  /** A Plaid path such as `/transactions/sync`, or `*` for every endpoint. */
  readonly endpoint: string;
  remaining: number;
  readonly errorCode: string;
  readonly status?: number;
  readonly errorType?: `${PlaidErrorType}`;
  /** Only calls for this item fail. */
  readonly itemId?: string | null;
}

/** Injected failures and latency, set through `/__emulator/faults` and `/__emulator/latency`. */
export class FaultInjector {
  private rules: FaultRule[] = [];
  private readonly latency = new Map<string, number>();

  add(rule: FaultRule): void {
    this.rules.push(rule);
  }

  clear(): void {
    this.rules = [];
    this.latency.clear();
  }

  list(): readonly FaultRule[] {
    return this.rules;
  }

  setLatency(endpoint: string, ms: number): void {
    if (ms <= 0) this.latency.delete(endpoint);
    else this.latency.set(endpoint, ms);
  }

  latencyFor(endpoint: string): number {
    return this.latency.get(endpoint) ?? this.latency.get('*') ?? 0;
  }

  /** Consumes one matching rule and returns its error, or null when the call should go through. */
  take(endpoint: string, itemId: string | null): PlaidApiError | null {
    const rule = this.rules.find(
      (r) =>
        r.remaining > 0 &&
        (r.endpoint === endpoint || r.endpoint === '*') &&
        (!r.itemId || r.itemId === itemId),
    );
    if (!rule) return null;
    rule.remaining--;
    this.rules = this.rules.filter((r) => r.remaining > 0);
    return new PlaidApiError(rule.errorCode, {
      ...(rule.status !== undefined ? { status: rule.status } : {}),
      ...(rule.errorType !== undefined ? { type: rule.errorType } : {}),
    });
  }
}
