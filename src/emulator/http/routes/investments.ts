import type { FastifyInstance } from 'fastify';
import type { InvestmentsHoldingsGetResponse, InvestmentsTransactionsGetResponse } from 'plaid';
import { z } from 'zod';
import type { EmulatorRuntime } from '../../runtime.js';
import type { AccountRecord } from '../../state/account-record.js';
import type { EmulatedItem } from '../../state/item.js';
import type { EmulatorStore } from '../../state/store.js';
import { toPlaidInvestmentAccount } from '../../wire/account.js';
import { holdingsOf, investmentTransactionsOf, securitiesFor } from '../../wire/investments.js';
import { toPlaidItem } from '../../wire/item.js';
import { PlaidApiError, plaidErrors } from '../plaid-error.js';
import { plaidRoute } from '../plaid-route.js';
import { accessToken, accountIdsOptions, credentials, isoDate } from '../schema-parts.js';
import { selectAccounts } from './accounts.js';

export const holdingsGetSchema = z.strictObject({
  ...credentials,
  access_token: accessToken,
  options: accountIdsOptions,
});
export const investmentTransactionsGetSchema = z.strictObject({
  ...credentials,
  access_token: accessToken,
  start_date: isoDate,
  end_date: isoDate,
  options: z
    .strictObject({
      account_ids: z.array(z.string()).optional(),
      count: z.number().int().min(1).max(500).optional(),
      offset: z.number().int().min(0).optional(),
      async_update: z.boolean().optional(),
    })
    .optional(),
});

const isInvestment = (a: AccountRecord) => a.type === 'investment' || a.type === 'brokerage';

/** Calling an investments endpoint adds the product when the institution supports it. */
function investmentAccounts(
  store: EmulatorStore,
  item: EmulatedItem,
  accountIds: readonly string[] | undefined,
): AccountRecord[] {
  if (!item.products.includes('investments')) {
    const institution = store.institutions.get(item.institutionId);
    if (!institution?.products.includes('investments')) throw plaidErrors.productsNotSupported();
    item.products = [...item.products, 'investments'];
  }
  if (!item.accounts.some(isInvestment)) throw new PlaidApiError('NO_INVESTMENT_ACCOUNTS');
  return selectAccounts(item, accountIds, isInvestment);
}

export function registerInvestmentRoutes(app: FastifyInstance, runtime: EmulatorRuntime): void {
  const { store } = runtime;

  plaidRoute(
    app,
    runtime,
    '/investments/holdings/get',
    holdingsGetSchema,
    (body, ctx): InvestmentsHoldingsGetResponse => {
      const item = ctx.item(body.access_token);
      const today = store.clock.today();
      const accounts = investmentAccounts(store, item, body.options?.account_ids);
      const { holdings, securities } = holdingsOf(
        item,
        store.market,
        new Set(accounts.map((a) => a.id)),
        today,
      );
      return {
        accounts: accounts.map((a) => toPlaidInvestmentAccount(item, a, today)),
        holdings,
        securities,
        item: toPlaidItem(store, item),
        request_id: ctx.requestId,
      };
    },
  );

  plaidRoute(
    app,
    runtime,
    '/investments/transactions/get',
    investmentTransactionsGetSchema,
    (body, ctx): InvestmentsTransactionsGetResponse => {
      const item = ctx.item(body.access_token);
      if (body.start_date > body.end_date)
        throw plaidErrors.invalidField('start_date must be on or before end_date');
      const today = store.clock.today();
      const accounts = investmentAccounts(store, item, body.options?.account_ids);
      const all = investmentTransactionsOf(
        item,
        new Set(accounts.map((a) => a.id)),
        body.start_date,
        body.end_date,
      );
      const offset = body.options?.offset ?? 0;
      const page = all.slice(offset, offset + (body.options?.count ?? 100));
      const securityIds = new Set(page.map((t) => t.security_id).filter((id): id is string => id !== null));
      return {
        item: toPlaidItem(store, item),
        accounts: accounts.map((a) => toPlaidInvestmentAccount(item, a, today)),
        securities: securitiesFor(item, store.market, securityIds, today),
        investment_transactions: page,
        total_investment_transactions: all.length,
        request_id: ctx.requestId,
      };
    },
  );
}
