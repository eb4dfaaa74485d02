/**
 * The thin Plaid adapter: one function per endpoint we use, over the official `plaid` package.
 *
 * Each function returns Plaid's response data (which always carries `request_id`). Each failure becomes
 * a `PlaidApiError` holding plain values only: the AxiosError is dropped on the spot because its
 * `config.headers` carry PLAID-SECRET. Branching on the error belongs to `classifyPlaidError`.
 */

import {
  Configuration,
  PlaidApi,
  PlaidEnvironments,
  type AccountsGetRequest,
  type AccountsGetResponse,
  type InstitutionsGetByIdRequest,
  type InstitutionsGetByIdResponse,
  type InvestmentsHoldingsGetRequest,
  type InvestmentsHoldingsGetResponse,
  type InvestmentsTransactionsGetRequest,
  type InvestmentsTransactionsGetResponse,
  type ItemGetRequest,
  type ItemGetResponse,
  type ItemPublicTokenExchangeRequest,
  type ItemPublicTokenExchangeResponse,
  type ItemRemoveRequest,
  type ItemRemoveResponse,
  type LiabilitiesGetRequest,
  type LiabilitiesGetResponse,
  type LinkTokenCreateRequest,
  type LinkTokenCreateResponse,
  type SandboxPublicTokenCreateRequest,
  type SandboxPublicTokenCreateResponse,
  type TransactionsSyncRequest,
  type TransactionsSyncResponse,
  type WebhookVerificationKeyGetRequest,
  type WebhookVerificationKeyGetResponse,
} from 'plaid';
import type { Config } from '../config/schema.js';
import { NETWORK_ERROR_TYPE, PlaidApiError } from './errors.js';

export interface PlaidClientOptions {
  /** Plaid's server, e.g. `PlaidEnvironments.sandbox` or the emulator's `http://127.0.0.1:4010`; no trailing slash. */
  basePath: string;
  clientId: string;
  secret: string;
  /** Per-request timeout; axios has none by default. */
  timeoutMs: number;
}

/** Plaid's response data; every success carries Plaid's `request_id`. */
export type PlaidResponse<T> = T & { request_id: string };

export interface PlaidClient {
  /** The server this client calls (never undefined: see createPlaidClient). */
  readonly basePath: string;
  linkTokenCreate(request: LinkTokenCreateRequest): Promise<PlaidResponse<LinkTokenCreateResponse>>;
  itemPublicTokenExchange(
    request: ItemPublicTokenExchangeRequest,
  ): Promise<PlaidResponse<ItemPublicTokenExchangeResponse>>;
  itemGet(request: ItemGetRequest): Promise<PlaidResponse<ItemGetResponse>>;
  itemRemove(request: ItemRemoveRequest): Promise<PlaidResponse<ItemRemoveResponse>>;
  institutionsGetById(
    request: InstitutionsGetByIdRequest,
  ): Promise<PlaidResponse<InstitutionsGetByIdResponse>>;
  accountsGet(request: AccountsGetRequest): Promise<PlaidResponse<AccountsGetResponse>>;
  transactionsSync(request: TransactionsSyncRequest): Promise<PlaidResponse<TransactionsSyncResponse>>;
  investmentsHoldingsGet(
    request: InvestmentsHoldingsGetRequest,
  ): Promise<PlaidResponse<InvestmentsHoldingsGetResponse>>;
  investmentsTransactionsGet(
    request: InvestmentsTransactionsGetRequest,
  ): Promise<PlaidResponse<InvestmentsTransactionsGetResponse>>;
  liabilitiesGet(request: LiabilitiesGetRequest): Promise<PlaidResponse<LiabilitiesGetResponse>>;
  webhookVerificationKeyGet(
    request: WebhookVerificationKeyGetRequest,
  ): Promise<PlaidResponse<WebhookVerificationKeyGetResponse>>;
  sandboxPublicTokenCreate(
    request: SandboxPublicTokenCreateRequest,
  ): Promise<PlaidResponse<SandboxPublicTokenCreateResponse>>;
}

/** Thrown at construction when the options would send traffic somewhere unintended. */
export class PlaidClientConfigError extends Error {
  override readonly name = 'PlaidClientConfigError';
}

/**
 * The base URL for the configured mode: Plaid's own server for `mode: 'plaid'`, or the emulator's URL
 * (required in emulator mode; trailing slashes are removed).
 */
export function plaidBasePath(config: Pick<Config, 'plaid'>, emulatorUrl?: string): string {
  if (config.plaid.mode === 'plaid') {
    const basePath = PlaidEnvironments[config.plaid.env];
    if (!basePath) throw new PlaidClientConfigError(`unknown Plaid environment ${config.plaid.env}`);
    return basePath;
  }
  if (!emulatorUrl) throw new PlaidClientConfigError('the Plaid emulator URL is required in emulator mode');
  return emulatorUrl.replace(/\/+$/, '');
}

function assertOptions(options: PlaidClientOptions): void {
  const { basePath, clientId, secret, timeoutMs } = options;
  // An undefined basePath makes the plaid package call https://production.plaid.com silently.
  if (typeof basePath !== 'string' || basePath === '') {
    throw new PlaidClientConfigError('Plaid basePath must be set (an empty one silently calls production)');
  }
  if (basePath.endsWith('/')) {
    throw new PlaidClientConfigError(`Plaid basePath must not end with a slash: ${basePath}`);
  }
  let url: URL;
  try {
    url = new URL(basePath);
  } catch {
    throw new PlaidClientConfigError(`Plaid basePath is not a URL: ${basePath}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new PlaidClientConfigError(`Plaid basePath must be http(s): ${basePath}`);
  }
  if (!clientId) throw new PlaidClientConfigError('Plaid clientId must be set');
  if (!secret) throw new PlaidClientConfigError('Plaid secret must be set');
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
    throw new PlaidClientConfigError(`Plaid timeoutMs must be a positive integer, got ${timeoutMs}`);
  }
}

export function createPlaidClient(options: PlaidClientOptions): PlaidClient {
  assertOptions(options);
  const api = new PlaidApi(
    new Configuration({
      basePath: options.basePath,
      baseOptions: {
        headers: { 'PLAID-CLIENT-ID': options.clientId, 'PLAID-SECRET': options.secret },
        timeout: options.timeoutMs,
      },
    }),
  );

  async function call<T>(endpoint: string, send: () => Promise<{ data: T }>): Promise<PlaidResponse<T>> {
    let data: T;
    try {
      data = (await send()).data;
    } catch (error) {
      // Copy plain values out and let the AxiosError (and the secret in its config) go.
      throw plaidApiErrorFrom(error, endpoint);
    }
    return data as PlaidResponse<T>;
  }

  return {
    basePath: options.basePath,
    linkTokenCreate: (request) => call('/link/token/create', () => api.linkTokenCreate(request)),
    itemPublicTokenExchange: (request) =>
      call('/item/public_token/exchange', () => api.itemPublicTokenExchange(request)),
    itemGet: (request) => call('/item/get', () => api.itemGet(request)),
    itemRemove: (request) => call('/item/remove', () => api.itemRemove(request)),
    institutionsGetById: (request) => call('/institutions/get_by_id', () => api.institutionsGetById(request)),
    accountsGet: (request) => call('/accounts/get', () => api.accountsGet(request)),
    transactionsSync: (request) => call('/transactions/sync', () => api.transactionsSync(request)),
    investmentsHoldingsGet: (request) =>
      call('/investments/holdings/get', () => api.investmentsHoldingsGet(request)),
    investmentsTransactionsGet: (request) =>
      call('/investments/transactions/get', () => api.investmentsTransactionsGet(request)),
    liabilitiesGet: (request) => call('/liabilities/get', () => api.liabilitiesGet(request)),
    webhookVerificationKeyGet: (request) =>
      call('/webhook_verification_key/get', () => api.webhookVerificationKeyGet(request)),
    sandboxPublicTokenCreate: (request) =>
      call('/sandbox/public_token/create', () => api.sandboxPublicTokenCreate(request)),
  };
}

const TIMEOUT_CODES = new Set(['ECONNABORTED', 'ETIMEDOUT', 'ESOCKETTIMEDOUT']);

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/**
 * Anything the plaid package throws → PlaidApiError. Reads only `response.status`, `response.data`
 * (Plaid's error body) and the error code; never the request config or headers.
 */
export function plaidApiErrorFrom(error: unknown, endpoint: string): PlaidApiError {
  if (error instanceof PlaidApiError) return error;
  const response = isRecord(error) && isRecord(error.response) ? error.response : undefined;

  if (!response) {
    const code = isRecord(error) && typeof error.code === 'string' ? error.code : '';
    const timedOut = TIMEOUT_CODES.has(code);
    return new PlaidApiError({
      status: null,
      errorType: NETWORK_ERROR_TYPE,
      errorCode: timedOut ? 'TIMEOUT' : 'NETWORK_ERROR',
      errorMessage: timedOut
        ? 'Plaid did not answer in time'
        : `no response from Plaid${code ? ` (${code})` : ''}`,
      displayMessage: null,
      requestId: null,
      endpoint,
    });
  }

  const status = typeof response.status === 'number' ? response.status : null;
  const body = isRecord(response.data) ? response.data : undefined;
  const errorType = stringOrNull(body?.error_type);
  const errorCode = stringOrNull(body?.error_code);
  if (body && errorType && errorCode) {
    return new PlaidApiError({
      status,
      errorType,
      errorCode,
      errorMessage: stringOrNull(body.error_message) ?? '',
      displayMessage: stringOrNull(body.display_message),
      requestId: stringOrNull(body.request_id),
      endpoint,
    });
  }
  // Not a Plaid error body (a proxy's HTML page, an empty 502...): keep only the status.
  return new PlaidApiError({
    status,
    errorType: 'HTTP_ERROR',
    errorCode: `HTTP_${status ?? 'UNKNOWN'}`,
    errorMessage: `Plaid answered HTTP ${status ?? '?'} without a Plaid error body`,
    displayMessage: null,
    requestId: body ? stringOrNull(body.request_id) : null,
    endpoint,
  });
}
