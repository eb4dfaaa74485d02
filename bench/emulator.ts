import type { AddressInfo } from 'node:net';
import { Configuration, PlaidApi, Products } from 'plaid';
import { buildEmulatorApp } from '../src/emulator/index.js';

const CLIENT_ID = 'bench-client';
const SECRET = 'bench-secret';
const TRANSACTIONS = 100_000;
const COUNT = 500;

/**
 * Emulator figure for `npm run bench`: transactions per second served by `/transactions/sync` at
 * `count=500` for an item of 100,000 transactions, through the official client over loopback, and
 * the emulator's peak RSS (it runs in this process).
 */
export async function runEmulatorBench(): Promise<void> {
  const app = await buildEmulatorApp({ clientId: CLIENT_ID, secret: SECRET, rateLimits: false, seed: 42 });
  await app.listen({ host: '127.0.0.1', port: 0 });
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 25);
  try {
    const { port } = app.server.address() as AddressInfo;
    const baseUrl = `http://127.0.0.1:${port}`;
    const plaid = new PlaidApi(
      new Configuration({
        basePath: baseUrl,
        baseOptions: { headers: { 'PLAID-CLIENT-ID': CLIENT_ID, 'PLAID-SECRET': SECRET }, timeout: 60_000 },
      }),
    );
    const created = await plaid.sandboxPublicTokenCreate({
      institution_id: 'ins_109508',
      initial_products: [Products.Transactions],
      options: { transactions: { days_requested: 730 } },
    });
    const { access_token, item_id } = (
      await plaid.itemPublicTokenExchange({ public_token: created.data.public_token })
    ).data;
    const existing = app.emulator.store.items.get(item_id)?.ledger.size ?? 0;
    const response = await fetch(`${baseUrl}/__emulator/items/${item_id}/transactions/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ count: Math.max(1, TRANSACTIONS - existing) }),
    });
    if (!response.ok) throw new Error(`bulk generation failed: ${response.status}`);

    const started = process.hrtime.bigint();
    let cursor: string | undefined;
    let served = 0;
    let pages = 0;
    for (;;) {
      const page = await plaid.transactionsSync({
        access_token,
        count: COUNT,
        ...(cursor ? { cursor } : {}),
      });
      served += page.data.added.length + page.data.modified.length + page.data.removed.length;
      pages++;
      cursor = page.data.next_cursor;
      if (!page.data.has_more) break;
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    const maxRssKb = process.resourceUsage().maxRSS;
    console.log('emulator /transactions/sync (count=500, official client, loopback)');
    console.log(`  item size              ${served.toLocaleString('en-US')} transactions in ${pages} pages`);
    console.log(`  elapsed                ${seconds.toFixed(2)} s`);
    console.log(
      `  throughput             ${Math.round(served / seconds).toLocaleString('en-US')} transactions/s`,
    );
    console.log(
      `  peak RSS (process)     ${(Math.max(peakRss, maxRssKb * 1024) / 1024 / 1024).toFixed(0)} MiB`,
    );
  } finally {
    clearInterval(sampler);
    await app.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runEmulatorBench();
}
