import type { FastifyInstance } from 'fastify';
import { CountryCode } from 'plaid';
import type { Institution, InstitutionsGetByIdResponse, ProductStatus, Products } from 'plaid';
import { z } from 'zod';
import type { InstitutionEntry } from '../../catalog/institutions.js';
import type { EmulatorRuntime } from '../../runtime.js';
import { plaidErrors } from '../plaid-error.js';
import { plaidRoute } from '../plaid-route.js';
import { credentials } from '../schema-parts.js';

export const institutionsGetByIdSchema = z.strictObject({
  ...credentials,
  institution_id: z.string().min(1),
  country_codes: z.array(z.enum(Object.values(CountryCode) as [string, ...string[]])).min(1),
  options: z
    .strictObject({
      include_optional_metadata: z.boolean().optional(),
      include_status: z.boolean().optional(),
      include_auth_metadata: z.boolean().optional(),
      include_payment_initiation_metadata: z.boolean().optional(),
    })
    .optional(),
});

/** A 1×1 transparent PNG: the emulator's logo for every institution. */
const LOGO = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';

function productStatus(entry: InstitutionEntry, since: string): ProductStatus {
  const status = entry.health === 'healthy' ? 'HEALTHY' : entry.health === 'degraded' ? 'DEGRADED' : 'DOWN';
  const success = status === 'HEALTHY' ? 0.99 : status === 'DEGRADED' ? 0.6 : 0;
  return {
    status: status as ProductStatus['status'],
    last_status_change: since,
    breakdown: { success, error_plaid: 0.01, error_institution: Math.round((0.99 - success) * 100) / 100 },
  };
}

export function registerInstitutionRoutes(app: FastifyInstance, runtime: EmulatorRuntime): void {
  const { store } = runtime;

  plaidRoute(
    app,
    runtime,
    '/institutions/get_by_id',
    institutionsGetByIdSchema,
    (body, ctx): InstitutionsGetByIdResponse => {
      const entry = store.institution(body.institution_id);
      if (!body.country_codes.some((c) => entry.country_codes.includes(c as never)))
        throw plaidErrors.invalidInstitution();
      const institution: Institution = {
        institution_id: entry.institution_id,
        name: entry.name,
        products: [...entry.products] as Products[],
        country_codes: [...entry.country_codes] as CountryCode[],
        routing_numbers: [...entry.routing_numbers],
        dtc_numbers: [],
        oauth: entry.oauth,
      };
      if (body.options?.include_optional_metadata) {
        institution.url = entry.url;
        institution.primary_color = entry.primary_color;
        institution.logo = LOGO;
      }
      if (body.options?.include_status) {
        const since = store.clock.now().toISOString();
        institution.status = {
          item_logins: productStatus(entry, since),
          transactions_updates: productStatus(entry, since),
          investments_updates: productStatus(entry, since),
          liabilities_updates: productStatus(entry, since),
          health_incidents: null,
        };
      }
      return { institution, request_id: ctx.requestId };
    },
  );
}
