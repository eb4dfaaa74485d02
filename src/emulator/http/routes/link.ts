import type { FastifyInstance } from 'fastify';
import { CountryCode } from 'plaid';
import type { ItemPublicTokenExchangeResponse, LinkTokenCreateResponse } from 'plaid';
import { z } from 'zod';
import type { EmulatorRuntime } from '../../runtime.js';
import { LINK_TOKEN_TTL_MS, UPDATE_LINK_TOKEN_TTL_MS } from '../../state/store.js';
import { webhookPayloads } from '../../webhooks/payloads.js';
import { plaidRoute } from '../plaid-route.js';
import { accessToken, anyObject, credentials, daysRequested, product } from '../schema-parts.js';
import { plaidErrors } from '../plaid-error.js';

const countryCode = z.enum(Object.values(CountryCode) as [string, ...string[]]);
const webhookUrl = z.url({ protocol: /^https?$/ });

const linkUser = z.strictObject({
  client_user_id: z.string().min(1),
  legal_name: z.string().optional(),
  name: anyObject.optional(),
  phone_number: z.string().optional(),
  phone_number_verified_time: z.string().nullable().optional(),
  email_address: z.string().optional(),
  email_address_verified_time: z.string().nullable().optional(),
  ssn: z.string().optional(),
  date_of_birth: z.string().nullable().optional(),
  address: anyObject.optional(),
  id_number: anyObject.optional(),
});

/** Fields of `LinkTokenCreateRequest` the emulator accepts without acting on them. */
const passthrough = Object.fromEntries(
  [
    'link_customization_name',
    'appearance_mode',
    'redirect_uri',
    'android_package_name',
    'institution_data',
    'card_switch',
    'account_filters',
    'eu_config',
    'institution_id',
    'payment_configuration',
    'payment_initiation',
    'employment',
    'income_verification',
    'base_report',
    'credit_partner_insights',
    'cra_options',
    'consumer_report_permissible_purpose',
    'auth',
    'transfer',
    'update',
    'identity_verification',
    'statements',
    'third_party_user_token',
    'investments',
    'investments_auth',
    'hosted_link',
    'cashflow_report',
    'cra_enabled',
    'identity',
    'financekit_supported',
    'enable_multi_item_link',
    'user_token',
    'user_id',
    'access_tokens',
    'additional_consented_products',
  ].map((key) => [key, z.unknown().optional()]),
);

export const linkTokenCreateSchema = z.strictObject({
  ...credentials,
  ...passthrough,
  client_name: z.string().min(1).max(30),
  language: z.string().min(2),
  country_codes: z.array(countryCode).min(1),
  user: linkUser.optional(),
  products: z.array(product).nullable().optional(),
  optional_products: z.array(product).nullable().optional(),
  required_if_supported_products: z.array(product).nullable().optional(),
  webhook: webhookUrl.optional(),
  access_token: accessToken.nullable().optional(),
  transactions: z.strictObject({ days_requested: daysRequested.optional() }).optional(),
});

export const publicTokenExchangeSchema = z.strictObject({ ...credentials, public_token: z.string().min(1) });

export function registerLinkRoutes(app: FastifyInstance, runtime: EmulatorRuntime): void {
  const { store } = runtime;

  plaidRoute(
    app,
    runtime,
    '/link/token/create',
    linkTokenCreateSchema,
    (body, ctx): LinkTokenCreateResponse => {
      const updateItem = body.access_token ? ctx.item(body.access_token, { allowItemError: true }) : null;
      if (!updateItem && (body.products ?? []).length === 0) {
        throw body.products === undefined || body.products === null
          ? plaidErrors.missingFields(['products'])
          : plaidErrors.invalidField('products must contain at least one product');
      }
      const ttl = updateItem ? UPDATE_LINK_TOKEN_TTL_MS : LINK_TOKEN_TTL_MS;
      const record = store.newLinkToken({
        expiresAt: store.wall() + ttl,
        // Kept apart: `products` limit the institutions Link offers and must be supported; the others
        // are added at link time where the institution supports them (store.resolveLinkProducts).
        products: [...new Set(body.products ?? [])],
        requiredIfSupportedProducts: [...new Set(body.required_if_supported_products ?? [])],
        optionalProducts: [...new Set(body.optional_products ?? [])],
        webhook: body.webhook ?? updateItem?.webhook ?? null,
        daysRequested: body.transactions?.days_requested ?? 90,
        itemId: updateItem?.id ?? null,
        clientName: body.client_name,
      });
      return {
        link_token: record.token,
        expiration: new Date(record.expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        request_id: ctx.requestId,
      };
    },
  );

  plaidRoute(
    app,
    runtime,
    '/item/public_token/exchange',
    publicTokenExchangeSchema,
    (body, ctx): ItemPublicTokenExchangeResponse => {
      const { accessToken: token, item } = store.exchangePublicToken(body.public_token);
      if (!item.announced) {
        item.announced = true;
        if (item.products.includes('transactions')) {
          store.notify(item, webhookPayloads.transactionsLegacy(item.id, 'INITIAL_UPDATE', item.ledger.size));
          store.notify(
            item,
            webhookPayloads.transactionsLegacy(item.id, 'HISTORICAL_UPDATE', item.ledger.size),
          );
        }
      }
      return { access_token: token, item_id: item.id, request_id: ctx.requestId };
    },
  );
}
