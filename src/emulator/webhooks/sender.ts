import type { FastifyBaseLogger } from 'fastify';
import type { WallClock } from '../core/clock.js';
import type { WebhookKeyRing } from './key-ring.js';
import type { WebhookPayload } from './payloads.js';
import { serializeWebhookBody, signWebhookBody } from './signer.js';

export interface WebhookRetryPolicy {
  /** Delay before the first retry; Plaid waits 30 s. */
  readonly initialDelayMs: number;
  /** Each delay is this many times the previous one; Plaid uses 4. */
  readonly multiplier: number;
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  /** A receiver slower than this has failed the attempt; Plaid allows 10 s. */
  readonly timeoutMs: number;
}

export const PLAID_RETRY_POLICY: WebhookRetryPolicy = {
  initialDelayMs: 30_000,
  multiplier: 4,
  maxAttempts: 6,
  timeoutMs: 10_000,
};

export interface DeliveryAttempt {
  readonly at: string;
  readonly status: number | null;
  readonly error: string | null;
}

export interface WebhookDelivery {
  readonly id: number;
  readonly url: string;
  readonly body: WebhookPayload;
  readonly attempts: DeliveryAttempt[];
  state: 'pending' | 'delivered' | 'failed' | 'dropped';
}

const LOG_LIMIT = 1_000;

/**
 * Signs and POSTs webhooks, retrying non-2xx answers with Plaid's backoff (bounded). Every attempt is
 * signed afresh, so `iat` is current. Deliveries are logged for `/__emulator/webhooks`.
 */
export class WebhookSender {
  private readonly deliveries: WebhookDelivery[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private nextId = 1;
  private closed = false;
  /** While true, new webhooks are recorded as `dropped` and not sent. */
  dropping = false;

  constructor(
    private readonly keys: WebhookKeyRing,
    private readonly wall: WallClock,
    private readonly policy: WebhookRetryPolicy,
    private readonly logger: FastifyBaseLogger,
  ) {}

  send(url: string, body: WebhookPayload): WebhookDelivery {
    const delivery: WebhookDelivery = { id: this.nextId++, url, body, attempts: [], state: 'pending' };
    this.deliveries.push(delivery);
    if (this.deliveries.length > LOG_LIMIT) this.deliveries.splice(0, this.deliveries.length - LOG_LIMIT);
    if (this.dropping) delivery.state = 'dropped';
    else this.attempt(delivery);
    return delivery;
  }

  /** Sends a logged delivery again, as a new delivery. */
  replay(id: number): WebhookDelivery | undefined {
    const original = this.deliveries.find((d) => d.id === id);
    return original ? this.send(original.url, original.body) : undefined;
  }

  log(): readonly WebhookDelivery[] {
    return this.deliveries;
  }

  /** Resolves when no attempt is in flight (retries scheduled later are not waited for). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private attempt(delivery: WebhookDelivery): void {
    if (this.closed) return;
    const run = this.post(delivery).finally(() => this.inFlight.delete(run));
    this.inFlight.add(run);
  }

  private async post(delivery: WebhookDelivery): Promise<void> {
    const text = serializeWebhookBody(delivery.body);
    let status: number | null = null;
    let error: string | null = null;
    try {
      const signature = await signWebhookBody(text, this.keys, this.wall);
      const response = await fetch(delivery.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'plaid-verification': signature,
          'user-agent': 'Plaid Verifier',
        },
        body: text,
        signal: AbortSignal.timeout(this.policy.timeoutMs),
      });
      status = response.status;
      await response.arrayBuffer().catch(() => undefined);
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    delivery.attempts.push({ at: new Date(this.wall()).toISOString(), status, error });
    if (status !== null && status >= 200 && status < 300) {
      delivery.state = 'delivered';
      return;
    }
    if (delivery.attempts.length >= this.policy.maxAttempts || this.closed) {
      delivery.state = 'failed';
      this.logger.warn(
        { url: delivery.url, code: delivery.body.webhook_code, status, error },
        'emulator webhook delivery failed',
      );
      return;
    }
    const delay = this.policy.initialDelayMs * Math.pow(this.policy.multiplier, delivery.attempts.length - 1);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.attempt(delivery);
    }, delay);
    timer.unref();
    this.timers.add(timer);
  }
}
