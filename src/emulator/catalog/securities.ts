/** The securities the generator invests in. Prices move along `Market.priceCents`. */
export interface SecuritySpec {
  readonly ticker: string;
  readonly name: string;
  readonly type: 'cash' | 'equity' | 'etf' | 'mutual fund';
  readonly subtype: string | null;
  readonly basePriceCents: number;
  /** Dividend per share per quarter as a fraction of the price; 0 for none. */
  readonly quarterlyYield: number;
  readonly sector: string | null;
  readonly industry: string | null;
  readonly mic: string | null;
}

export const CASH_TICKER = 'CUR:USD';

export const SECURITIES: readonly SecuritySpec[] = [
  {
    ticker: CASH_TICKER,
    name: 'U S Dollar',
    type: 'cash',
    subtype: 'cash',
    basePriceCents: 100,
    quarterlyYield: 0,
    sector: null,
    industry: null,
    mic: null,
  },
  {
    ticker: 'VTI',
    name: 'Vanguard Total Stock Market ETF',
    type: 'etf',
    subtype: 'etf',
    basePriceCents: 24_000,
    quarterlyYield: 0.0035,
    sector: null,
    industry: null,
    mic: 'ARCX',
  },
  {
    ticker: 'VXUS',
    name: 'Vanguard Total International Stock ETF',
    type: 'etf',
    subtype: 'etf',
    basePriceCents: 6_000,
    quarterlyYield: 0.008,
    sector: null,
    industry: null,
    mic: 'XNAS',
  },
  {
    ticker: 'BND',
    name: 'Vanguard Total Bond Market ETF',
    type: 'etf',
    subtype: 'etf',
    basePriceCents: 7_200,
    quarterlyYield: 0.009,
    sector: null,
    industry: null,
    mic: 'XNAS',
  },
  {
    ticker: 'AAPL',
    name: 'Apple Inc.',
    type: 'equity',
    subtype: 'common stock',
    basePriceCents: 19_000,
    quarterlyYield: 0.0013,
    sector: 'Technology',
    industry: 'Consumer Electronics',
    mic: 'XNAS',
  },
  {
    ticker: 'MSFT',
    name: 'Microsoft Corporation',
    type: 'equity',
    subtype: 'common stock',
    basePriceCents: 41_000,
    quarterlyYield: 0.0018,
    sector: 'Technology',
    industry: 'Software',
    mic: 'XNAS',
  },
  {
    ticker: 'VFIAX',
    name: 'Vanguard 500 Index Fund Admiral Shares',
    type: 'mutual fund',
    subtype: 'mutual fund',
    basePriceCents: 45_000,
    quarterlyYield: 0,
    sector: null,
    industry: null,
    mic: null,
  },
  {
    ticker: 'VTTSX',
    name: 'Vanguard Target Retirement 2060 Fund',
    type: 'mutual fund',
    subtype: 'mutual fund',
    basePriceCents: 4_500,
    quarterlyYield: 0,
    sector: null,
    industry: null,
    mic: null,
  },
];
