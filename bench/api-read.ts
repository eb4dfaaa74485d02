import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { buildConfig, parseEnv } from '../src/config/schema.js';
import { openDatabase } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import { composeServices } from '../src/domain/services.js';
import { addDays, formatDate } from '../src/lib/dates.js';
import { createBenchDatabase, load, startService } from './harness.js';

/**
 * The read API on PostgreSQL at scale: 500 users with 1,000 transactions each, one heavy user with
 * 100,000 transactions over five years, and one typical person (about 1,000 transactions over two years
 * on three items: a bank, a card issuer and a brokerage with 10 holdings). Data is generated in SQL
 * (seeded), analytics materialized the way the sync pipeline will, then the service runs in its own
 * process under autocannon. The heavy user's questions are asked through REST, then the same ones through
 * MCP (`tools/call` of search_transactions and get_net_worth on /mcp with a personal access token), so the
 * two figures sit side by side; the typical person's are asked through REST (issue 17's targets).
 */
const USERS = 500;
const PER_USER = 1_000;
const HEAVY = 100_000;
const YEARS = 5;

const CATEGORIES = [
  ['FOOD_AND_DRINK', 'FOOD_AND_DRINK_GROCERIES', 'Whole Foods'],
  ['FOOD_AND_DRINK', 'FOOD_AND_DRINK_RESTAURANT', 'Chipotle'],
  ['FOOD_AND_DRINK', 'FOOD_AND_DRINK_COFFEE', 'Blue Bottle Coffee'],
  ['TRANSPORTATION', 'TRANSPORTATION_GAS', 'Shell'],
  ['GENERAL_MERCHANDISE', 'GENERAL_MERCHANDISE_ONLINE_MARKETPLACES', 'Amazon'],
  ['ENTERTAINMENT', 'ENTERTAINMENT_TV_AND_MOVIES', 'Netflix'],
  ['RENT_AND_UTILITIES', 'RENT_AND_UTILITIES_GAS_AND_ELECTRICITY', 'PG&E'],
  ['TRAVEL', 'TRAVEL_FLIGHTS', 'United Airlines'],
  ['MEDICAL', 'MEDICAL_PHARMACIES_AND_SUPPLEMENTS', 'CVS'],
  ['INCOME', 'INCOME_WAGES', 'Acme Corp'],
];

export async function seed(
  url: string,
): Promise<{ heavyEmail: string; typicalEmail: string; seconds: number }> {
  const started = performance.now();
  const { raw } = parseEnv({
    DATABASE_URL: url,
    JWT_SECRET_KEY: 'x'.repeat(40),
    ENCRYPTION_KEY_BASE64: randomBytes(32).toString('base64'),
  });
  const config = buildConfig(raw, {
    jwtSecretKey: 'x'.repeat(40),
    encryptionKeyBase64: randomBytes(32).toString('base64'),
  });
  const handle = await openDatabase({ kind: 'postgres', url });
  await runMigrations(handle);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const today = formatDate(new Date());
  const categories = `(values ${CATEGORIES.map((c, i) => `(${i}, '${c[0]}', '${c[1]}', '${c[2]!.replace(/'/g, "''")}')`).join(', ')}) as c(n, primary_cat, detailed, merchant)`;
  try {
    await client.query('select setseed(0.42)');
    process.stdout.write('  seeding users, items, accounts... ');
    await client.query(
      `insert into institutions (id, name) values ('ins_109508', 'First Platypus Bank') on conflict do nothing`,
    );
    // Users share one password hash (argon2 is not what this measures).
    const {
      rows: [hash],
    } = await client.query(`select 'bench-not-a-login' as h`);
    await client.query(
      `insert into users (email, password_hash) select 'user' || g || '@bench.example', $1 from generate_series(0, $2) g`,
      [hash.h, USERS],
    );
    await client.query(`
      insert into plaid_items (user_id, plaid_item_id, institution_id, access_token_ciphertext, access_token_key_id, status, last_synced_at)
      select id, 'item_' || id, 'ins_109508', 'bench', 'bench', 'good', now() from users where email like '%@bench.example'`);
    await client.query(`
      insert into accounts (user_id, item_id, plaid_account_id, name, type, subtype, current_balance, iso_currency_code, balances_as_of)
      select i.user_id, i.id, 'acc_' || i.id || '_' || k.key, k.name, k.type, k.subtype, k.balance, 'USD', now()
      from plaid_items i cross join (values ('checking', 'Checking', 'depository', 'checking', 5234.12),
                                            ('savings', 'Savings', 'depository', 'savings', 20500.00),
                                            ('card', 'Card', 'credit', 'credit card', -1432.55)) as k(key, name, type, subtype, balance)`);
    // The typical person: a bank (checking, savings), a card issuer (card) and a brokerage, three items.
    const typicalEmail = 'typical@bench.example';
    const {
      rows: [typical],
    } = await client.query(`insert into users (email, password_hash) values ($1, $2) returning id`, [
      typicalEmail,
      hash.h,
    ]);
    await client.query(
      `insert into plaid_items (user_id, plaid_item_id, institution_id, access_token_ciphertext, access_token_key_id, status, last_synced_at)
       select $1, 'item_typical_' || k, 'ins_109508', 'bench', 'bench', 'good', now() from unnest(array['bank', 'card', 'brokerage']) k`,
      [typical.id],
    );
    await client.query(
      `insert into accounts (user_id, item_id, plaid_account_id, name, type, subtype, current_balance, iso_currency_code, balances_as_of)
       select i.user_id, i.id, 'acc_typical_' || k.key, k.name, k.type, k.subtype, k.balance, 'USD', now()
       from plaid_items i join (values ('bank', 'checking', 'Checking', 'depository', 'checking', 3120.45),
                                       ('bank', 'savings', 'Savings', 'depository', 'savings', 12800.00),
                                       ('card', 'card', 'Card', 'credit', 'credit card', -845.10),
                                       ('brokerage', 'brokerage', 'Brokerage', 'investment', 'brokerage', 0))
                          as k(item, key, name, type, subtype, balance) on i.plaid_item_id = 'item_typical_' || k.item
       where i.user_id = $1`,
      [typical.id],
    );
    console.log('done');
    const heavyEmail = `user0@bench.example`;
    process.stdout.write(
      `  seeding ${HEAVY.toLocaleString()} transactions for the heavy user and ${(USERS * PER_USER).toLocaleString()} for ${USERS} others... `,
    );
    const insertTx = (userFilter: string, perUser: number, days: number) => `
      insert into transactions (user_id, item_id, account_id, plaid_transaction_id, amount, iso_currency_code, date, name, merchant_name, pending, category_primary, category_detailed)
      select a.user_id, a.item_id, a.id, 'tx_' || a.id || '_' || g,
             case when c.primary_cat = 'INCOME' then round((1500 + random() * 3000)::numeric, 2)
                  else -round((2 + random() * 250)::numeric, 2) end,
             'USD', ('${today}'::date - (random() * ${days})::int), upper(c.merchant), c.merchant, false, c.primary_cat, c.detailed
      from accounts a
      join users u on u.id = a.user_id and ${userFilter}
      cross join generate_series(1, ${perUser}) g
      join ${categories} on c.n = case when a.type = 'credit' then (g % 9) else (g % 10) end
      where a.type in ('depository', 'credit') and a.subtype <> 'savings'`;
    await client.query(insertTx(`u.email = '${heavyEmail}'`, HEAVY / 2, 365 * YEARS));
    await client.query(
      insertTx(
        `u.email not in ('${heavyEmail}', '${typicalEmail}') and u.email like '%@bench.example'`,
        PER_USER / 2,
        730,
      ),
    );
    console.log('done');
    process.stdout.write('  the typical person: 1,000 transactions over two years, 10 holdings... ');
    await seedTypicalPerson(client, typical.id, insertTx(`u.id = '${typical.id}'`, 500, 730), today);
    console.log('done');
    process.stdout.write('  balance snapshots (last 30 days) and holdings... ');
    await client.query(`
      insert into balance_snapshots (account_id, date, user_id, current_balance, iso_currency_code)
      select a.id, '${today}'::date - d, a.user_id, a.current_balance, 'USD'
      from accounts a join users u on u.id = a.user_id and u.email = '${heavyEmail}' cross join generate_series(0, 29) d`);
    const {
      rows: [heavy],
    } = await client.query(`select id from users where email = $1`, [heavyEmail]);
    const {
      rows: [item],
    } = await client.query(`select id from plaid_items where user_id = $1`, [heavy.id]);
    const {
      rows: [brokerage],
    } = await client.query(
      `insert into accounts (user_id, item_id, plaid_account_id, name, type, subtype, current_balance, iso_currency_code)
       values ($1, $2::uuid, 'acc_brokerage_' || $2::text, 'Brokerage', 'investment', 'brokerage', 0, 'USD') returning id`,
      [heavy.id, item.id],
    );
    for (let i = 0; i < 40; i++) {
      const {
        rows: [security],
      } = await client.query(
        `insert into securities (plaid_security_id, ticker_symbol, name, type, iso_currency_code) values ($1, $2, $3, $4, 'USD') returning id`,
        [
          `sec_bench_${i}`,
          `TCK${i}`,
          `Security ${i}`,
          ['equity', 'etf', 'mutual fund', 'fixed income'][i % 4],
        ],
      );
      await client.query(
        `insert into holdings (user_id, account_id, security_id, quantity, institution_price, institution_price_as_of, institution_value, cost_basis, iso_currency_code)
         values ($1, $2, $3, $4::numeric, $5::numeric, '${today}', $4::numeric * $5::numeric, round($4::numeric * $5::numeric * 0.9, 2), 'USD')`,
        [heavy.id, brokerage.id, security.id, 10 + i, 50 + i * 3.25],
      );
    }
    await client.query(
      `update accounts set current_balance = (select sum(institution_value) from holdings where account_id = $1) where id = $1`,
      [brokerage.id],
    );
    // 5,000 investment transactions over five years (buys, sells, dividends, fees) for
    // GET /v1/investment-transactions (issue 13).
    await client.query(
      `insert into investment_transactions (user_id, item_id, account_id, plaid_investment_transaction_id, security_id, date, name, quantity, price, amount, fees, type, subtype, iso_currency_code)
       select $1, $2::uuid, $3, 'inv_bench_' || g, s.id, '${today}'::date - (g % ${365 * YEARS}),
              k.name, k.quantity, 50 + (g % 40),
              case k.n when 2 then 5 + (g % 40) when 3 then -1.5 else k.quantity * (50 + (g % 40)) * k.sign end,
              k.fees, k.type, k.subtype, 'USD'
       from generate_series(1, 5000) g
       join (select id, row_number() over (order by id) - 1 as n from securities where plaid_security_id like 'sec_bench_%') s on s.n = g % 40
       join (values (0, 'BUY', 2::numeric, -1, 0::numeric, 'buy', 'buy'), (1, 'SELL', 1, 1, 0, 'sell', 'sell'),
                    (2, 'DIVIDEND', 0, 1, 0, 'cash', 'dividend'), (3, 'FEE', 0, -1, 1.5, 'fee', 'account fee'))
            as k(n, name, quantity, sign, fees, type, subtype) on k.n = g % 4`,
      [heavy.id, item.id, brokerage.id],
    );
    // Budgets for GET /v1/budgets (issue 15): four categories, one with rollover.
    await client.query(
      `insert into budgets (user_id, category, currency, amount, rollover)
       values ($1, 'FOOD_AND_DRINK', 'USD', 800, false), ($1, 'TRANSPORTATION', 'USD', 200, true),
              ($1, 'ENTERTAINMENT', 'USD', 50, false), ($1, 'GENERAL_MERCHANDISE', 'USD', 300, false)`,
      [heavy.id],
    );
    console.log('done');
    await client.query('analyze');
    process.stdout.write(
      '  materializing the heavy user’s analytics (transfers, 5 years of daily net worth)... ',
    );
    const services = composeServices(handle.db, config);
    const m0 = performance.now();
    const result = await services.materializers.refreshUserAnalytics(heavy.id);
    console.log(
      `${result.status === 'refreshed' ? result.netWorthDays : 0} days in ${Math.round(performance.now() - m0)} ms`,
    );
    await services.materializers.refreshUserAnalytics(typical.id);
    const {
      rows: [count],
    } = await client.query('select count(*)::int as n from transactions');
    console.log(
      `  ${count.n.toLocaleString()} transactions in all; seeded in ${Math.round((performance.now() - started) / 1000)} s`,
    );
    return { heavyEmail, typicalEmail, seconds: (performance.now() - started) / 1000 };
  } finally {
    await client.end();
    await handle.close();
  }
}

export async function runApiReadBench(options: {
  durationSeconds: number;
  postgresUrl?: string;
}): Promise<void> {
  console.log(
    '\nAPI read endpoints on PostgreSQL: 500 users × 1,000 transactions + one heavy user with 100,000 over 5 years',
  );
  if (!options.postgresUrl) {
    console.log('  skipped: no PostgreSQL server answers');
    return;
  }
  const database = await createBenchDatabase(options.postgresUrl, 'read');
  const env = database.env;
  try {
    const { heavyEmail, typicalEmail } = await seed(env.DATABASE_URL);
    // Every request computed (READ_CACHE_SECONDS=0) on one API process, then on two (one Node thread per
    // core); then, as a deployment runs by default, repeated questions answered from the rendered-answer
    // cache, on one process and on two.
    const runs = [
      { API_PROCESSES: '1', READ_CACHE_SECONDS: '0' },
      { API_PROCESSES: '2', READ_CACHE_SECONDS: '0' },
      { API_PROCESSES: '1', READ_CACHE_SECONDS: '60' },
      { API_PROCESSES: '2', READ_CACHE_SECONDS: '60' },
    ];
    for (const run of runs)
      await measureReads({ ...env, ...run }, { heavyEmail, typicalEmail }, options.durationSeconds);
  } finally {
    await database.drop();
  }
}

async function measureReads(
  env: Record<string, string> & {
    DATABASE_URL: string;
    JWT_SECRET_KEY: string;
    ENCRYPTION_KEY_BASE64: string;
  },
  people: { heavyEmail: string; typicalEmail: string },
  durationSeconds: number,
): Promise<void> {
  const service = await startService(env);
  try {
    // A token for the heavy user, through the service's own code path.
    const handle = await openDatabase({ kind: 'postgres', url: env.DATABASE_URL });
    const { raw } = parseEnv(env);
    const services = composeServices(
      handle.db,
      buildConfig(raw, {
        jwtSecretKey: env.JWT_SECRET_KEY,
        encryptionKeyBase64: env.ENCRYPTION_KEY_BASE64,
      }),
    );
    const tokenOf = async (email: string) => {
      const user = await services.users.getByEmail(email);
      return (await services.auth.createToken(user.id, { name: 'bench', scope: 'read' })).token;
    };
    const token = await tokenOf(people.heavyEmail);
    const typicalHeaders = { authorization: `Bearer ${await tokenOf(people.typicalEmail)}` };
    await handle.close();
    const headers = { authorization: `Bearer ${token}` };

    // A deep page: follow the cursor 50,000 rows into the history.
    let cursor: string | null = null;
    for (let i = 0; i < 100; i++) {
      const res = await fetch(
        `${service.url}/v1/transactions?limit=500${cursor ? `&cursor=${cursor}` : ''}`,
        { headers },
      );
      cursor = ((await res.json()) as { next_cursor: string | null }).next_cursor;
    }
    const deepCursor = cursor!;
    // The deep cursor was minted for limit-independent filters (none), so it serves limit=50 too.
    const fiveYearsAgo = addDays(formatDate(new Date()), -365 * YEARS);
    const targets: [string, string][] = [
      ['transactions, first page (limit 50)', '/v1/transactions?limit=50'],
      ['transactions, deep page (row 50,000)', `/v1/transactions?limit=50&cursor=${deepCursor}`],
      ['cash-flow summary (12 months)', '/v1/cashflow/summary'],
      ['net worth, 5 years daily', `/v1/net-worth?start_date=${fiveYearsAgo}&interval=day`],
      ['holdings', '/v1/holdings'],
      ['investment transactions (limit 50)', '/v1/investment-transactions?limit=50'],
      // Issue 15's answers (budgets are never cached: the budgets table announces no change).
      ['net-worth change (30 days)', '/v1/net-worth/change'],
      [
        'net-worth change (1 year)',
        `/v1/net-worth/change?start_date=${addDays(formatDate(new Date()), -365)}`,
      ],
      ['insights (this month)', '/v1/insights'],
      ['budgets (this month)', '/v1/budgets'],
      ['budgets/suggest', '/v1/budgets/suggest'],
    ];
    for (const [, path] of targets) {
      const res = await fetch(`${service.url}${path}`, { headers });
      if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
    }
    console.log(
      `  heavy user, autocannon 10 connections, API_PROCESSES=${env.API_PROCESSES}, ` +
        (env.READ_CACHE_SECONDS === '0'
          ? 'READ_CACHE_SECONDS=0 (every request computed):'
          : `READ_CACHE_SECONDS=${env.READ_CACHE_SECONDS} (repeated questions answered from the cache):`),
    );
    for (const [label, path] of targets) {
      await load(label, `${service.url}${path}`, headers, {
        durationSeconds,
        servicePid: service.child.pid,
      });
    }
    if (env.READ_CACHE_SECONDS === '0' && env.API_PROCESSES === '1') {
      // Issue 15's answers one request at a time: the latency of one computed answer, no queueing.
      console.log('  the same, 1 connection (one computed answer at a time):');
      for (const [label, path] of targets.slice(-5)) {
        await load(label, `${service.url}${path}`, headers, {
          connections: 1,
          durationSeconds,
          servicePid: service.child.pid,
        });
      }
    }

    // The typical person (issue 17's targets: CPU per request, service + PostgreSQL).
    const yearAgo = addDays(formatDate(new Date()), -365);
    const typicalTargets: [string, string][] = [
      ['typical: transactions page (limit 50)', '/v1/transactions?limit=50'],
      ['typical: cash flow, 12 months', '/v1/cashflow/summary'],
      ['typical: net worth, 12 monthly points', `/v1/net-worth?start_date=${yearAgo}&interval=month`],
      ['typical: holdings', '/v1/holdings'],
      ['typical: accounts', '/v1/accounts'],
    ];
    for (const [, path] of typicalTargets) {
      const res = await fetch(`${service.url}${path}`, { headers: typicalHeaders });
      if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
    }
    console.log(`  typical person (1,000 transactions, 3 items, 10 holdings), same service:`);
    for (const [label, path] of typicalTargets) {
      await load(label, `${service.url}${path}`, typicalHeaders, {
        durationSeconds,
        servicePid: service.child.pid,
      });
    }

    // The same questions through MCP (tools/call on /mcp, as an assistant asks them), beside REST.
    const mcpHeaders = { ...headers, accept: 'application/json, text/event-stream' };
    const mcpTargets: [string, string, unknown][] = [
      ['REST net worth, 5 years, default interval', `/v1/net-worth?start_date=${fiveYearsAgo}`, undefined],
      ['MCP search_transactions (limit 50)', '/mcp', toolCall('search_transactions', { limit: 50 })],
      ['MCP get_net_worth, 5 years', '/mcp', toolCall('get_net_worth', { start_date: fiveYearsAgo })],
    ];
    for (const [label, path, body] of mcpTargets) {
      const res = await fetch(`${service.url}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: body === undefined ? headers : { ...mcpHeaders, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      if (res.status !== 200 || text.includes('"isError":true') || text.includes('"error":'))
        throw new Error(`${label} answered ${res.status}: ${text.slice(0, 500)}`);
    }
    for (const [label, path, body] of mcpTargets) {
      await load(label, `${service.url}${path}`, body === undefined ? headers : mcpHeaders, {
        durationSeconds,
        servicePid: service.child.pid,
        ...(body === undefined ? {} : { postJson: body }),
      });
    }
  } finally {
    await service.stop();
  }
}

/** A JSON-RPC `tools/call` as a stateless MCP client sends it. */
function toolCall(name: string, args: Record<string, unknown>) {
  return { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } };
}

/**
 * The typical person's transactions (`insertTx`: 500 on each of checking and the card, over two years),
 * 30 days of balance snapshots of every account, and 10 holdings in the brokerage account, whose
 * balance is their value.
 */
async function seedTypicalPerson(
  client: pg.Client,
  userId: string,
  insertTx: string,
  today: string,
): Promise<void> {
  await client.query(insertTx);
  const {
    rows: [brokerage],
  } = await client.query(`select id from accounts where user_id = $1 and type = 'investment'`, [userId]);
  for (let i = 0; i < 10; i++) {
    const {
      rows: [security],
    } = await client.query(
      `insert into securities (plaid_security_id, ticker_symbol, name, type, iso_currency_code)
       values ($1, $2, $3, $4, 'USD') returning id`,
      [`sec_typical_${i}`, `TYP${i}`, `Typical security ${i}`, ['equity', 'etf'][i % 2]],
    );
    await client.query(
      `insert into holdings (user_id, account_id, security_id, quantity, institution_price, institution_price_as_of, institution_value, cost_basis, iso_currency_code)
       values ($1, $2, $3, $4::numeric, $5::numeric, '${today}', $4::numeric * $5::numeric, round($4::numeric * $5::numeric * 0.95, 2), 'USD')`,
      [userId, brokerage.id, security.id, 5 + i, 80 + i * 7.5],
    );
  }
  await client.query(
    `update accounts set current_balance = (select sum(institution_value) from holdings where account_id = $1) where id = $1`,
    [brokerage.id],
  );
  await client.query(
    `insert into balance_snapshots (account_id, date, user_id, current_balance, iso_currency_code)
     select a.id, '${today}'::date - d, a.user_id, a.current_balance, 'USD'
     from accounts a cross join generate_series(0, 29) d where a.user_id = $1`,
    [userId],
  );
}
