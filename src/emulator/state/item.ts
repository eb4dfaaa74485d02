import type { Holding, InvestmentTransaction, LiabilitiesObject, PlaidError, Security } from 'plaid';
import type { IdSource } from '../core/ids.js';
import type { DataProfile } from '../catalog/sandbox-users.js';
import type { AccountRecord, AccountRole } from './account-record.js';
import { BalanceBook } from './balance-book.js';
import { TransactionLedger } from './ledger.js';
import type { Portfolio } from './portfolio.js';
import type { TransactionDescriptor, TransactionRecord } from './transaction-record.js';

/** A pending row's future: it posts on `postOn` (maybe for another amount) or vanishes. */
export interface PendingPlan {
  readonly postOn: string;
  readonly postedCents: number;
  readonly vanishes: boolean;
}

export interface MortgageTerms {
  readonly principalCents: number;
  readonly annualRate: number;
  readonly termMonths: number;
  readonly originationDate: string;
  readonly paymentCents: number;
}

/** A row the generator has decided to add on a later day (the second leg of a transfer). */
export interface ScheduledRow {
  readonly on: string;
  readonly accountId: string;
  readonly descriptor: TransactionDescriptor;
  readonly cents: number;
}

/** What the generator remembers between days (card spending, payments made). */
export interface GeneratorMemory {
  readonly cardSpendByMonth: Map<string, number>;
  lastCardPayment: { date: string; cents: number } | null;
  mortgagePaymentsMade: number;
  lastMortgagePayment: { date: string; cents: number } | null;
  lastStudentPayment: { date: string; cents: number } | null;
  /** Recently posted ids, candidates for churn (modification or removal). */
  readonly recentPosted: string[];
  readonly scheduled: ScheduledRow[];
}

/** Investment and liability data a fixture serves verbatim. */
export interface FixtureExtras {
  readonly securities: Security[];
  readonly holdings: Holding[];
  readonly investmentTransactions: InvestmentTransaction[];
  readonly liabilities: LiabilitiesObject | null;
}

export interface ItemInit {
  readonly id: string;
  readonly institutionId: string;
  readonly institutionName: string;
  readonly username: string;
  readonly profile: DataProfile | 'fixture';
  readonly products: string[];
  readonly webhook: string | null;
  readonly createdAt: string;
  readonly daysRequested: number;
  readonly ids: IdSource;
  readonly generationKey: string;
}

/**
 * One linked Item: its accounts, its transaction ledger with change log, investments, and the
 * link-level state (webhook, error, products). All mutations of transactions go through here.
 */
export class EmulatedItem {
  readonly id: string;
  readonly institutionId: string;
  readonly institutionName: string;
  readonly username: string;
  readonly profile: DataProfile | 'fixture';
  readonly createdAt: string;
  readonly daysRequested: number;
  readonly ids: IdSource;
  /** Seeds the per-day activity; the same for every item of one (seed, institution, user). */
  readonly generationKey: string;
  products: string[];
  webhook: string | null;
  error: PlaidError | null = null;
  removed = false;
  /** The first exchange sent the initial webhooks. */
  announced = false;
  /** Calls to `/transactions/refresh` so far (seeds the dynamic user's changes). */
  refreshes = 0;

  readonly accounts: AccountRecord[] = [];
  readonly balances = new BalanceBook();
  readonly ledger = new TransactionLedger(this.balances.onChange);
  readonly pendingPlans = new Map<string, PendingPlan>();
  portfolio: Portfolio | null = null;
  fixtureExtras: FixtureExtras | null = null;
  mortgage: MortgageTerms | null = null;
  readonly memory: GeneratorMemory = {
    cardSpendByMonth: new Map(),
    lastCardPayment: null,
    mortgagePaymentsMade: 0,
    lastMortgagePayment: null,
    lastStudentPayment: null,
    recentPosted: [],
    scheduled: [],
  };

  /** Wall-clock ms from which `/transactions/sync` is ready. */
  readyAt = 0;
  /** Set by the first `/transactions/sync` call; only then does SYNC_UPDATES_AVAILABLE fire. */
  syncActivated = false;
  /** Pages left before the armed mutation applies (`/__emulator/.../mutate-between-pages`). */
  mutateAfterPages: number | null = null;
  lastWebhook: { sent_at: string; code_sent: string } | null = null;
  lastTransactionsUpdate: string | null = null;
  lastInvestmentsUpdate: string | null = null;

  constructor(init: ItemInit) {
    this.id = init.id;
    this.institutionId = init.institutionId;
    this.institutionName = init.institutionName;
    this.username = init.username;
    this.profile = init.profile;
    this.products = init.products;
    this.webhook = init.webhook;
    this.createdAt = init.createdAt;
    this.daysRequested = init.daysRequested;
    this.ids = init.ids;
    this.generationKey = init.generationKey;
  }

  account(id: string): AccountRecord | undefined {
    return this.accounts.find((a) => a.id === id);
  }

  accountByRole(role: AccountRole): AccountRecord | undefined {
    return this.accounts.find((a) => a.role === role);
  }

  /** Adds a new row: pending with a plan, or posted right away. Returns its id. */
  open(
    account: AccountRecord,
    descriptor: TransactionDescriptor,
    cents: number,
    date: string,
    plan: PendingPlan | null,
    authorizedDate: string = date,
  ): string {
    const id = this.ids.next();
    this.ledger.add({
      id,
      accountId: account.id,
      amountCents: cents,
      currency: account.currency,
      date,
      authorizedDate,
      pending: plan !== null,
      pendingTransactionId: null,
      descriptor,
    });
    if (plan) this.pendingPlans.set(id, plan);
    else this.rememberPosted(id);
    return id;
  }

  schedule(row: ScheduledRow): void {
    this.memory.scheduled.push(row);
  }

  /** Posts a pending row as a new row pointing back at it; the pending row is removed. */
  post(pendingId: string, postedCents: number, postDate: string): string | undefined {
    const pending = this.ledger.get(pendingId);
    this.pendingPlans.delete(pendingId);
    if (!pending?.pending) return undefined;
    this.ledger.remove(pendingId);
    const id = this.ids.next();
    const posted: TransactionRecord = {
      ...pending,
      id,
      amountCents: postedCents,
      date: postDate,
      pending: false,
      pendingTransactionId: pendingId,
    };
    this.ledger.add(posted);
    this.rememberPosted(id);
    return id;
  }

  /** A hold that never posts disappears. */
  vanish(pendingId: string): void {
    this.pendingPlans.delete(pendingId);
    this.ledger.remove(pendingId);
  }

  modify(
    id: string,
    change: Partial<Pick<TransactionRecord, 'amountCents' | 'nameOverride' | 'date'>>,
  ): boolean {
    const current = this.ledger.get(id);
    if (!current) return false;
    this.ledger.replace({ ...current, ...change });
    return true;
  }

  remove(id: string): boolean {
    this.pendingPlans.delete(id);
    return this.ledger.remove(id) !== undefined;
  }

  private rememberPosted(id: string): void {
    const recent = this.memory.recentPosted;
    recent.push(id);
    if (recent.length > 200) recent.splice(0, recent.length - 200);
  }
}
