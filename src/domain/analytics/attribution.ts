import type { AttributionRepository } from '../../db/repositories/attribution.js';
import { errors } from '../../errors/catalog.js';
import { addDays, daysBetween, formatDate, spanProblem } from '../../lib/dates.js';
import { fromUnits, money, toUnits } from '../../lib/money.js';
import { isLiability } from './net-worth.js';

/**
 * Pure net-worth change attribution (docs/domain.md, "Why net worth changed"). Per currency, the change
 * from the close of `start` to the close of `end` is split into parts, each a signed effect on net worth
 * (our sign: positive = net worth went up), and `unexplained` = change − Σ parts, so that
 * Σ parts + unexplained = change holds exactly (integer 1/10,000 units, never floats).
 *
 * Flows counted are dated after `start` up to and including `end` (posted only):
 * - bank and card transactions (not in investment accounts), classed by the repository as cash flow
 *   classes them (transfers between own accounts apart, income, spending), with fees and interest
 *   (BANK_FEES) and payments to debts (LOAN_PAYMENTS outflows, card and loan payment transfers) apart;
 * - investment cash flows (contributions and withdrawals, dividends and interest, fees); buys and sells
 *   only move money inside an investment account and count nowhere.
 * A bank outflow of exactly the amount of a contribution to an investment account, within 5 days, in one
 * currency, is the contribution's funding leg: moved into investments, not spent (and a withdrawal's
 * inflow likewise).
 * What a balance did that its flows do not say is the account's residual: market movement for an
 * investment account measured between two real balance snapshots (Plaid gives no historical prices),
 * the part of a loan payment that reduced the loan for a loan account (Plaid shows it only in the
 * balance), `unexplained` otherwise.
 */

export const ATTRIBUTION_PARTS = [
  'income',
  'spending',
  'interest_and_fees',
  'investment_contributions',
  'market_movement',
  'debt_paydown',
  'own_transfers',
] as const;
export type AttributionPart = (typeof ATTRIBUTION_PARTS)[number];

/** The classes the repository puts bank and card transactions in. */
export const TRANSACTION_CLASSES = [
  'income',
  'spending',
  'interest_and_fees',
  'debt_paydown',
  'own_transfers',
] as const;
export type TransactionClass = (typeof TRANSACTION_CLASSES)[number];

/** Investment cash flows that explain an investment account's value (buys and sells do not). */
export type InvestmentFlowKind = 'contribution' | 'income' | 'fee';

/** The funding leg of a contribution may be this many days from it. */
export const FUNDING_MAX_DAYS = 5;

export interface AttributionAccount {
  id: string;
  type: string;
  currency: string;
  /** The account's balance at the close of each end as net worth computes it; null when none is known. */
  startBalance: string | null;
  endBalance: string | null;
  /** Whether each balance is a real snapshot (else walked back or carried back from the first one). */
  startMeasured: boolean;
  endMeasured: boolean;
}

/**
 * What an account's balances at both ends are computed from (the repository's read): its first known
 * point (first snapshot with a balance, or the current balance as of its date for an account without
 * snapshots), the last snapshot at or before each end, and `betweenFirstAndEnd`: the posted transactions
 * dated in (first, end] when first ≤ end, in (end, first] when first > end (0 when first ≤ start, and for
 * investment accounts).
 */
export interface AccountFacts {
  id: string;
  type: string;
  currency: string;
  firstDate: string | null;
  firstBalance: string | null;
  startSnapshot: string | null;
  endSnapshot: string | null;
  betweenFirstAndEnd: string;
}

/**
 * Each account's balance at the close of `start` and of `end` as the net-worth materializer computes it
 * (docs/domain.md): the last snapshot carried forward; before the first one, walked back through posted
 * transactions (investment accounts keep their first value). The walk back over (start, end] is the
 * flows' own sum, so only the part beyond the range is read: balance(start) = first − Σ(start, first].
 */
export function balancesAtEnds(
  facts: AccountFacts[],
  flows: TransactionFlow[],
  start: string,
  end: string,
): AttributionAccount[] {
  const inRange = new Map<string, bigint>();
  for (const flow of flows)
    inRange.set(flow.accountId, (inRange.get(flow.accountId) ?? 0n) + toUnits(flow.total));
  return facts.map((f) => {
    const base = { id: f.id, type: f.type, currency: f.currency };
    if (f.firstDate === null || f.firstBalance === null)
      return { ...base, startBalance: null, endBalance: null, startMeasured: false, endMeasured: false };
    const first = toUnits(f.firstBalance);
    const startMeasured = f.firstDate <= start;
    const endMeasured = f.firstDate <= end;
    const snapshot = (value: string | null) => toUnits(value ?? f.firstBalance!);
    let startUnits: bigint;
    let endUnits: bigint;
    if (f.type === 'investment') {
      startUnits = startMeasured ? snapshot(f.startSnapshot) : first;
      endUnits = endMeasured ? snapshot(f.endSnapshot) : first;
    } else {
      const flowsTotal = inRange.get(f.id) ?? 0n;
      const between = toUnits(f.betweenFirstAndEnd);
      if (startMeasured) {
        startUnits = snapshot(f.startSnapshot);
        endUnits = snapshot(f.endSnapshot);
      } else if (endMeasured) {
        endUnits = snapshot(f.endSnapshot);
        startUnits = first - (flowsTotal - between); // Σ(start, first] = Σ(start, end] − Σ(first, end]
      } else {
        endUnits = first - between; // Σ(end, first]
        startUnits = endUnits - flowsTotal;
      }
    }
    return {
      ...base,
      startBalance: fromUnits(startUnits),
      endBalance: fromUnits(endUnits),
      startMeasured,
      endMeasured,
    };
  });
}

/** Posted bank or card transactions of one account in one class, summed. */
export interface TransactionFlow {
  accountId: string;
  class: TransactionClass;
  /** Σ amounts (our sign) and Σ of the positive ones. */
  total: string;
  inflow: string;
  count: number;
}

/** A bank or card transaction that may be the other leg of an investment contribution or withdrawal. */
export interface FundingCandidate {
  id: string;
  accountId: string;
  currency: string;
  date: string;
  amount: string;
  class: TransactionClass;
}

export interface InvestmentFlow {
  id: string;
  accountId: string;
  currency: string;
  date: string;
  /** Cash effect, our sign (a contribution or a dividend is positive, a fee negative). */
  amount: string;
  kind: InvestmentFlowKind;
}

/** A point of the stored net-worth history (the figures GET /v1/net-worth shows). */
export interface NetWorthEnd {
  currency: string;
  netWorth: string;
  estimated: boolean;
}

export interface AttributionInput {
  start: string;
  end: string;
  accounts: AttributionAccount[];
  flows: TransactionFlow[];
  fundingCandidates: FundingCandidate[];
  investmentFlows: InvestmentFlow[];
  netWorthAtStart: NetWorthEnd[];
  netWorthAtEnd: NetWorthEnd[];
}

export interface PartFigure {
  amount: string;
  account_ids: string[];
}

export interface CurrencyAttribution {
  currency: string;
  start: { date: string; net_worth: string; estimated: boolean };
  end: { date: string; net_worth: string; estimated: boolean };
  change: string;
  parts: {
    income: PartFigure;
    spending: PartFigure;
    interest_and_fees: PartFigure;
    investment_contributions: PartFigure & {
      /** Net money put into investment accounts (contributions − withdrawals). */
      into_investment_accounts: string;
      /** Of which came from (positive) or went back to (negative) the owner's own accounts. */
      from_own_accounts: string;
    };
    market_movement: PartFigure;
    debt_paydown: PartFigure & {
      /** How much what is owed went down: payments received by debts, loan balances reduced. */
      paid_down: string;
      /** How much what is owed went up: charges to cards and loans (their effect is under spending, fees). */
      new_debt: string;
    };
    own_transfers: PartFigure;
  };
  unexplained: PartFigure;
}

const EMPTY = { total: 0n, accounts: new Set<string>() };
type Sum = typeof EMPTY;

const byDateThenId = <T extends { date: string; id: string }>(a: T, b: T) =>
  a.date < b.date ? -1 : a.date > b.date ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

/** Pairs each contribution or withdrawal with its funding leg in the owner's other accounts, if any. */
export function matchFundingLegs(
  contributions: InvestmentFlow[],
  candidates: FundingCandidate[],
): Map<string, FundingCandidate> {
  const taken = new Set<string>();
  const matched = new Map<string, FundingCandidate>();
  const sorted = [...candidates].sort(byDateThenId);
  for (const flow of [...contributions].sort(byDateThenId)) {
    const wanted = -toUnits(flow.amount);
    if (wanted === 0n) continue;
    let best: FundingCandidate | undefined;
    let bestDistance = Infinity;
    for (const candidate of sorted) {
      if (taken.has(candidate.id) || candidate.currency !== flow.currency) continue;
      if (toUnits(candidate.amount) !== wanted) continue;
      const distance = Math.abs(daysBetween(candidate.date, flow.date));
      if (distance <= FUNDING_MAX_DAYS && distance < bestDistance) {
        best = candidate;
        bestDistance = distance;
      }
    }
    if (best) {
      taken.add(best.id);
      matched.set(flow.id, best);
    }
  }
  return matched;
}

export function attributeNetWorthChange(input: AttributionInput): CurrencyAttribution[] {
  const currencies = new Set<string>([
    ...input.accounts.map((a) => a.currency),
    ...input.netWorthAtStart.map((n) => n.currency),
    ...input.netWorthAtEnd.map((n) => n.currency),
  ]);
  const accountById = new Map(input.accounts.map((a) => [a.id, a]));
  const funding = matchFundingLegs(
    input.investmentFlows.filter((f) => f.kind === 'contribution'),
    input.fundingCandidates,
  );

  // Per currency and part: the signed effect and the accounts behind it.
  const sums = new Map<string, Map<AttributionPart | 'unexplained_accounts', Sum>>();
  const details = new Map<string, { into: bigint; fromOwn: bigint; paidDown: bigint; newDebt: bigint }>();
  const sumOf = (currency: string, part: AttributionPart | 'unexplained_accounts'): Sum => {
    let byPart = sums.get(currency);
    if (!byPart) sums.set(currency, (byPart = new Map()));
    let sum = byPart.get(part);
    if (!sum) byPart.set(part, (sum = { total: 0n, accounts: new Set() }));
    return sum;
  };
  const detailOf = (currency: string) => {
    let d = details.get(currency);
    if (!d) details.set(currency, (d = { into: 0n, fromOwn: 0n, paidDown: 0n, newDebt: 0n }));
    return d;
  };
  const add = (
    currency: string,
    part: AttributionPart | 'unexplained_accounts',
    units: bigint,
    id?: string,
  ) => {
    const sum = sumOf(currency, part);
    sum.total += units;
    if (id !== undefined) sum.accounts.add(id);
  };

  // What the flows explain of each account's balance change.
  const explained = new Map<string, bigint>();
  const explain = (accountId: string, units: bigint) =>
    explained.set(accountId, (explained.get(accountId) ?? 0n) + units);

  for (const flow of input.flows) {
    const account = accountById.get(flow.accountId);
    if (!account || account.type === 'investment') continue;
    const total = toUnits(flow.total);
    explain(account.id, total);
    add(account.currency, flow.class, total, account.id);
    if (isLiability(account.type)) {
      const inflow = toUnits(flow.inflow);
      const outflow = inflow - total; // positive: charges
      detailOf(account.currency).newDebt += outflow;
      if (flow.class === 'debt_paydown') detailOf(account.currency).paidDown += inflow;
    }
  }
  // Funding legs leave the class they were summed in and move under investment contributions.
  for (const leg of funding.values()) {
    const account = accountById.get(leg.accountId);
    if (!account || account.type === 'investment') continue;
    const units = toUnits(leg.amount);
    add(account.currency, leg.class, -units);
    add(account.currency, 'investment_contributions', units, account.id);
    detailOf(account.currency).fromOwn -= units;
  }
  for (const flow of input.investmentFlows) {
    const account = accountById.get(flow.accountId);
    if (!account || account.type !== 'investment') continue;
    const units = toUnits(flow.amount);
    explain(account.id, units);
    const part: AttributionPart =
      flow.kind === 'contribution'
        ? 'investment_contributions'
        : flow.kind === 'income'
          ? 'income'
          : 'interest_and_fees';
    add(account.currency, part, units, account.id);
    if (flow.kind === 'contribution') detailOf(account.currency).into += units;
  }

  // Residuals: what each balance did beyond its flows.
  for (const account of input.accounts) {
    const change = toUnits(account.endBalance ?? '0') - toUnits(account.startBalance ?? '0');
    const residual = change - (explained.get(account.id) ?? 0n);
    if (residual === 0n) continue;
    if (account.type === 'investment') {
      const measured = account.startMeasured && account.endMeasured;
      add(account.currency, measured ? 'market_movement' : 'unexplained_accounts', residual, account.id);
    } else if (account.type === 'loan') {
      add(account.currency, 'debt_paydown', residual, account.id);
      if (residual > 0n) detailOf(account.currency).paidDown += residual;
      else detailOf(account.currency).newDebt -= residual;
    } else {
      add(account.currency, 'unexplained_accounts', residual, account.id);
    }
  }

  const startOf = new Map(input.netWorthAtStart.map((n) => [n.currency, n]));
  const endOf = new Map(input.netWorthAtEnd.map((n) => [n.currency, n]));
  return [...currencies].sort().map((currency) => {
    const mine = input.accounts.filter((a) => a.currency === currency);
    const computed = (pick: (a: AttributionAccount) => string | null) =>
      mine.reduce((total, a) => total + toUnits(pick(a) ?? '0'), 0n);
    // The stored history's figures when it has a point; else (before anything is known) the accounts' own.
    const startStored = startOf.get(currency);
    const endStored = endOf.get(currency);
    const startUnits = startStored ? toUnits(startStored.netWorth) : computed((a) => a.startBalance);
    const endUnits = endStored ? toUnits(endStored.netWorth) : computed((a) => a.endBalance);
    const change = endUnits - startUnits;
    const figure = (part: AttributionPart): PartFigure => {
      const sum = sums.get(currency)?.get(part) ?? EMPTY;
      return { amount: money(fromUnits(sum.total)), account_ids: [...sum.accounts].sort() };
    };
    const partsTotal = ATTRIBUTION_PARTS.reduce(
      (total, part) => total + (sums.get(currency)?.get(part)?.total ?? 0n),
      0n,
    );
    const d = details.get(currency) ?? { into: 0n, fromOwn: 0n, paidDown: 0n, newDebt: 0n };
    const unexplainedAccounts = sums.get(currency)?.get('unexplained_accounts')?.accounts ?? new Set();
    return {
      currency,
      start: {
        date: input.start,
        net_worth: money(fromUnits(startUnits)),
        estimated: startStored?.estimated ?? true,
      },
      end: {
        date: input.end,
        net_worth: money(fromUnits(endUnits)),
        estimated: endStored?.estimated ?? true,
      },
      change: money(fromUnits(change)),
      parts: {
        income: figure('income'),
        spending: figure('spending'),
        interest_and_fees: figure('interest_and_fees'),
        investment_contributions: {
          ...figure('investment_contributions'),
          into_investment_accounts: money(fromUnits(d.into)),
          from_own_accounts: money(fromUnits(d.fromOwn)),
        },
        market_movement: figure('market_movement'),
        debt_paydown: {
          ...figure('debt_paydown'),
          paid_down: money(fromUnits(d.paidDown)),
          new_debt: money(fromUnits(d.newDebt)),
        },
        own_transfers: figure('own_transfers'),
      },
      unexplained: {
        amount: money(fromUnits(change - partsTotal)),
        account_ids: [...unexplainedAccounts].sort(),
      },
    };
  });
}

/** The longest range the change answers: 20 years of days, like the other analytics. */
export const NET_WORTH_CHANGE_MAX_DAYS = 7_305;

/** GET /v1/net-worth/change: the range rules, then the repository's reads through the calculator. */
export function createNetWorthChangeService(deps: { attribution: AttributionRepository; now?: () => Date }) {
  const now = deps.now ?? (() => new Date());
  return {
    /**
     * Missing bounds: end = today, start = 30 days before end. An end after today is today (no balance
     * is known later); start must come before end.
     */
    range(given: { start?: string; end?: string }): { start: string; end: string } {
      const today = formatDate(now());
      const end = given.end === undefined || given.end > today ? today : given.end;
      const start = given.start ?? addDays(end, -30);
      if (start > end)
        throw errors.validationFailed([
          { field: 'query.start_date', message: `must not be after end_date (${end}; today at the latest)` },
        ]);
      if (spanProblem(start, end, 'day', NET_WORTH_CHANGE_MAX_DAYS))
        throw errors.validationFailed([
          {
            field: 'query.start_date',
            message: `expected at most ${NET_WORTH_CHANGE_MAX_DAYS} days (20 years) from start_date to end_date`,
          },
        ]);
      return { start, end };
    },

    async change(userId: string, range: { start: string; end: string }): Promise<CurrencyAttribution[]> {
      const { start, end } = range;
      const repo = deps.attribution;
      const [facts, flows, investmentFlows, netWorthAtStart, netWorthAtEnd] = await Promise.all([
        repo.accountFacts(userId, start, end),
        repo.flows(userId, start, end),
        repo.investmentFlows(userId, start, end),
        repo.netWorthOn(userId, start),
        repo.netWorthOn(userId, end),
      ]);
      const opposites = [
        ...new Set(
          investmentFlows.filter((f) => f.kind === 'contribution').map((f) => fromUnits(-toUnits(f.amount))),
        ),
      ];
      const fundingCandidates = await repo.fundingCandidates(userId, start, end, opposites);
      const accounts = balancesAtEnds(facts, flows, start, end);
      return attributeNetWorthChange({
        start,
        end,
        accounts,
        flows,
        fundingCandidates,
        investmentFlows,
        netWorthAtStart,
        netWorthAtEnd,
      });
    },
  };
}

export type NetWorthChangeService = ReturnType<typeof createNetWorthChangeService>;
