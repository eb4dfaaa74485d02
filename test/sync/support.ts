/**
 * Shared set-up for the sync tests: a migrated database, the emulator over HTTP with our Plaid adapter
 * pointed at it, the linking and sync services wired by hand, and ground-truth comparisons.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { Products } from 'plaid';
import { and, eq } from 'drizzle-orm';
import type { Database } from '../../src/db/client.js';
import {
  accounts,
  holdings,
  investmentTransactions,
  plaidItems,
  securities,
  transactions,
  users,
} from '../../src/db/schema/index.js';
import { createAnalyticsMaterializers } from '../../src/domain/analytics/materializers.js';
import { createAccessTokenCipher, keyIdOf } from '../../src/domain/items/access-token-cipher.js';
import { createItemLinking } from '../../src/domain/items/item-linking.js';
import { createSyncService } from '../../src/domain/sync/service.js';
import { buildEmulatorApp } from '../../src/emulator/index.js';
import type { EmulatorOptions, GroundTruth } from '../../src/emulator/index.js';
import { createPlaidClient, type PlaidClient } from '../../src/plaid/client.js';
import { openTestDatabase, type DatabaseKind, type TestDatabase } from '../helpers/database.js';
import { emulatorControl } from '../helpers/emulator-control.js';
import { units } from '../helpers/ground-truth-figures.js';

export const CLIENT_ID = 'sync-test-client';
export const SECRET = 'sync-test-secret-0c1d2e3f';
export const START = new Date('2025-03-14T12:00:00Z');

export interface SyncHarness {
  db: Database;
  database: TestDatabase;
  emulator: FastifyInstance;
  baseUrl: string;
  plaid: PlaidClient;
  /** Plaid calls made through `plaid`, by endpoint name (the adapter's function names). */
  calls: string[];
  /** Runs before every Plaid call made through `plaid` (e.g. to arm an emulator control). */
  hooks: { beforeCall?: (endpoint: string) => Promise<void> };
  clock: { now: Date };
  linking: ReturnType<typeof createItemLinking>;
  sync: ReturnType<typeof createSyncService>;
  control<T = unknown>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T>;
  /** Advances the emulator clock and ours by `days`. */
  advance(days: number): Promise<void>;
  groundTruth(plaidItemId: string): Promise<GroundTruth>;
  newUser(): Promise<string>;
  publicToken(options?: {
    username?: string;
    password?: string;
    institutionId?: string;
    products?: Products[];
  }): Promise<string>;
  close(): Promise<void>;
}

export async function startSyncHarness(
  kind: DatabaseKind,
  options: Partial<EmulatorOptions> = {},
): Promise<SyncHarness> {
  const database = await openTestDatabase(kind);
  const db = database.handle.db;
  const emulator = await buildEmulatorApp({
    clientId: CLIENT_ID,
    secret: SECRET,
    now: START,
    rateLimits: false,
    ...options,
  });
  await emulator.listen({ host: '127.0.0.1', port: 0 });
  const { port } = emulator.server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;

  const calls: string[] = [];
  const hooks: SyncHarness['hooks'] = {};
  const real = createPlaidClient({
    basePath: baseUrl,
    clientId: CLIENT_ID,
    secret: SECRET,
    timeoutMs: 10_000,
  });
  const plaid = new Proxy(real, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        calls.push(String(prop));
        await hooks.beforeCall?.(String(prop));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });

  const key = randomBytes(32).toString('base64');
  const cipher = createAccessTokenCipher([{ id: keyIdOf(key), keyBase64: key }], keyIdOf(key));
  const clock = { now: START };
  const now = () => clock.now;
  const materializers = createAnalyticsMaterializers({ db, now });

  const control = emulatorControl(baseUrl);

  return {
    db,
    database,
    emulator,
    baseUrl,
    plaid,
    calls,
    hooks,
    clock,
    linking: createItemLinking({ db, plaid, cipher }),
    sync: createSyncService({ db, plaid, cipher, materializers, now }),
    control,
    async advance(days) {
      await control('POST', '/__emulator/clock/advance', { days });
      const state = await control<{ now: string }>('GET', '/__emulator/state');
      clock.now = new Date(state.now);
    },
    groundTruth: (plaidItemId) =>
      control<GroundTruth>('GET', `/__emulator/items/${plaidItemId}/ground-truth`),
    async newUser() {
      const [row] = await db
        .insert(users)
        .values({ email: `sync-${randomUUID()}@example.com`, passwordHash: 'not-a-real-hash' })
        .returning({ id: users.id });
      if (!row) throw new Error('no user');
      return row.id;
    },
    async publicToken(o = {}) {
      const created = await real.sandboxPublicTokenCreate({
        institution_id: o.institutionId ?? 'ins_109508',
        initial_products: o.products ?? [Products.Transactions, Products.Investments, Products.Liabilities],
        options: {
          override_username: o.username ?? 'user_good',
          override_password: o.password ?? 'pass_good',
          transactions: { days_requested: 90 },
        },
      });
      return created.public_token;
    },
    async close() {
      await emulator.close();
      await database.drop();
    },
  };
}

export { units } from '../helpers/ground-truth-figures.js';

/** Our transactions of an item, in the shape the ground truth is compared in. */
export async function ourTransactions(db: Database, userId: string, itemId: string) {
  const rows = await db
    .select({
      id: transactions.plaidTransactionId,
      account: accounts.plaidAccountId,
      amount: transactions.amount,
      date: transactions.date,
      pending: transactions.pending,
      name: transactions.name,
      pendingTransactionId: transactions.pendingTransactionId,
    })
    .from(transactions)
    .innerJoin(accounts, eq(accounts.id, transactions.accountId))
    .where(and(eq(transactions.userId, userId), eq(transactions.itemId, itemId)));
  return rows
    .map((r) => ({ ...r, amount: units(r.amount) }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export function expectedTransactions(truth: GroundTruth) {
  return truth.transactions.map((t) => ({
    id: t.transaction_id,
    account: t.account_id,
    amount: -units(t.amount), // our sign: money out is negative
    date: t.date,
    pending: t.pending,
    name: t.name,
    pendingTransactionId: t.pending_transaction_id ?? null,
  }));
}

export async function ourAccounts(db: Database, userId: string, itemId: string) {
  const rows = await db
    .select()
    .from(accounts)
    .where(and(eq(accounts.userId, userId), eq(accounts.itemId, itemId)));
  return rows
    .map((a) => ({
      id: a.plaidAccountId,
      type: a.type,
      current: a.currentBalance === null ? null : units(a.currentBalance),
      available: a.availableBalance === null ? null : units(a.availableBalance),
    }))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
}

export function expectedAccounts(truth: GroundTruth) {
  return truth.accounts
    .map((a) => {
      const current = a.balances.current ?? null;
      const owed = a.type === 'credit' || a.type === 'loan';
      return {
        id: a.account_id,
        type: String(a.type),
        current: current === null ? null : owed ? -units(current) : units(current),
        available: a.balances.available == null ? null : units(a.balances.available),
      };
    })
    .sort((a, b) => (a.id < b.id ? -1 : 1));
}

export async function ourHoldings(db: Database, userId: string) {
  const rows = await db
    .select({
      account: accounts.plaidAccountId,
      security: securities.plaidSecurityId,
      quantity: holdings.quantity,
      value: holdings.institutionValue,
      costBasis: holdings.costBasis,
    })
    .from(holdings)
    .innerJoin(accounts, eq(accounts.id, holdings.accountId))
    .innerJoin(securities, eq(securities.id, holdings.securityId))
    .where(eq(holdings.userId, userId));
  return rows
    .map((h) => ({
      key: `${h.account}/${h.security}`,
      quantity: Number(h.quantity),
      value: units(h.value),
      costBasis: h.costBasis === null ? null : units(h.costBasis),
    }))
    .sort((a, b) => (a.key < b.key ? -1 : 1));
}

export function expectedHoldings(truth: GroundTruth) {
  return truth.holdings
    .map((h) => ({
      key: `${h.account_id}/${h.security_id}`,
      quantity: h.quantity,
      value: units(h.institution_value),
      costBasis: h.cost_basis == null ? null : units(h.cost_basis),
    }))
    .sort((a, b) => (a.key < b.key ? -1 : 1));
}

export async function ourInvestmentTransactions(db: Database, userId: string, itemId: string) {
  const rows = await db
    .select({
      id: investmentTransactions.plaidInvestmentTransactionId,
      amount: investmentTransactions.amount,
    })
    .from(investmentTransactions)
    .where(and(eq(investmentTransactions.userId, userId), eq(investmentTransactions.itemId, itemId)));
  return rows.map((r) => ({ id: r.id, amount: units(r.amount) })).sort((a, b) => (a.id < b.id ? -1 : 1));
}

export function expectedInvestmentTransactions(truth: GroundTruth) {
  return truth.investment_transactions
    .map((t) => ({ id: t.investment_transaction_id, amount: -units(t.amount) }))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
}

export async function itemRow(db: Database, userId: string, itemId: string) {
  const [row] = await db
    .select()
    .from(plaidItems)
    .where(and(eq(plaidItems.userId, userId), eq(plaidItems.id, itemId)));
  if (!row) throw new Error('no item');
  return row;
}

/** The first investment pull asks for 24 months back from our today; the emulator may hold older rows. */
const FIRST_PULL_START = new Date(Date.now() - 730 * 86_400_000).toISOString().slice(0, 10);
export const withinFirstPull = (truth: GroundTruth): GroundTruth => ({
  ...truth,
  investment_transactions: truth.investment_transactions.filter((t) => t.date >= FIRST_PULL_START),
});

export const byId = <T extends { id: string }>(rows: T[]) => [...rows].sort((a, b) => (a.id < b.id ? -1 : 1));
