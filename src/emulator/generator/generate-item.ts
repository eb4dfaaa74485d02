import { addDays, daysBetween } from '../core/dates.js';
import { IdSource } from '../core/ids.js';
import { Prng } from '../core/prng.js';
import type { DataProfile } from '../catalog/sandbox-users.js';
import { EmulatedItem } from '../state/item.js';
import type { MortgageTerms } from '../state/item.js';
import type { Market } from '../state/market.js';
import { Portfolio } from '../state/portfolio.js';
import { generateAccounts } from './accounts.js';
import { openPositions } from './investing.js';
import { simulateDay } from './simulate-day.js';

export interface GenerateItemInput {
  readonly seed: number;
  readonly itemId: string;
  readonly institutionId: string;
  readonly institutionName: string;
  readonly username: string;
  readonly profile: DataProfile;
  readonly products: string[];
  readonly webhook: string | null;
  readonly daysRequested: number;
  readonly today: string;
  readonly createdAt: string;
}

/** Monthly principal-and-interest payment of a fixed-rate loan, in cents. */
export function monthlyPaymentCents(principalCents: number, annualRate: number, months: number): number {
  const r = annualRate / 12;
  return Math.round((principalCents * r) / (1 - Math.pow(1 + r, -months)));
}

/** Remaining principal after `payments` monthly payments, in cents. */
export function remainingPrincipalCents(terms: MortgageTerms, payments: number): number {
  const r = terms.annualRate / 12;
  let balance = terms.principalCents;
  for (let i = 0; i < Math.min(payments, terms.termMonths); i++) {
    balance = balance + Math.round(balance * r) - terms.paymentCents;
  }
  return Math.max(0, balance);
}

/**
 * Generates an item: accounts, opening positions, then every day of history from
 * `today − daysRequested` to `today` through the same day simulation the clock uses. Finally the
 * opening balances are set so that each account shows its target balance on the day of linking.
 * Deterministic in (seed, institution, username, daysRequested, today); ids also depend on itemId.
 */
export function generateItem(input: GenerateItemInput, market: Market): EmulatedItem {
  const generationKey = `${input.seed}:${input.institutionId}:${input.username}`;
  const item = new EmulatedItem({
    id: input.itemId,
    institutionId: input.institutionId,
    institutionName: input.institutionName,
    username: input.username,
    profile: input.profile,
    products: input.products,
    webhook: input.webhook,
    createdAt: input.createdAt,
    daysRequested: input.daysRequested,
    ids: new IdSource(input.seed, input.itemId),
    generationKey,
  });
  const prng = Prng.from(generationKey, 'accounts');
  item.accounts.push(...generateAccounts(item.ids, prng));
  const targets = new Map(item.accounts.map((a) => [a.id, a.openingCents]));

  const start = addDays(input.today, -input.daysRequested);
  const originationDate = addDays(start, -3 * 365);
  const principalCents = 42_000_000;
  item.mortgage = {
    principalCents,
    annualRate: 0.06125,
    termMonths: 360,
    originationDate,
    paymentCents: monthlyPaymentCents(principalCents, 0.06125, 360),
  };
  item.memory.mortgagePaymentsMade = Math.floor(daysBetween(originationDate, start) / 30.4);

  item.portfolio = new Portfolio(market);
  openPositions(item, item.portfolio, market, start);

  for (let day = addDays(start, 1); day <= input.today; day = addDays(day, 1)) simulateDay(item, market, day);

  for (const account of item.accounts) {
    // The card starts history owing last month's bill, paid on the 22nd; its balance then follows.
    if (account.role === 'credit') continue;
    const target = targets.get(account.id) ?? 0;
    const posted = item.balances.totalsOf(account.id).postedCents;
    if (account.rule === 'asset') account.openingCents = target + posted;
    if (account.rule === 'liability') account.openingCents = target - posted;
  }
  return item;
}
