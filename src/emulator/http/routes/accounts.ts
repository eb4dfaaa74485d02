import type { FastifyInstance } from 'fastify';
import type { AccountsGetResponse } from 'plaid';
import { z } from 'zod';
import type { EmulatorRuntime } from '../../runtime.js';
import type { AccountRecord } from '../../state/account-record.js';
import type { EmulatedItem } from '../../state/item.js';
import { toPlaidAccount } from '../../wire/account.js';
import { toPlaidItem } from '../../wire/item.js';
import { plaidErrors } from '../plaid-error.js';
import { plaidRoute } from '../plaid-route.js';
import { accessToken, accountIdsOptions, credentials } from '../schema-parts.js';

export const accountsGetSchema = z.strictObject({
  ...credentials,
  access_token: accessToken,
  options: accountIdsOptions,
});
export const accountsBalanceGetSchema = z.strictObject({
  ...credentials,
  access_token: accessToken,
  options: z
    .strictObject({
      account_ids: z.array(z.string()).optional(),
      min_last_updated_datetime: z.iso.datetime({ offset: true }).optional(),
    })
    .optional()
    .nullable(),
});

/** The accounts named by `account_ids` (all when absent); an unknown id is INVALID_ACCOUNT_ID. */
export function selectAccounts(
  item: EmulatedItem,
  accountIds: readonly string[] | undefined,
  eligible: (a: AccountRecord) => boolean = () => true,
): AccountRecord[] {
  if (!accountIds || accountIds.length === 0) return item.accounts.filter(eligible);
  const wanted = new Set(accountIds);
  for (const id of wanted) {
    const account = item.account(id);
    if (!account || !eligible(account)) throw plaidErrors.invalidAccountId();
  }
  return item.accounts.filter((a) => wanted.has(a.id));
}

export function registerAccountRoutes(app: FastifyInstance, runtime: EmulatorRuntime): void {
  const { store } = runtime;

  // The emulator's cached balances are its live ones; /accounts/balance/get also stamps the read time.
  plaidRoute(app, runtime, '/accounts/get', accountsGetSchema, (body, ctx): AccountsGetResponse => {
    const item = ctx.item(body.access_token);
    const today = store.clock.today();
    return {
      accounts: selectAccounts(item, body.options?.account_ids).map((a) => toPlaidAccount(item, a, today)),
      item: toPlaidItem(store, item),
      request_id: ctx.requestId,
    };
  });

  plaidRoute(
    app,
    runtime,
    '/accounts/balance/get',
    accountsBalanceGetSchema,
    (body, ctx): AccountsGetResponse => {
      const item = ctx.item(body.access_token);
      const today = store.clock.today();
      const now = store.clock.now().toISOString();
      return {
        accounts: selectAccounts(item, body.options?.account_ids).map((a) =>
          toPlaidAccount(item, a, today, now),
        ),
        item: toPlaidItem(store, item),
        request_id: ctx.requestId,
      };
    },
  );
}
