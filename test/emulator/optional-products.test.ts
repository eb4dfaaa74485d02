/**
 * Link's product lists as Plaid resolves them: `products` are required (the institution must support
 * every one, and Link offers only such institutions); `required_if_supported_products` and
 * `optional_products` are added where the institution supports them and never stop a link. Driven over
 * HTTP: the official client, the emulated Link page and its `/link/session`.
 */
import { fileURLToPath } from 'node:url';
import { CountryCode, Products } from 'plaid';
import type { ItemWithConsentFields } from 'plaid';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadFixture } from '../../src/emulator/index.js';
import type { EmulatorFixture } from '../../src/emulator/index.js';
import { plaidFailure, startEmulator } from './support/harness.js';
import type { Harness } from './support/harness.js';
import { ReferenceSyncClient } from './support/reference-client.js';
import { expectPlaidShape } from './support/shape-matchers.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/past-credit-union.json', import.meta.url));
const TX_ONLY = 'ins_fixture_tx_only';
const GRACE = { username: 'grace@example.com', password: 'hopper-1906' };
const EDSGER = { username: 'edsger@example.com', password: 'dijkstra-1930' };

let fixture: EmulatorFixture;
let h: Harness;

beforeEach(async () => {
  fixture ??= await loadFixture(FIXTURE);
  // A fresh emulator per test: a fixture login links the same live item every time.
  h = await startEmulator({ fixture });
});
afterEach(async () => {
  await h.close();
});

interface LinkTokenProducts {
  products?: Products[];
  optional?: Products[];
  requiredIfSupported?: Products[];
}

/** What our service asks for: transactions required, investments and liabilities optional. */
const OUR_SERVICE: LinkTokenProducts = {
  products: [Products.Transactions],
  optional: [Products.Investments, Products.Liabilities],
};

async function linkToken(p: LinkTokenProducts): Promise<string> {
  const res = await h.plaid.linkTokenCreate({
    client_name: 'Finance API',
    language: 'en',
    country_codes: [CountryCode.Us],
    user: { client_user_id: 'user-1' },
    products: p.products ?? [Products.Transactions],
    ...(p.optional ? { optional_products: p.optional } : {}),
    ...(p.requiredIfSupported ? { required_if_supported_products: p.requiredIfSupported } : {}),
  });
  return res.data.link_token;
}

/** What the Link page posts when the user picks an institution and logs in. */
async function linkSession(
  token: string,
  institutionId: string,
  login: { username: string; password: string },
): Promise<{ status: number; body: { public_token?: string; error_code?: string } }> {
  const res = await fetch(`${h.baseUrl}/link/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ link_token: token, institution_id: institutionId, ...login }),
  });
  return { status: res.status, body: (await res.json()) as { public_token?: string; error_code?: string } };
}

/** Link, then exchange: the item as `/item/get` shows it, and its access token. */
async function linkThroughLink(
  p: LinkTokenProducts,
  institutionId: string,
  login: { username: string; password: string },
): Promise<{ accessToken: string; item: ItemWithConsentFields }> {
  const session = await linkSession(await linkToken(p), institutionId, login);
  expect(session.status, JSON.stringify(session.body)).toBe(200);
  const exchanged = await h.plaid.itemPublicTokenExchange({ public_token: session.body.public_token! });
  const got = await h.plaid.itemGet({ access_token: exchanged.data.access_token });
  expectPlaidShape(got.data, 'ItemGetResponse');
  return { accessToken: exchanged.data.access_token, item: got.data.item };
}

const productsOf = (
  item: Pick<ItemWithConsentFields, 'products' | 'billed_products' | 'available_products'>,
) => ({
  products: [...(item.products ?? [])].sort(),
  billed_products: [...item.billed_products].sort(),
  available_products: [...item.available_products].sort(),
});

describe('optional products', () => {
  it('links an institution with transactions only through Link, and the item has only transactions', async () => {
    const { accessToken, item } = await linkThroughLink(OUR_SERVICE, TX_ONLY, GRACE);
    expect(item.institution_id).toBe(TX_ONLY);
    expect(productsOf(item)).toEqual({
      products: ['transactions'],
      billed_products: ['transactions'],
      available_products: [],
    });
    expect(item.consented_products).toEqual(['transactions']);

    // Its transactions are there; the products it lacks stay unsupported.
    const client = new ReferenceSyncClient(h.plaid, accessToken);
    await client.sync(100);
    expect([...client.transactions.keys()].sort()).toEqual(
      fixture.items[0]!.transactions.map((t) => t.transaction_id).sort(),
    );
    const holdings = await plaidFailure(h.plaid.investmentsHoldingsGet({ access_token: accessToken }));
    expect(holdings.error.error_code).toBe('PRODUCTS_NOT_SUPPORTED');
    const liabilities = await plaidFailure(h.plaid.liabilitiesGet({ access_token: accessToken }));
    expect(liabilities.error.error_code).toBe('PRODUCTS_NOT_SUPPORTED');
  });

  it('adds optional products where the institution supports them (a Sandbox user at First Platypus)', async () => {
    const { item } = await linkThroughLink(OUR_SERVICE, 'ins_109508', {
      username: 'user_good',
      password: 'pass_good',
    });
    const products = productsOf(item);
    expect(products.products).toEqual(['investments', 'liabilities', 'transactions']);
    expect(products.billed_products).toEqual(['investments', 'liabilities', 'transactions']);
    expect(products.available_products).not.toContain('investments');
    expect(products.available_products).toContain('auth');
  });

  it('adds an optional product only when the item has accounts for it', async () => {
    // This institution offers investments and liabilities, but Edsger holds one checking account.
    const { item } = await linkThroughLink(OUR_SERVICE, 'ins_fixture_full', EDSGER);
    const products = productsOf(item);
    expect(products.products).toEqual(['transactions']);
    expect(products.available_products).toEqual(['auth', 'investments', 'liabilities']);
  });

  it('adds required-if-supported products where supported and links without them elsewhere', async () => {
    const p = { products: [Products.Transactions], requiredIfSupported: [Products.Liabilities] };
    const atPlatypus = await linkThroughLink(p, 'ins_109508', {
      username: 'user_good',
      password: 'pass_good',
    });
    expect(productsOf(atPlatypus.item).products).toEqual(['liabilities', 'transactions']);
    const atCreditUnion = await linkThroughLink(p, TX_ONLY, GRACE);
    expect(productsOf(atCreditUnion.item).products).toEqual(['transactions']);
  });

  it('should still refuse an institution that lacks a required product', async () => {
    const requiredInvestments = await linkToken({ products: [Products.Transactions, Products.Investments] });
    const refused = await linkSession(requiredInvestments, TX_ONLY, GRACE);
    expect(refused.status).toBe(400);
    expect(refused.body.error_code).toBe('PRODUCTS_NOT_SUPPORTED');
    // Houndstooth Bank has no transactions at all: optional products do not rescue it.
    const houndstooth = await linkSession(await linkToken(OUR_SERVICE), 'ins_109512', {
      username: 'user_good',
      password: 'pass_good',
    });
    expect(houndstooth.status).toBe(400);
    expect(houndstooth.body.error_code).toBe('PRODUCTS_NOT_SUPPORTED');
    // Nothing was linked by either attempt.
    const state = await h.control<{ items: unknown[] }>('GET', '/__emulator/state');
    expect(state.items).toEqual([]);
  });

  it('offers in the Link page only the institutions that support every required product', async () => {
    const page = async (p: LinkTokenProducts) =>
      (await fetch(`${h.baseUrl}/link?token=${await linkToken(p)}`)).text();
    const ours = await page(OUR_SERVICE);
    expect(ours).toContain(`value="${TX_ONLY}"`);
    expect(ours).toContain('value="ins_109508"');
    expect(ours).not.toContain('value="ins_109512"');
    const withInvestments = await page({ products: [Products.Transactions, Products.Investments] });
    expect(withInvestments).not.toContain(`value="${TX_ONLY}"`);
    expect(withInvestments).toContain('value="ins_fixture_full"');
  });
});

describe('/sandbox/public_token/create at an institution with transactions only', () => {
  it('links with initial_products transactions; the item shows only what the institution supports', async () => {
    const { accessToken } = await h.link({
      institutionId: TX_ONLY,
      ...GRACE,
      products: [Products.Transactions],
    });
    const { item } = (await h.plaid.itemGet({ access_token: accessToken })).data;
    expect(productsOf(item)).toEqual({
      products: ['transactions'],
      billed_products: ['transactions'],
      available_products: [],
    });
  });

  it('should refuse initial_products the institution does not support (they are all required)', async () => {
    for (const extra of [Products.Investments, Products.Liabilities]) {
      const { status, error } = await plaidFailure(
        h.link({ institutionId: TX_ONLY, ...GRACE, products: [Products.Transactions, extra] }),
      );
      expect(status).toBe(400);
      expect(error).toMatchObject({ error_type: 'ITEM_ERROR', error_code: 'PRODUCTS_NOT_SUPPORTED' });
    }
  });
});
