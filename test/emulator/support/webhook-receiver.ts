import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  readonly raw: Buffer;
  readonly body: Record<string, unknown> & { webhook_type: string; webhook_code: string; item_id: string };
  readonly signature: string | undefined;
  readonly path: string;
}

/** A local HTTP endpoint that keeps the raw bytes of every webhook, answering with `statusFor`. */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  statusFor: (attempt: number, path: string) => number = () => 200;
  private attempts = 0;
  private server: Server | null = null;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const path = req.url ?? '/';
        this.attempts++;
        const status = this.statusFor(this.attempts, path);
        if (status >= 200 && status < 300) {
          const signature = req.headers['plaid-verification'];
          this.received.push({
            raw,
            body: JSON.parse(raw.toString('utf8')),
            signature: Array.isArray(signature) ? signature[0] : signature,
            path,
          });
        }
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async waitFor(predicate: (w: ReceivedWebhook) => boolean, timeoutMs = 3_000): Promise<ReceivedWebhook> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.find(predicate);
      if (found) return found;
      if (Date.now() > deadline) {
        throw new Error(
          `no matching webhook; got ${this.received.map((w) => `${w.body.webhook_type}/${w.body.webhook_code}`).join(', ')}`,
        );
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  byCode(type: string, code: string): ReceivedWebhook[] {
    return this.received.filter((w) => w.body.webhook_type === type && w.body.webhook_code === code);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
