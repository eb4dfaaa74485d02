import type {
  HoldingsDefaultUpdateWebhook,
  InvestmentsDefaultUpdateWebhook,
  ItemErrorWebhook,
  ItemLoginRepairedWebhook,
  NewAccountsAvailableWebhook,
  PendingDisconnectWebhook,
  PendingExpirationWebhook,
  PlaidError,
  SyncUpdatesAvailableWebhook,
  UserPermissionRevokedWebhook,
  WebhookEnvironmentValues,
  WebhookUpdateAcknowledgedWebhook,
} from 'plaid';

const ENV = 'sandbox' as WebhookEnvironmentValues;

/** Any webhook body the emulator sends; each builder below is typed with the plaid package's type. */
export type WebhookPayload = {
  readonly webhook_type: string;
  readonly webhook_code: string;
  readonly item_id: string;
} & Record<string, unknown>;

function payload<T extends object>(body: T): WebhookPayload {
  return body as unknown as WebhookPayload;
}

export const webhookPayloads = {
  syncUpdatesAvailable: (itemId: string, initial: boolean, historical: boolean) =>
    payload<SyncUpdatesAvailableWebhook>({
      webhook_type: 'TRANSACTIONS',
      webhook_code: 'SYNC_UPDATES_AVAILABLE',
      item_id: itemId,
      initial_update_complete: initial,
      historical_update_complete: historical,
      environment: ENV,
    }),
  /** Legacy transactions codes (INITIAL_UPDATE, HISTORICAL_UPDATE, DEFAULT_UPDATE). */
  transactionsLegacy: (
    itemId: string,
    code: 'INITIAL_UPDATE' | 'HISTORICAL_UPDATE' | 'DEFAULT_UPDATE',
    newTransactions: number,
  ) =>
    payload({
      webhook_type: 'TRANSACTIONS',
      webhook_code: code,
      item_id: itemId,
      error: null,
      new_transactions: newTransactions,
      environment: ENV,
    }),
  transactionsRemoved: (itemId: string, removed: string[]) =>
    payload({
      webhook_type: 'TRANSACTIONS',
      webhook_code: 'TRANSACTIONS_REMOVED',
      item_id: itemId,
      error: null,
      removed_transactions: removed,
      environment: ENV,
    }),
  holdingsUpdate: (itemId: string, newHoldings: number, updatedHoldings: number) =>
    payload<HoldingsDefaultUpdateWebhook>({
      webhook_type: 'HOLDINGS',
      webhook_code: 'DEFAULT_UPDATE',
      item_id: itemId,
      error: null,
      new_holdings: newHoldings,
      updated_holdings: updatedHoldings,
      environment: ENV,
    }),
  investmentsTransactionsUpdate: (itemId: string, added: number, cancelled: number) =>
    payload<InvestmentsDefaultUpdateWebhook>({
      webhook_type: 'INVESTMENTS_TRANSACTIONS',
      webhook_code: 'DEFAULT_UPDATE',
      item_id: itemId,
      error: null,
      new_investments_transactions: added,
      cancelled_investments_transactions: cancelled,
      environment: ENV,
    }),
  itemError: (itemId: string, error: PlaidError) =>
    payload<ItemErrorWebhook>({
      webhook_type: 'ITEM',
      webhook_code: 'ERROR',
      item_id: itemId,
      error,
      environment: ENV,
    }),
  pendingExpiration: (itemId: string, consentExpirationTime: string) =>
    payload<PendingExpirationWebhook>({
      webhook_type: 'ITEM',
      webhook_code: 'PENDING_EXPIRATION',
      item_id: itemId,
      consent_expiration_time: consentExpirationTime,
      environment: ENV,
    }),
  pendingDisconnect: (itemId: string, disconnectTime: string) =>
    payload<PendingDisconnectWebhook>({
      webhook_type: 'ITEM',
      webhook_code: 'PENDING_DISCONNECT',
      item_id: itemId,
      reason: 'INSTITUTION_TOKEN_EXPIRATION' as PendingDisconnectWebhook['reason'],
      disconnect_time: disconnectTime,
      environment: ENV,
    }),
  userPermissionRevoked: (itemId: string, error: PlaidError) =>
    payload<UserPermissionRevokedWebhook>({
      webhook_type: 'ITEM',
      webhook_code: 'USER_PERMISSION_REVOKED',
      item_id: itemId,
      error,
      environment: ENV,
    }),
  loginRepaired: (itemId: string) =>
    payload<ItemLoginRepairedWebhook>({
      webhook_type: 'ITEM',
      webhook_code: 'LOGIN_REPAIRED',
      item_id: itemId,
      environment: ENV,
    }),
  webhookUpdateAcknowledged: (itemId: string, url: string) =>
    payload<WebhookUpdateAcknowledgedWebhook>({
      webhook_type: 'ITEM',
      webhook_code: 'WEBHOOK_UPDATE_ACKNOWLEDGED',
      item_id: itemId,
      new_webhook_url: url,
      error: null,
      environment: ENV,
    }),
  newAccountsAvailable: (itemId: string) =>
    payload<NewAccountsAvailableWebhook>({
      webhook_type: 'ITEM',
      webhook_code: 'NEW_ACCOUNTS_AVAILABLE',
      item_id: itemId,
      error: null,
      environment: ENV,
    }),
};

/** Where the domain hands webhooks: the sender signs and delivers them to `url`. */
export type WebhookDispatch = (url: string, body: WebhookPayload) => void;
