import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { Configuration, PlaidApi, Products } from 'plaid';
import type { AxiosError } from 'axios';
import type { PlaidError } from 'plaid';
import { buildEmulatorApp } from '../../../src/emulator/index.js';
import type { EmulatorOptions, GroundTruth } from '../../../src/emulator/index.js';
import { emulatorControl } from '../../helpers/emulator-control.js';

export const CLIENT_ID = 'test-client';
export const SECRET = 'test-secret';
export const START = new Date('2025-03-14T12:00:00Z');

export interface Harness {
  readonly app: FastifyInstance;
  readonly baseUrl: string;
  readonly plaid: PlaidApi;
  /** Calls an `/__emulator/*` control and returns its JSON. */
  control<T = unknown>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T>;
  /** Links `username` at First Platypus Bank and exchanges the token. */
  link(options?: LinkOptions): Promise<{ accessToken: string; itemId: string }>;
  groundTruth(itemId: string): Promise<GroundTruth>;
  close(): Promise<void>;
}

export interface LinkOptions {
  readonly institutionId?: string;
  readonly username?: string;
  readonly password?: string;
  readonly products?: Products[];
  readonly webhook?: string;
  readonly daysRequested?: number;
}

export function plaidClient(baseUrl: string, clientId = CLIENT_ID, secret = SECRET): PlaidApi {
  return new PlaidApi(
    new Configuration({
      basePath: baseUrl,
      baseOptions: { headers: { 'PLAID-CLIENT-ID': clientId, 'PLAID-SECRET': secret }, timeout: 10_000 },
    }),
  );
}

/**
 * Starts the emulator on 127.0.0.1, port 0, with an official plaid client pointed at it. Its clock
 * starts at START unless `today` (or `now`) says otherwise.
 */
export async function startEmulator(options: Partial<EmulatorOptions> = {}): Promise<Harness> {
  const app = await buildEmulatorApp({
    clientId: CLIENT_ID,
    secret: SECRET,
    ...(options.today === undefined ? { now: START } : {}),
    rateLimits: false,
    ...options,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  const plaid = plaidClient(baseUrl);
  const control = emulatorControl(baseUrl);
  return {
    app,
    baseUrl,
    plaid,
    control,
    async link(o = {}) {
      const created = await plaid.sandboxPublicTokenCreate({
        institution_id: o.institutionId ?? 'ins_109508',
        initial_products: o.products ?? [Products.Transactions, Products.Investments, Products.Liabilities],
        options: {
          override_username: o.username ?? 'user_good',
          override_password: o.password ?? 'pass_good',
          ...(o.webhook ? { webhook: o.webhook } : {}),
          transactions: { days_requested: o.daysRequested ?? 90 },
        },
      });
      const exchanged = await plaid.itemPublicTokenExchange({ public_token: created.data.public_token });
      return { accessToken: exchanged.data.access_token, itemId: exchanged.data.item_id };
    },
    groundTruth: (itemId) => control<GroundTruth>('GET', `/__emulator/items/${itemId}/ground-truth`),
    close: () => app.close(),
  };
}

/** Awaits a plaid call that must fail and returns Plaid's error object and the HTTP status. */
export async function plaidFailure(call: Promise<unknown>): Promise<{ status: number; error: PlaidError }> {
  try {
    await call;
  } catch (e) {
    const err = e as AxiosError<PlaidError>;
    if (!err.response) throw e;
    return { status: err.response.status, error: err.response.data };
  }
  throw new Error('expected the Plaid call to fail');
}
