import type { Security } from 'plaid';
import { centsToAmount } from '../core/money.js';
import { daysBetween } from '../core/dates.js';
import { hashParts, Prng } from '../core/prng.js';
import { CASH_TICKER, SECURITIES } from '../catalog/securities.js';
import type { SecuritySpec } from '../catalog/securities.js';

const EPOCH = '2020-01-01';

export interface MarketSecurity {
  readonly id: string;
  readonly spec: SecuritySpec;
}

/**
 * Security prices shared by every item: a pure function of (seed, ticker, date), a slow trend plus
 * a few seasonal waves and a little daily noise, so any date's close can be computed directly.
 */
export class Market {
  readonly securities: readonly MarketSecurity[];
  private readonly byTicker = new Map<string, MarketSecurity>();
  private readonly byId = new Map<string, MarketSecurity>();

  constructor(private readonly seed: number) {
    this.securities = SECURITIES.map((spec) => {
      const prng = Prng.from('security', seed, spec.ticker);
      let id = '';
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
      for (let i = 0; i < 37; i++) id += alphabet[prng.nextUint32() % 62];
      return { id, spec };
    });
    for (const s of this.securities) {
      this.byTicker.set(s.spec.ticker, s);
      this.byId.set(s.id, s);
    }
  }

  bySymbol(ticker: string): MarketSecurity {
    const s = this.byTicker.get(ticker);
    if (!s) throw new Error(`unknown ticker ${ticker}`);
    return s;
  }

  byIdOrUndefined(id: string): MarketSecurity | undefined {
    return this.byId.get(id);
  }

  get cash(): MarketSecurity {
    return this.bySymbol(CASH_TICKER);
  }

  /** Close price in cents on `date`. */
  priceCents(security: MarketSecurity, date: string): number {
    const spec = security.spec;
    if (spec.type === 'cash') return 100;
    const t = daysBetween(EPOCH, date);
    const phase = (hashParts(this.seed, spec.ticker, 'phase') % 1000) / 1000;
    const wave =
      0.08 * Math.sin((2 * Math.PI * t) / 365 + phase * 6.28) +
      0.03 * Math.sin((2 * Math.PI * t) / 47 + phase * 3.1);
    const noise = ((hashParts(this.seed, spec.ticker, date) % 10_000) / 10_000 - 0.5) * 0.012;
    const trend = 1 + (0.07 * t) / 365;
    return Math.max(1, Math.round(spec.basePriceCents * trend * (1 + wave + noise)));
  }

  toPlaidSecurity(security: MarketSecurity, date: string): Security {
    const spec = security.spec;
    const isCash = spec.type === 'cash';
    return {
      security_id: security.id,
      isin: null,
      cusip: null,
      sedol: null,
      institution_security_id: null,
      institution_id: null,
      proxy_security_id: null,
      name: spec.name,
      ticker_symbol: spec.ticker,
      is_cash_equivalent: isCash,
      type: spec.type,
      subtype: spec.subtype,
      close_price: centsToAmount(this.priceCents(security, date)),
      close_price_as_of: isCash ? null : date,
      update_datetime: null,
      iso_currency_code: 'USD',
      unofficial_currency_code: null,
      market_identifier_code: spec.mic,
      sector: spec.sector,
      industry: spec.industry,
      cfi_code: null,
      figi: null,
      option_contract: null,
      fixed_income: null,
    };
  }
}
