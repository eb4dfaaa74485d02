import type { FastifyInstance } from 'fastify';
import type { LiabilitiesGetResponse } from 'plaid';
import { z } from 'zod';
import type { EmulatorRuntime } from '../../runtime.js';
import { toPlaidAccount } from '../../wire/account.js';
import { toPlaidItem } from '../../wire/item.js';
import { isLiabilityAccount, liabilitiesOf } from '../../wire/liabilities.js';
import { PlaidApiError, plaidErrors } from '../plaid-error.js';
import { plaidRoute } from '../plaid-route.js';
import { accessToken, accountIdsOptions, credentials } from '../schema-parts.js';
import { selectAccounts } from './accounts.js';

export const liabilitiesGetSchema = z.strictObject({
  ...credentials,
  access_token: accessToken,
  options: accountIdsOptions,
});

export function registerLiabilityRoutes(app: FastifyInstance, runtime: EmulatorRuntime): void {
  const { store } = runtime;

  plaidRoute(app, runtime, '/liabilities/get', liabilitiesGetSchema, (body, ctx): LiabilitiesGetResponse => {
    const item = ctx.item(body.access_token);
    if (!item.products.includes('liabilities')) {
      const institution = store.institutions.get(item.institutionId);
      if (!institution?.products.includes('liabilities')) throw plaidErrors.productsNotSupported();
      item.products = [...item.products, 'liabilities'];
    }
    if (!item.accounts.some(isLiabilityAccount)) throw new PlaidApiError('NO_LIABILITY_ACCOUNTS');
    const today = store.clock.today();
    const requested = selectAccounts(item, body.options?.account_ids);
    return {
      accounts: requested.map((a) => toPlaidAccount(item, a, today)),
      item: toPlaidItem(store, item),
      liabilities: liabilitiesOf(item, requested.filter(isLiabilityAccount), today),
      request_id: ctx.requestId,
    };
  });
}
