import type { CountryCode, Institution, Products } from 'plaid';

/** How an institution behaves in the emulator, beyond what `/institutions/get_by_id` shows. */
export type InstitutionHealth = 'healthy' | 'degraded' | 'down' | 'unsupported';

export interface InstitutionEntry {
  readonly institution_id: string;
  readonly name: string;
  readonly products: readonly `${Products}`[];
  readonly country_codes: readonly `${CountryCode}`[];
  readonly routing_numbers: readonly string[];
  readonly oauth: boolean;
  readonly url: string | null;
  readonly primary_color: string | null;
  readonly health: InstitutionHealth;
}

const DATA_PRODUCTS: readonly `${Products}`[] = [
  'assets',
  'auth',
  'balance',
  'identity',
  'investments',
  'liabilities',
  'transactions',
  'recurring_transactions',
  'transactions_refresh',
];

function entry(
  institution_id: string,
  name: string,
  extra: Partial<InstitutionEntry> = {},
): InstitutionEntry {
  return {
    institution_id,
    name,
    products: DATA_PRODUCTS,
    country_codes: ['US'],
    routing_numbers: [],
    oauth: false,
    url: null,
    primary_color: null,
    health: 'healthy',
    ...extra,
  };
}

/** Plaid's Sandbox institutions (NOTES.md §8), including the unhealthy ones. */
export const SANDBOX_INSTITUTIONS: readonly InstitutionEntry[] = [
  entry('ins_109508', 'First Platypus Bank', {
    routing_numbers: ['011000138', '011200365'],
    url: 'https://www.plaid.com',
    primary_color: '#1f1f1f',
  }),
  entry('ins_109509', 'First Gingham Credit Union', { routing_numbers: ['011000028'] }),
  entry('ins_109510', 'Tattersall Federal Credit Union', { routing_numbers: ['021000021'] }),
  entry('ins_109511', 'Tartan Bank', { routing_numbers: ['021000089'] }),
  entry('ins_130016', 'Flexible Platypus Open Banking (Balance)', { routing_numbers: [] }),
  entry('ins_109512', 'Houndstooth Bank', { products: ['auth', 'balance', 'identity'] }),
  entry('ins_127287', 'Platypus OAuth Bank', { oauth: true }),
  entry('ins_43', 'Tartan-Dominion Bank of Canada', { country_codes: ['CA'] }),
  entry('ins_116834', 'Flexible Platypus Open Banking (UK)', { country_codes: ['GB'], oauth: true }),
  entry('ins_117650', 'Royal Bank of Plaid', { country_codes: ['GB'] }),
  entry('ins_132363', 'Unhealthy Platypus Bank - Degraded', { health: 'degraded' }),
  entry('ins_132361', 'Unhealthy Platypus Bank - Down', { health: 'down' }),
  entry('ins_133402', 'Unsupported Platypus Bank - Institution Not Supported', { health: 'unsupported' }),
];

/** The institutions the emulator serves: the Sandbox ones plus any a fixture adds or replaces. */
export class InstitutionDirectory {
  private readonly byId = new Map<string, InstitutionEntry>();

  constructor(entries: readonly InstitutionEntry[]) {
    for (const e of entries) this.byId.set(e.institution_id, e);
  }

  get(id: string): InstitutionEntry | undefined {
    return this.byId.get(id);
  }

  add(entry: InstitutionEntry): void {
    this.byId.set(entry.institution_id, entry);
  }

  list(): InstitutionEntry[] {
    return [...this.byId.values()];
  }
}

/** Turns a fixture's Plaid-shaped institution into a directory entry. */
export function entryFromInstitution(institution: Institution): InstitutionEntry {
  return {
    institution_id: institution.institution_id,
    name: institution.name,
    products: institution.products,
    country_codes: institution.country_codes,
    routing_numbers: institution.routing_numbers ?? [],
    oauth: institution.oauth ?? false,
    url: institution.url ?? null,
    primary_color: institution.primary_color ?? null,
    health: 'healthy',
  };
}
