import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildConfig, parseEnv } from '../src/config/schema.js';
import { openDatabase } from '../src/db/client.js';
import { composeServices } from '../src/domain/services.js';
import { seed } from './api-read.js';
import { createBenchDatabase, root, startService } from './harness.js';

const CHROMIUM = '/usr/bin/chromium';
const RUNS = 5;

interface Manifest {
  files: Record<'js' | 'css', { name: string; bytes: number; gzipBytes: number }>;
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/**
 * The dashboard: its bundle's JavaScript and CSS, raw and gzipped (issue 16's budget: 150 KB gzipped);
 * then, with PostgreSQL and Chromium at hand, the heavy benchmark user's first meaningful paint (the
 * read API's seed: 100,000 transactions over five years among 500 other users): a signed-in browser opens
 * /app and the time from navigation start until the net worth figures are on screen is taken, and the
 * same for the cash-flow and transactions panels opened from there. Median of 5 loads after a warm-up,
 * with the read cache off (every answer computed).
 */
export async function runDashboardBench(options: { postgresUrl?: string }): Promise<void> {
  console.log('\nDashboard bundle (bin/dashboard-bundle.js: esbuild, minified, with uPlot)');
  const { dashboardBundle } = (await import(
    pathToFileURL(path.join(root, 'bin', 'dashboard-bundle.js')).href
  )) as {
    dashboardBundle(root: string): Promise<{ manifest: Manifest } | undefined>;
  };
  const built = await dashboardBundle(root);
  if (!built) {
    console.log('  no bundle: esbuild is missing');
    return;
  }
  const { js, css } = built.manifest.files;
  console.log(`  JavaScript ${js.name}: ${kb(js.bytes)}, ${kb(js.gzipBytes)} gzipped`);
  console.log(`  CSS        ${css.name}: ${kb(css.bytes)}, ${kb(css.gzipBytes)} gzipped`);
  console.log(`  JS + CSS gzipped: ${kb(js.gzipBytes + css.gzipBytes)} (budget 150 KB)`);

  console.log('\nDashboard first meaningful paint for the heavy user (PostgreSQL, Chromium)');
  if (!options.postgresUrl || !existsSync(CHROMIUM)) {
    console.log(`  skipped: ${options.postgresUrl ? `no ${CHROMIUM}` : 'no PostgreSQL server answers'}`);
    return;
  }
  const database = await createBenchDatabase(options.postgresUrl, 'dashboard');
  const env = { ...database.env, READ_CACHE_SECONDS: '0' };
  try {
    const { heavyEmail } = await seed(env.DATABASE_URL);
    const service = await startService(env);
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    try {
      // A dashboard session for the heavy user, through the service's own code.
      const handle = await openDatabase({ kind: 'postgres', url: env.DATABASE_URL });
      const { raw } = parseEnv(env);
      const services = composeServices(
        handle.db,
        buildConfig(raw, {
          jwtSecretKey: env.JWT_SECRET_KEY,
          encryptionKeyBase64: env.ENCRYPTION_KEY_BASE64,
        }),
      );
      const user = await services.users.getByEmail(heavyEmail);
      const { cookie } = await services.webSessions.signIn(user.id);
      await handle.close();

      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      await context.addCookies([{ name: 'finance_session', value: cookie, url: service.url }]);
      const page = await context.newPage();
      const figures: Record<'net worth' | 'cash flow' | 'transactions', number[]> = {
        'net worth': [],
        'cash flow': [],
        transactions: [],
      };
      const breakdown: { html: number; script: number; apiStart: number; apiEnd: number }[] = [];
      for (let run = 0; run <= RUNS; run += 1) {
        // A new document each time (from /app#transactions, /app#net-worth would only change the hash).
        await page.goto('about:blank');
        await page.goto(`${service.url}/app#net-worth`);
        await page.waitForSelector('[data-figure^="net-worth-"]', { timeout: 60_000 });
        // The page marks the frame in which its figures first paint (User Timing).
        await page.waitForFunction(
          () => performance.getEntriesByName('dashboard:net-worth-figures').length > 0,
          undefined,
          { timeout: 60_000 },
        );
        const paint = await page.evaluate(
          () => performance.getEntriesByName('dashboard:net-worth-figures')[0]!.startTime,
        );
        // Where the time went: the HTML, the script, the first API answer (Resource Timing).
        const timing = await page.evaluate(() => {
          // (Browser types, which this Node-typed file does not have.)
          type Timing = { name: string; startTime: number; responseEnd: number };
          const all = performance as unknown as { getEntriesByType(type: string): Timing[] };
          const entries = all.getEntriesByType('resource');
          const nav = all.getEntriesByType('navigation')[0]!;
          const script = entries.find((e) => e.name.endsWith('.js'));
          const api = entries.find((e) => e.name.includes('/v1/net-worth'));
          return {
            html: nav.responseEnd,
            script: script?.responseEnd ?? 0,
            apiStart: api?.startTime ?? 0,
            apiEnd: api?.responseEnd ?? 0,
          };
        });
        let started = await page.evaluate(() => performance.now());
        await page.click('nav a[data-panel="cashflow"]');
        await page.waitForSelector('[data-figure^="income-"]', { timeout: 60_000 });
        const cashflow = (await page.evaluate(() => performance.now())) - started;
        started = await page.evaluate(() => performance.now());
        await page.click('nav a[data-panel="transactions"]');
        await page.waitForSelector('.transactions tr[data-transaction]', { timeout: 60_000 });
        const transactions = (await page.evaluate(() => performance.now())) - started;
        if (run === 0) continue; // warm-up: the service's first answers, the browser's first load
        figures['net worth'].push(paint);
        breakdown.push(timing);
        figures['cash flow'].push(cashflow);
        figures.transactions.push(transactions);
      }
      console.log(
        `  /app until the net worth figures show (first meaningful paint): ${median(figures['net worth']).toFixed(0)} ms median of ${RUNS} (target 1,000 ms)`,
      );
      const part = (key: keyof (typeof breakdown)[number]) => median(breakdown.map((b) => b[key])).toFixed(0);
      console.log(
        `  of which: HTML received ${part('html')} ms, script ${part('script')} ms, GET /v1/net-worth from ${part('apiStart')} to ${part('apiEnd')} ms`,
      );
      console.log(
        `  then the cash flow panel: ${median(figures['cash flow']).toFixed(0)} ms; the transactions panel: ${median(figures.transactions).toFixed(0)} ms`,
      );
    } finally {
      await browser.close();
      await service.stop();
    }
  } finally {
    await database.drop();
  }
}
