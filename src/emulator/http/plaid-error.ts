import type { PlaidError, PlaidErrorType } from 'plaid';

/** What the emulator knows about one Plaid error code: its type, HTTP status and texts. */
interface ErrorDefinition {
  readonly type: `${PlaidErrorType}`;
  readonly status: number;
  readonly message: string;
  readonly display: string | null;
}

const CONNECT_AGAIN =
  "the login details of this item have changed (credentials, MFA, or required user action) and a user login is required to update this information. use Link's update mode to restore the item to a good state";

/** The codes the emulator returns, with Plaid's types and statuses (see NOTES.md §6). */
export const ERROR_CATALOG: Readonly<Record<string, ErrorDefinition>> = {
  MISSING_FIELDS: {
    type: 'INVALID_REQUEST',
    status: 400,
    message: 'the following required fields are missing',
    display: null,
  },
  UNKNOWN_FIELDS: {
    type: 'INVALID_REQUEST',
    status: 400,
    message: 'the following fields are not recognized by this endpoint',
    display: null,
  },
  INVALID_FIELD: {
    type: 'INVALID_REQUEST',
    status: 400,
    message: 'a field has an invalid value',
    display: null,
  },
  INVALID_BODY: {
    type: 'INVALID_REQUEST',
    status: 400,
    message: 'body could not be parsed as JSON',
    display: null,
  },
  INVALID_HEADERS: { type: 'INVALID_REQUEST', status: 400, message: 'invalid headers', display: null },
  NOT_FOUND: { type: 'INVALID_REQUEST', status: 404, message: 'not found', display: null },
  INVALID_API_KEYS: {
    type: 'INVALID_INPUT',
    status: 400,
    message: 'invalid client_id or secret provided',
    display: null,
  },
  INVALID_ACCESS_TOKEN: {
    type: 'INVALID_INPUT',
    status: 400,
    message:
      'provided access token is in an invalid format. expected format: access-<environment>-<identifier>',
    display: null,
  },
  INVALID_PUBLIC_TOKEN: {
    type: 'INVALID_INPUT',
    status: 400,
    message:
      'provided public token is expired. Public tokens expire 30 minutes after creation at which point they can no longer be exchanged',
    display: null,
  },
  INVALID_LINK_TOKEN: {
    type: 'INVALID_INPUT',
    status: 400,
    message: 'provided link token is invalid or expired',
    display: null,
  },
  INVALID_ACCOUNT_ID: {
    type: 'INVALID_INPUT',
    status: 400,
    message: 'one or more of the account IDs is invalid',
    display: null,
  },
  INVALID_INSTITUTION: {
    type: 'INVALID_INPUT',
    status: 400,
    message: 'invalid institution_id provided',
    display: null,
  },
  INVALID_PRODUCT: { type: 'INVALID_INPUT', status: 400, message: 'invalid product provided', display: null },
  INVALID_WEBHOOK_VERIFICATION_KEY_ID: {
    type: 'INVALID_INPUT',
    status: 400,
    message:
      'invalid key_id provided. note that key_ids are specific to Plaid environments, and verification requests must be made to the same environment that the webhook was sent from',
    display: null,
  },
  USER_PERMISSION_REVOKED: {
    type: 'INVALID_INPUT',
    status: 400,
    message: 'the holder of this account has revoked their permission for your application to access it',
    display: 'The holder of this account has revoked their permission for your application to access it.',
  },
  ITEM_NOT_FOUND: {
    type: 'ITEM_ERROR',
    status: 400,
    message:
      'the Item you requested cannot be found. This Item does not exist, has been previously removed via /item/remove, or has had access removed by the user',
    display: null,
  },
  ITEM_LOGIN_REQUIRED: { type: 'ITEM_ERROR', status: 400, message: CONNECT_AGAIN, display: null },
  INVALID_CREDENTIALS: {
    type: 'ITEM_ERROR',
    status: 400,
    message: 'the provided credentials were not correct',
    display: 'The provided credentials were not correct. Please try again.',
  },
  INVALID_MFA: {
    type: 'ITEM_ERROR',
    status: 400,
    message: 'the provided MFA responses were not correct',
    display: 'The provided MFA responses were not correct. Please try again.',
  },
  ITEM_LOCKED: {
    type: 'ITEM_ERROR',
    status: 400,
    message:
      "the account is locked. prompt the user to visit the institution's site and unlock their account",
    display:
      "The given account has been locked by the financial institution. Please visit your financial institution's website to unlock your account.",
  },
  ITEM_NOT_SUPPORTED: {
    type: 'ITEM_ERROR',
    status: 400,
    message: 'this item is not supported by Plaid',
    display: 'Account not currently supported',
  },
  USER_SETUP_REQUIRED: {
    type: 'ITEM_ERROR',
    status: 400,
    message:
      "the account has not been fully set up. prompt the user to visit the issuing institution's site and finish the setup process",
    display:
      "The given account is not fully setup. Please visit your financial institution's website to setup your account.",
  },
  NO_ACCOUNTS: {
    type: 'ITEM_ERROR',
    status: 400,
    message: 'no valid accounts were found for this item',
    display:
      "No valid accounts were found at the financial institution. Please visit your financial institution's website to confirm accounts are available.",
  },
  NO_INVESTMENT_ACCOUNTS: {
    type: 'ITEM_ERROR',
    status: 400,
    message: 'no investment accounts were found for this item',
    display: null,
  },
  NO_LIABILITY_ACCOUNTS: {
    type: 'ITEM_ERROR',
    status: 400,
    message: 'no liability accounts were found for this item',
    display: null,
  },
  PRODUCT_NOT_READY: {
    type: 'ITEM_ERROR',
    status: 400,
    message:
      'the requested product is not yet ready. please provide a webhook or try the request again later',
    display: null,
  },
  PRODUCTS_NOT_SUPPORTED: {
    type: 'ITEM_ERROR',
    status: 400,
    message: 'the requested products are not supported by this item',
    display: null,
  },
  PRODUCT_NOT_ENABLED: {
    type: 'ITEM_ERROR',
    status: 400,
    message: 'the requested product is not enabled for this item',
    display: null,
  },
  TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION: {
    type: 'TRANSACTIONS_ERROR',
    status: 400,
    message:
      'Underlying transaction data changed since last page was fetched. Please restart pagination from last update.',
    display: null,
  },
  INSTITUTION_DOWN: {
    type: 'INSTITUTION_ERROR',
    status: 400,
    message: 'this institution is not currently responding to this request. please try again soon',
    display:
      'This financial institution is not currently responding to requests. We apologize for the inconvenience.',
  },
  INSTITUTION_NOT_RESPONDING: {
    type: 'INSTITUTION_ERROR',
    status: 400,
    message: 'this institution is not currently responding to this request. please try again soon',
    display:
      'This financial institution is not currently responding to requests. We apologize for the inconvenience.',
  },
  INSTITUTION_NOT_AVAILABLE: {
    type: 'INSTITUTION_ERROR',
    status: 400,
    message: 'this institution is not currently responding to this request. please try again soon',
    display: 'This financial institution is not available right now. We apologize for the inconvenience.',
  },
  INSTITUTION_NO_LONGER_SUPPORTED: {
    type: 'INSTITUTION_ERROR',
    status: 400,
    message: 'this institution is no longer supported',
    display: 'This financial institution is no longer supported. We apologize for the inconvenience.',
  },
  INTERNAL_SERVER_ERROR: {
    type: 'API_ERROR',
    status: 500,
    message: 'an unexpected error occurred',
    display: null,
  },
  PLANNED_MAINTENANCE: {
    type: 'API_ERROR',
    status: 503,
    message: 'the Plaid API is undergoing scheduled maintenance',
    display: null,
  },
  RATE_LIMIT_EXCEEDED: {
    type: 'RATE_LIMIT_EXCEEDED',
    status: 429,
    message: 'rate limit exceeded',
    display: null,
  },
  SANDBOX_PRODUCT_NOT_ENABLED: {
    type: 'SANDBOX_ERROR',
    status: 400,
    message: 'the product is not enabled on this item',
    display: null,
  },
  SANDBOX_WEBHOOK_INVALID: {
    type: 'SANDBOX_ERROR',
    status: 400,
    message: 'the webhook for this item is not set or is invalid',
    display: null,
  },
};

const RATE_LIMIT_CODES = new Set([
  'ACCOUNTS_LIMIT',
  'ACCOUNTS_BALANCE_GET_LIMIT',
  'ITEM_GET_LIMIT',
  'TRANSACTIONS_SYNC_LIMIT',
  'TRANSACTIONS_REFRESH_LIMIT',
  'INVESTMENT_HOLDINGS_GET_LIMIT',
  'INVESTMENT_TRANSACTIONS_LIMIT',
  'LIABILITIES_LIMIT',
  'INSTITUTIONS_GET_BY_ID_LIMIT',
  'RATE_LIMIT',
]);

export interface PlaidErrorOverrides {
  readonly message?: string;
  readonly display?: string | null;
  readonly type?: `${PlaidErrorType}`;
  readonly status?: number;
}

/** A Plaid error object plus the HTTP status it travels with. Thrown anywhere, answered by app.ts. */
export class PlaidApiError extends Error {
  readonly status: number;
  readonly errorType: `${PlaidErrorType}`;
  readonly code: string;
  readonly displayMessage: string | null;

  constructor(code: string, overrides: PlaidErrorOverrides = {}) {
    const known = definitionOf(code);
    super(overrides.message ?? known.message);
    this.name = 'PlaidApiError';
    this.code = code;
    this.status = overrides.status ?? known.status;
    this.errorType = overrides.type ?? known.type;
    this.displayMessage = overrides.display !== undefined ? overrides.display : known.display;
  }

  /** The body of an HTTP error response. */
  toResponse(requestId: string): PlaidError {
    return {
      display_message: this.displayMessage,
      documentation_url: `https://plaid.com/docs/errors/`,
      error_code: this.code,
      error_code_reason: null,
      error_message: this.message,
      error_type: this.errorType as PlaidErrorType,
      request_id: requestId,
      causes: [],
      status: null,
      suggested_action: null,
    };
  }

  /** The shape stored on an Item and sent inside webhooks: `status` set, no `request_id`. */
  toItemError(): PlaidError {
    return {
      display_message: this.displayMessage,
      error_code: this.code,
      error_code_reason: null,
      error_message: this.message,
      error_type: this.errorType as PlaidErrorType,
      status: this.status,
    };
  }
}

/** The definition of a code, falling back on sensible defaults for codes the catalog lacks. */
export function definitionOf(code: string): ErrorDefinition {
  const known = ERROR_CATALOG[code];
  if (known) return known;
  if (RATE_LIMIT_CODES.has(code))
    return { type: 'RATE_LIMIT_EXCEEDED', status: 429, message: 'rate limit exceeded', display: null };
  if (code.startsWith('INSTITUTION_'))
    return { type: 'INSTITUTION_ERROR', status: 400, message: code.toLowerCase(), display: null };
  return { type: 'ITEM_ERROR', status: 400, message: code.toLowerCase().replace(/_/g, ' '), display: null };
}

export function isKnownErrorCode(code: string): boolean {
  return code in ERROR_CATALOG || RATE_LIMIT_CODES.has(code);
}

/** A factory per error the handlers raise often, so call sites read as the rule they enforce. */
export const plaidErrors = {
  missingFields: (fields: readonly string[]) =>
    new PlaidApiError('MISSING_FIELDS', {
      message: `the following required fields are missing: ${fields.join(', ')}`,
    }),
  unknownFields: (fields: readonly string[]) =>
    new PlaidApiError('UNKNOWN_FIELDS', {
      message: `the following fields are not recognized by this endpoint: ${fields.join(', ')}`,
    }),
  invalidField: (message: string) => new PlaidApiError('INVALID_FIELD', { message }),
  invalidBody: () => new PlaidApiError('INVALID_BODY'),
  notFound: () => new PlaidApiError('NOT_FOUND'),
  invalidApiKeys: () => new PlaidApiError('INVALID_API_KEYS'),
  invalidAccessToken: (message?: string) =>
    new PlaidApiError('INVALID_ACCESS_TOKEN', message ? { message } : {}),
  invalidPublicToken: (message?: string) =>
    new PlaidApiError('INVALID_PUBLIC_TOKEN', message ? { message } : {}),
  invalidLinkToken: () => new PlaidApiError('INVALID_LINK_TOKEN'),
  itemNotFound: () => new PlaidApiError('ITEM_NOT_FOUND'),
  invalidAccountId: () => new PlaidApiError('INVALID_ACCOUNT_ID'),
  invalidInstitution: () => new PlaidApiError('INVALID_INSTITUTION'),
  invalidProduct: (product: string) =>
    new PlaidApiError('INVALID_PRODUCT', { message: `invalid product names: [${product}]` }),
  productsNotSupported: () => new PlaidApiError('PRODUCTS_NOT_SUPPORTED'),
  mutationDuringPagination: () => new PlaidApiError('TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION'),
  rateLimited: (code: string) => new PlaidApiError(code, { type: 'RATE_LIMIT_EXCEEDED', status: 429 }),
};
