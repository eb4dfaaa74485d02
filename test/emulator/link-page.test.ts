import { CountryCode, Products } from 'plaid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from './support/harness.js';
import type { Harness } from './support/harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startEmulator();
});
afterAll(async () => {
  await h.close();
});

async function linkToken(): Promise<string> {
  const res = await h.plaid.linkTokenCreate({
    client_name: 'Finance <API>',
    language: 'en',
    country_codes: [CountryCode.Us],
    user: { client_user_id: 'u1' },
    products: [Products.Transactions],
  });
  return res.data.link_token;
}

describe('emulated Link', () => {
  it('serves a page listing the institutions, with the client name escaped', async () => {
    const token = await linkToken();
    const res = await fetch(`${h.baseUrl}/link?token=${token}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = await res.text();
    expect(html).toContain('First Platypus Bank');
    expect(html).toContain('Finance &#60;API&#62;');
    expect(html).toContain('plaid-emulator-link');
    expect((await fetch(`${h.baseUrl}/link?token=link-sandbox-nope`)).status).toBe(400);
  });

  it('hands back a public_token and onSuccess metadata that exchange into an item', async () => {
    const token = await linkToken();
    const res = await fetch(`${h.baseUrl}/link/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        link_token: token,
        institution_id: 'ins_109508',
        username: 'user_good',
        password: 'pass_good',
      }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      public_token: string;
      metadata: { institution: { institution_id: string }; accounts: unknown[] };
    };
    expect(body.public_token).toMatch(/^public-sandbox-/);
    expect(body.metadata.institution.institution_id).toBe('ins_109508');
    expect(body.metadata.accounts.length).toBeGreaterThan(0);
    const exchanged = await h.plaid.itemPublicTokenExchange({ public_token: body.public_token });
    const item = await h.plaid.itemGet({ access_token: exchanged.data.access_token });
    expect(item.data.item.products).toEqual(['transactions']);
  });

  it('reports Plaid errors for bad credentials', async () => {
    const token = await linkToken();
    const res = await fetch(`${h.baseUrl}/link/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        link_token: token,
        institution_id: 'ins_109508',
        username: 'user_good',
        password: 'nope',
      }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error_code: 'INVALID_CREDENTIALS' });
  });
});
