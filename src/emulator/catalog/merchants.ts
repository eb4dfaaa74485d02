import type { CounterpartyType, TransactionCounterparty } from 'plaid';
import { hashParts } from '../core/prng.js';
import { EMPTY_LOCATION, EMPTY_PAYMENT_META } from '../state/transaction-record.js';
import type { TransactionDescriptor } from '../state/transaction-record.js';

/** A merchant (or a bank movement) the generator can draw, with its price range in cents. */
export interface Merchant {
  readonly descriptor: TransactionDescriptor;
  readonly minCents: number;
  readonly maxCents: number;
}

function entityId(name: string): string {
  return `ent_${hashParts('merchant', name).toString(36)}${hashParts('entity', name).toString(36)}`;
}

interface MerchantSpec {
  readonly name: string;
  readonly merchant?: string | null;
  readonly channel: TransactionDescriptor['payment_channel'];
  readonly primary: string;
  readonly detailed: string;
  readonly website?: string | null;
  readonly city?: string;
  readonly region?: string;
  readonly country?: string;
  readonly range?: readonly [number, number];
  readonly counterpartyType?: `${CounterpartyType}`;
}

function merchant(spec: MerchantSpec): Merchant {
  const merchantName = spec.merchant === undefined ? spec.name : spec.merchant;
  const website = spec.website ?? null;
  const counterparties: TransactionCounterparty[] = merchantName
    ? [
        {
          name: merchantName,
          type: (spec.counterpartyType ?? 'merchant') as TransactionCounterparty['type'],
          website,
          logo_url: null,
          entity_id: entityId(merchantName),
          confidence_level: 'VERY_HIGH',
        },
      ]
    : [];
  const location = spec.city
    ? Object.freeze({
        ...EMPTY_LOCATION,
        city: spec.city,
        region: spec.region ?? null,
        country: spec.country ?? 'US',
      })
    : EMPTY_LOCATION;
  const descriptor: TransactionDescriptor = Object.freeze({
    name: spec.name,
    merchant_name: merchantName,
    merchant_entity_id: merchantName ? entityId(merchantName) : null,
    payment_channel: spec.channel,
    personal_finance_category: Object.freeze({
      primary: spec.primary,
      detailed: spec.detailed,
      confidence_level: 'VERY_HIGH',
    }),
    website,
    logo_url: null,
    transaction_code: null,
    counterparties: Object.freeze(counterparties),
    location,
    payment_meta: EMPTY_PAYMENT_META,
  });
  const [min, max] = spec.range ?? [100, 100];
  return { descriptor, minCents: min, maxCents: max };
}

const store = (
  name: string,
  primary: string,
  detailed: string,
  range: [number, number],
  website?: string,
  city = 'San Francisco',
) => merchant({ name, channel: 'in store', primary, detailed, range, website, city, region: 'CA' });
const online = (name: string, primary: string, detailed: string, range: [number, number], website?: string) =>
  merchant({ name, channel: 'online', primary, detailed, range, website });
const bank = (name: string, primary: string, detailed: string) =>
  merchant({ name, merchant: null, channel: 'other', primary, detailed });

export const GROCERIES = [
  store(
    'Whole Foods Market',
    'FOOD_AND_DRINK',
    'FOOD_AND_DRINK_GROCERIES',
    [2500, 18000],
    'wholefoodsmarket.com',
  ),
  store("Trader Joe's", 'FOOD_AND_DRINK', 'FOOD_AND_DRINK_GROCERIES', [1800, 9000], 'traderjoes.com'),
  store('Safeway', 'FOOD_AND_DRINK', 'FOOD_AND_DRINK_GROCERIES', [1500, 14000], 'safeway.com'),
];
export const RESTAURANTS = [
  store('Chipotle Mexican Grill', 'FOOD_AND_DRINK', 'FOOD_AND_DRINK_FAST_FOOD', [1100, 3200], 'chipotle.com'),
  store('Sweetgreen', 'FOOD_AND_DRINK', 'FOOD_AND_DRINK_RESTAURANT', [1300, 2800], 'sweetgreen.com'),
  store('Nopa Restaurant', 'FOOD_AND_DRINK', 'FOOD_AND_DRINK_RESTAURANT', [4500, 16000]),
  store('Tartine Bakery', 'FOOD_AND_DRINK', 'FOOD_AND_DRINK_RESTAURANT', [1200, 4500]),
];
export const COFFEE = [
  store('Starbucks', 'FOOD_AND_DRINK', 'FOOD_AND_DRINK_COFFEE', [350, 850], 'starbucks.com'),
  store('Blue Bottle Coffee', 'FOOD_AND_DRINK', 'FOOD_AND_DRINK_COFFEE', [450, 900], 'bluebottlecoffee.com'),
];
export const SHOPPING = [
  online(
    'Amazon',
    'GENERAL_MERCHANDISE',
    'GENERAL_MERCHANDISE_ONLINE_MARKETPLACES',
    [1200, 22000],
    'amazon.com',
  ),
  store('Target', 'GENERAL_MERCHANDISE', 'GENERAL_MERCHANDISE_SUPERSTORES', [1500, 16000], 'target.com'),
  store('Best Buy', 'GENERAL_MERCHANDISE', 'GENERAL_MERCHANDISE_ELECTRONICS', [2500, 60000], 'bestbuy.com'),
];
export const REFUND = online(
  'Amazon Refund',
  'GENERAL_MERCHANDISE',
  'GENERAL_MERCHANDISE_ONLINE_MARKETPLACES',
  [1200, 9000],
  'amazon.com',
);
export const GAS = [
  store('Shell', 'TRANSPORTATION', 'TRANSPORTATION_GAS', [3000, 7500], 'shell.com'),
  store('Chevron', 'TRANSPORTATION', 'TRANSPORTATION_GAS', [2800, 7000], 'chevron.com'),
];
/** An authorisation hold that never posts. */
export const HOTEL_HOLD = store(
  'Hilton Hotels Hold',
  'TRAVEL',
  'TRAVEL_LODGING',
  [10000, 25000],
  'hilton.com',
);
export const RIDES = [
  online('Uber', 'TRANSPORTATION', 'TRANSPORTATION_TAXIS_AND_RIDE_SHARES', [900, 4500], 'uber.com'),
  online('Lyft', 'TRANSPORTATION', 'TRANSPORTATION_TAXIS_AND_RIDE_SHARES', [800, 4000], 'lyft.com'),
];
export const FLIGHTS = online('United Airlines', 'TRAVEL', 'TRAVEL_FLIGHTS', [18000, 65000], 'united.com');

export interface Subscription {
  readonly merchant: Merchant;
  readonly day: number;
  readonly cents: number;
}

export const SUBSCRIPTIONS: readonly Subscription[] = [
  {
    merchant: online('Netflix', 'ENTERTAINMENT', 'ENTERTAINMENT_TV_AND_MOVIES', [1549, 1549], 'netflix.com'),
    day: 7,
    cents: 1549,
  },
  {
    merchant: online(
      'Spotify',
      'ENTERTAINMENT',
      'ENTERTAINMENT_MUSIC_AND_AUDIO',
      [1199, 1199],
      'spotify.com',
    ),
    day: 11,
    cents: 1199,
  },
  {
    merchant: store(
      'Equinox Fitness',
      'PERSONAL_CARE',
      'PERSONAL_CARE_GYMS_AND_FITNESS_CENTERS',
      [4500, 4500],
      'equinox.com',
    ),
    day: 3,
    cents: 4500,
  },
  {
    merchant: online(
      'Apple iCloud',
      'GENERAL_SERVICES',
      'GENERAL_SERVICES_OTHER_GENERAL_SERVICES',
      [299, 299],
      'apple.com',
    ),
    day: 18,
    cents: 299,
  },
];

export const PAYROLL = merchant({
  name: 'ACME CORP PAYROLL PPD ID: 9876543210',
  merchant: 'Acme Corp',
  channel: 'other',
  primary: 'INCOME',
  detailed: 'INCOME_WAGES',
  counterpartyType: 'income_source',
});
export const RENT = merchant({
  name: 'OAKWOOD APARTMENTS RENT',
  merchant: 'Oakwood Apartments',
  channel: 'online',
  primary: 'RENT_AND_UTILITIES',
  detailed: 'RENT_AND_UTILITIES_RENT',
});
export const ELECTRICITY = merchant({
  name: 'PG&E WEB ONLINE',
  merchant: 'Pacific Gas and Electric',
  channel: 'online',
  primary: 'RENT_AND_UTILITIES',
  detailed: 'RENT_AND_UTILITIES_GAS_AND_ELECTRICITY',
  website: 'pge.com',
  range: [6000, 14000],
});
export const ATM = bank('ATM WITHDRAWAL 0042 MARKET ST', 'TRANSFER_OUT', 'TRANSFER_OUT_WITHDRAWAL');
export const INTEREST = bank('INTEREST PAYMENT', 'INCOME', 'INCOME_INTEREST_EARNED');
export const MORTGAGE_PAYMENT = bank(
  'PLAID MORTGAGE PAYMENT',
  'LOAN_PAYMENTS',
  'LOAN_PAYMENTS_MORTGAGE_PAYMENT',
);
export const STUDENT_PAYMENT_OUT = bank(
  'STUDENT LOAN PMT GREAT LAKES',
  'LOAN_PAYMENTS',
  'LOAN_PAYMENTS_STUDENT_LOAN_PAYMENT',
);
export const STUDENT_PAYMENT_IN = bank(
  'PAYMENT RECEIVED - THANK YOU',
  'TRANSFER_IN',
  'TRANSFER_IN_ACCOUNT_TRANSFER',
);
export const CARD_PAYMENT_OUT = bank(
  'PLAID CREDIT CARD AUTOPAY',
  'LOAN_PAYMENTS',
  'LOAN_PAYMENTS_CREDIT_CARD_PAYMENT',
);
export const CARD_PAYMENT_IN = bank(
  'AUTOPAY PAYMENT - THANK YOU',
  'LOAN_PAYMENTS',
  'LOAN_PAYMENTS_CREDIT_CARD_PAYMENT',
);
export const SAVINGS_OUT = bank(
  'ONLINE TRANSFER TO SAVINGS XXXXXX1111',
  'TRANSFER_OUT',
  'TRANSFER_OUT_SAVINGS',
);
export const SAVINGS_IN = bank(
  'ONLINE TRANSFER FROM CHECKING XXXXXX0000',
  'TRANSFER_IN',
  'TRANSFER_IN_SAVINGS',
);
export const IRA_CONTRIBUTION = bank(
  'TRANSFER TO PLAID IRA XXXXXX5555',
  'TRANSFER_OUT',
  'TRANSFER_OUT_INVESTMENT_AND_RETIREMENT_FUNDS',
);
export const CAD_DEPOSIT = bank('INTERAC E-TRANSFER DEPOSIT', 'TRANSFER_IN', 'TRANSFER_IN_DEPOSIT');
export const CAD_SPENDING = [
  merchant({
    name: 'Loblaws',
    channel: 'in store',
    primary: 'FOOD_AND_DRINK',
    detailed: 'FOOD_AND_DRINK_GROCERIES',
    city: 'Toronto',
    region: 'ON',
    range: [2000, 12000],
    website: 'loblaws.ca',
  }),
  merchant({
    name: 'Tim Hortons',
    channel: 'in store',
    primary: 'FOOD_AND_DRINK',
    detailed: 'FOOD_AND_DRINK_COFFEE',
    city: 'Toronto',
    region: 'ON',
    range: [250, 1200],
    website: 'timhortons.ca',
  }),
];
/** What a user injects through the controls or `/sandbox/transactions/create`. */
export function customDescriptor(name: string, merchantName: string | null = null): TransactionDescriptor {
  return Object.freeze({
    ...merchant({
      name,
      merchant: merchantName,
      channel: 'other',
      primary: 'GENERAL_MERCHANDISE',
      detailed: 'GENERAL_MERCHANDISE_OTHER_GENERAL_MERCHANDISE',
    }).descriptor,
  });
}
