// CI smoke, part two: link an institution through the running service the way the /link page does
// (our link token → the emulator's Link session → our exchange), wait for the queued first sync, and read
// the accounts and transactions back. Usage: node .ci/smoke-link.mjs <service URL> <write token> <emulator URL>
const [base, token, emulator] = process.argv.slice(2);
const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

async function call(method, url, body, headers = auth) {
  const res = await fetch(url, { method, headers, ...(body ? { body: JSON.stringify(body) } : {}) });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${url} → ${res.status} ${JSON.stringify(json)}`);
  return json;
}

const started = Date.now();
const { link_token } = await call('POST', `${base}/v1/plaid/link-token`, {});
const { public_token } = await call(
  'POST',
  `${emulator}/link/session`,
  { link_token, institution_id: 'ins_109508', username: 'user_good', password: 'pass_good' },
  { 'content-type': 'application/json' },
);
const linked = await call('POST', `${base}/v1/plaid/item/public-token/exchange`, { public_token });
console.log(
  `linked ${linked.item.institution?.name} with ${linked.accounts.length} accounts; first sync queued`,
);

for (;;) {
  const runs = await call('GET', `${base}/v1/sync/runs?item_id=${linked.item.id}`);
  const mine = runs.data.filter((r) => linked.sync.run_ids.includes(r.id));
  if (mine.length === 5 && mine.every((r) => r.finished_at)) {
    const failed = mine.filter((r) => r.status === 'failed');
    if (failed.length > 0) throw new Error(`sync failed: ${JSON.stringify(failed)}`);
    const tx = mine.find((r) => r.product === 'transactions');
    console.log(`first sync done after ${Date.now() - started} ms: ${tx.counts.added} transactions added`);
    break;
  }
  if (Date.now() - started > 60_000)
    throw new Error(`the first sync did not finish: ${JSON.stringify(mine)}`);
  await new Promise((r) => setTimeout(r, 250));
}
const accounts = await call('GET', `${base}/v1/accounts`);
const page = await call('GET', `${base}/v1/transactions?limit=5`);
if (accounts.data.length === 0 || page.data.length === 0) throw new Error('no accounts or transactions');
console.log(`GET /v1/accounts -> ${accounts.data.length} accounts; GET /v1/transactions -> e.g.`);
for (const t of page.data) console.log(`  ${t.date}  ${t.amount.padStart(10)} ${t.currency}  ${t.name}`);
const netWorth = await call('GET', `${base}/v1/net-worth`);
for (const c of netWorth.currencies) {
  console.log(
    `GET /v1/net-worth -> ${c.currency}: assets ${c.assets}, liabilities ${c.liabilities}, net worth ${c.net_worth}`,
  );
}
