/**
 * The REST API with the session cookie: same origin, `X-CSRF-Token` on every request that changes
 * state. A 401 means the session ended: the page goes back to sign-in.
 */
export interface Problem {
  title?: string;
  detail?: string;
  code?: string;
  status?: number;
  errors?: { field: string; message: string }[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | null,
  ) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
    this.name = 'ApiError';
  }
}

let csrfToken = '';
let onSignedOut: () => void = () => undefined;

export function setSession(csrf: string, signedOut: () => void): void {
  csrfToken = csrf;
  onSignedOut = signedOut;
}

export async function api<T>(
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 204) return null as T;
  const data: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    if (response.status === 401) onSignedOut();
    throw new ApiError(response.status, data as Problem | null);
  }
  return data as T;
}

/** A query string from the defined values only. */
export function query(params: Record<string, string | number | boolean | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    const fields = error.problem?.errors?.map((e) => `${e.field}: ${e.message}`).join('; ');
    return `${error.message}${fields && !error.message.includes(fields) ? ` (${fields})` : ''}`;
  }
  return error instanceof Error ? error.message : String(error);
}

// --- The answers' shapes (the parts the dashboard reads) ---------------------------------------------

export interface Freshness {
  stale: boolean;
  items: {
    item_id: string;
    institution_name: string | null;
    status: string;
    last_synced_at: string | null;
    stale: boolean;
  }[];
}

export interface NetWorth {
  as_of: string;
  freshness: Freshness;
  currencies: {
    currency: string;
    assets: string;
    liabilities: string;
    net_worth: string;
    by_type: { type: string; total: string }[];
  }[];
  history: {
    start_date: string;
    end_date: string;
    interval: 'day' | 'week' | 'month';
    points: {
      currency: string;
      date: string;
      assets: string;
      liabilities: string;
      net_worth: string;
      estimated: boolean;
    }[];
  };
}

export interface CashflowPeriod {
  start: string;
  end: string;
  income: string;
  spending: string;
  net: string;
  savings_rate: string | null;
}

export interface Cashflow {
  start_date: string;
  end_date: string;
  currencies: {
    currency: string;
    totals: { income: string; spending: string; net: string; savings_rate: string | null };
    periods: CashflowPeriod[];
    spending_by_category: { category: string; total: string }[];
  }[];
}

export interface Account {
  id: string;
  item_id: string;
  institution: { id: string; name: string } | null;
  name: string;
  official_name: string | null;
  mask: string | null;
  type: string;
  subtype: string | null;
  balances: {
    current: string | null;
    available: string | null;
    limit: string | null;
    currency: string;
    as_of: string | null;
  };
  item_health: string;
  last_synced_at: string | null;
  stale: boolean;
}

export interface Item {
  id: string;
  institution: { id: string; name: string | null } | null;
  status: string;
  needs_update: boolean;
  products: string[];
  last_synced_at: string | null;
  last_error: { code: string; message: string | null; action: string | null } | null;
  accounts_count: number;
  stale: boolean;
}

export interface Transaction {
  id: string;
  account_id: string;
  date: string;
  name: string;
  merchant_name: string | null;
  amount: string;
  currency: string;
  pending: boolean;
  category: { primary: string | null; detailed: string | null; user_override: string | null };
  note: string | null;
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export interface Holdings {
  positions: {
    account_name: string;
    security_id: string;
    ticker: string | null;
    name: string | null;
    security_type: string | null;
    quantity: string;
    price: string;
    value: string;
    unrealized_gain: string | null;
    currency: string;
  }[];
  totals: {
    currency: string;
    value: string;
    cost_basis: string | null;
    unrealized_gain: string | null;
    unrealized_gain_percent: string | null;
    allocation_by_security_type: { security_type: string; value: string; percent: string | null }[];
  }[];
}

export interface Recurring {
  data: {
    merchant: string;
    currency: string;
    direction: 'in' | 'out';
    cadence: string;
    typical_amount: string;
    occurrences: number;
    last_date: string;
    next_expected_date: string;
    status: 'active' | 'lapsed';
  }[];
}

export interface ApiToken {
  id: string;
  name: string;
  prefix: string;
  scope: 'read' | 'write';
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface Grant {
  id: string;
  client_id: string;
  client_name: string | null;
  resources: { resource: string; scopes: string[] }[];
  created_at: string;
}

export interface SyncRun {
  id: string;
  item_id: string;
  product: string;
  trigger: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'skipped';
  queued_at: string;
  finished_at: string | null;
  counts: { added: number; modified: number; removed: number };
  error: { code?: string } | null;
}

export interface TriggeredSync {
  item_id: string;
  outcome: 'queued' | 'already_queued' | 'blocked';
  run_ids: string[];
}
