/**
 * The dashboard in a real Chromium against the service as `npm start` runs it (embedded database, the
 * in-process worker and Plaid emulator): sign in on /app, link two institutions through the emulated
 * Link, sync now with progress, open every panel and check the figures shown against the REST API's
 * answers for the same person (read with a bearer token), drill down a spending category, scroll the
 * transactions over the keyset cursor, create and revoke a token, sign out. No Content-Security-Policy
 * violation and no console error anywhere; a screenshot of each panel at desktop and phone widths in
 * test-output/dashboard-screenshots/.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

// What the functions run inside the page use (this file is type-checked without the DOM library).
interface PageElement {
  textContent: string | null;
  dataset: Record<string, string | undefined>;
  getAttribute(name: string): string | null;
}
declare const document: {
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): { length: number };
  documentElement: { scrollWidth: number; clientWidth: number };
  addEventListener(
    type: 'securitypolicyviolation',
    listener: (event: { violatedDirective: string; blockedURI: string }) => void,
  ): void;
};
declare const window: unknown;
declare const location: { href: string; hash: string };
declare const navigator: { language: string };

const CHROMIUM = '/usr/bin/chromium';
// CI installs Debian's chromium (.ci/run): there, a missing browser is an error, never a skip.
if (!existsSync(CHROMIUM) && process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing`);

const SCREENSHOTS = path.resolve(import.meta.dirname, '../../test-output/dashboard-screenshots');
const PASSWORD = 'a dashboard e2e password 4711';
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

type Json = Record<string, unknown>;

describe.skipIf(!existsSync(CHROMIUM))('the dashboard in Chromium', () => {
  let server: ServerProcess;
  let dataDir: string;
  let browser: Browser;
  let page: Page;
  let baseUrl: string;
  let bearer = '';
  const problems: string[] = [];

  async function rest<T = Json>(pathname: string, token = bearer): Promise<T> {
    const res = await fetch(`${baseUrl}${pathname}`, { headers: { authorization: `Bearer ${token}` } });
    const text = await res.text();
    expect(res.status, `${pathname}: ${text}`).toBe(200);
    return JSON.parse(text) as T;
  }

  /** Opens a panel by its navigation link and waits until it has rendered. */
  async function open(panel: string) {
    // Whatever was loading first settles (the return from Link loads the accounts by itself).
    await page.waitForFunction(
      () => document.querySelector('#panel')?.getAttribute('aria-busy') === 'false',
      undefined,
      {
        timeout: 60_000,
      },
    );
    const before = await page.getAttribute('#panel', 'data-ready');
    await page.click(`nav a[data-panel="${panel}"]`);
    await page.waitForFunction(
      ([id, previous]) => {
        const main = document.querySelector('#panel');
        return (
          main?.dataset.panel === id &&
          main.getAttribute('aria-busy') === 'false' &&
          main.dataset.ready !== previous
        );
      },
      [panel, before] as const,
      { timeout: 60_000 },
    );
    expect(await page.locator('#panel .error').count(), `${panel}: ${await page.textContent('#panel')}`).toBe(
      0,
    );
  }

  async function screenshots(name: string) {
    await page.setViewportSize(PHONE);
    await page.waitForTimeout(300); // the charts follow the width after a short pause
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-phone.png`), fullPage: true });
    // Nothing pushes the page sideways on a phone (a wide table stacks its rows as cards).
    const widths = await page.evaluate(() => ({
      page: document.documentElement.scrollWidth,
      viewport: document.documentElement.clientWidth,
    }));
    expect(widths.page, `${name}: the page is wider than the phone's viewport`).toBeLessThanOrEqual(
      widths.viewport,
    );
    await page.setViewportSize(DESKTOP);
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-desktop.png`), fullPage: true });
  }

  const dataValue = (selector: string) => page.getAttribute(selector, 'data-value');

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    dataDir = mkdtempSync(path.join(tmpdir(), 'finance-dashboard-e2e-'));
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    server = await startServerProcess(
      {
        DATA_DIR: dataDir,
        PORT: String(port),
        PUBLIC_URL: baseUrl,
        ALLOW_REGISTRATION: 'true',
        AUTH_RATE_LIMIT_PER_MINUTE: '1000',
      },
      120_000,
      'start-command',
    );
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US', timezoneId: 'UTC' });
    await context.exposeBinding('reportViolation', (_source, text: string) => problems.push(`CSP: ${text}`));
    await context.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (event) => {
        void (window as unknown as { reportViolation(text: string): Promise<void> }).reportViolation(
          `${event.violatedDirective} ${event.blockedURI} at ${location.href}`,
        );
      });
    });
    page = await context.newPage();
    page.on('console', (message) => {
      // Our pages only: the emulator's Link page stands in for Plaid's (its own favicon 404 is not ours).
      if (message.type() === 'error' && page.url().startsWith(baseUrl))
        problems.push(`console: ${message.text()} at ${page.url()}`);
    });
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('signs in, links through the emulated Link, shows every panel with the API’s figures, manages tokens, signs out', async () => {
    const email = `dashboard-${Date.now()}@example.com`;
    const registered = await fetch(`${baseUrl}/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    expect(registered.status).toBe(201);

    // The root sends browsers to /app, whose CSP is strict.
    const response = await page.goto(`${baseUrl}/`);
    expect(page.url()).toBe(`${baseUrl}/app`);
    const csp = response!.headers()['content-security-policy']!;
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data:",
      "frame-ancestors 'none'",
    ])
      expect(csp).toContain(directive);
    expect(csp).not.toContain('unsafe-inline');
    await screenshots('sign-in');

    await page.fill('#email', email);
    await page.fill('#password', PASSWORD);
    await page.click('form.sign-in button[type=submit]');
    await page.waitForSelector('nav a[data-panel="net-worth"]');
    const cookie = (await page.context().cookies()).find((c) => c.name === 'finance_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    bearer = (
      (await (
        await fetch(`${baseUrl}/v1/auth/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email, password: PASSWORD }),
        })
      ).json()) as { access_token: string }
    ).access_token;

    // Two institutions through the emulated Link: a bank (cards, a loan) and a brokerage.
    for (const institution of ['ins_109508', 'ins_43']) {
      await open('accounts');
      await page.click('#link-another');
      await page.waitForSelector('#institution', { timeout: 60_000 });
      await page.selectOption('#institution', institution);
      await page.click('#submit');
      await page.waitForURL(`${baseUrl}/app#accounts`, { timeout: 60_000 });
      await page.waitForSelector('#page-status.status-ok', { timeout: 60_000 });
      expect(await page.textContent('#page-status')).toMatch(/^Linked /);
    }
    const items = await rest<{ data: { id: string; last_synced_at: string | null }[] }>('/v1/items');
    expect(items.data).toHaveLength(2);
    // The first syncs run on the in-process worker.
    await until(
      'the first syncs',
      async () => {
        const runs = await rest<{ data: { status: string }[] }>('/v1/sync/runs?limit=100');
        return (
          runs.data.length > 0 &&
          runs.data.every((r) => ['succeeded', 'failed', 'skipped'].includes(r.status))
        );
      },
      120_000,
      1_000,
    );

    // Sync now, with its progress read from the ledger.
    await open('settings');
    await page.click('#sync-now');
    await page.waitForFunction(
      () =>
        /(\d+) of \1 sync run\(s\) finished/.test(
          document.querySelector('#sync-progress-text')?.textContent ?? '',
        ),
      undefined,
      {
        timeout: 120_000,
      },
    );

    // Net worth: every currency's figures, as the API says.
    await open('net-worth');
    const netWorth = await rest<{
      currencies: { currency: string; net_worth: string; assets: string; liabilities: string }[];
    }>('/v1/net-worth');
    expect(netWorth.currencies.length).toBeGreaterThan(0);
    const locale = await page.evaluate(() => navigator.language);
    for (const c of netWorth.currencies) {
      expect(await dataValue(`[data-figure="net-worth-${c.currency}"]`)).toBe(c.net_worth);
      expect(await dataValue(`[data-figure="assets-${c.currency}"]`)).toBe(c.assets);
      expect(await dataValue(`[data-figure="liabilities-${c.currency}"]`)).toBe(c.liabilities);
      expect(await page.textContent(`[data-figure="net-worth-${c.currency}"]`)).toBe(
        new Intl.NumberFormat(locale, { style: 'currency', currency: c.currency }).format(
          c.net_worth as Intl.StringNumericLiteral,
        ),
      );
    }
    expect(await page.locator('#panel .uplot').count()).toBeGreaterThan(0);
    await screenshots('net-worth');
    // Dark (prefers-color-scheme), once: the panel draws itself again in the other colours.
    const drawn = Number(await page.getAttribute('#panel', 'data-ready'));
    const redrawn = (times: number) =>
      page.waitForFunction(
        (count) => {
          const main = document.querySelector('#panel');
          return Number(main?.dataset.ready) >= count && main?.getAttribute('aria-busy') === 'false';
        },
        drawn + times,
        { timeout: 60_000 },
      );
    await page.emulateMedia({ colorScheme: 'dark' });
    await redrawn(1);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'net-worth-dark-desktop.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });
    await redrawn(2);
    // Another range: the history the API gives for it, point for point in the table alternative.
    await page.click('button[data-range="1y"]');
    await page.waitForFunction(
      () => document.querySelector('button[data-range="1y"]')?.getAttribute('aria-pressed') === 'true',
    );
    await page.waitForTimeout(500);
    const end = (await rest<{ history: { end_date: string } }>('/v1/net-worth')).history.end_date;
    const startDate = new Date(`${end}T00:00:00Z`);
    startDate.setUTCFullYear(startDate.getUTCFullYear() - 1);
    const year = await rest<{ history: { points: { currency: string; net_worth: string }[] } }>(
      `/v1/net-worth?start_date=${startDate.toISOString().slice(0, 10)}&end_date=${end}`,
    );
    const firstCurrency = netWorth.currencies[0]!.currency;
    const shownHistory = await page.$$eval(
      `#nw-chart-${firstCurrency} ~ details td span[data-value], details.table-alternative td span[data-value]`,
      (spans) => spans.map((s) => s.getAttribute('data-value')),
    );
    expect(shownHistory).toEqual(year.history.points.map((p) => p.net_worth));

    // Cash flow: totals per currency; a category's drill-down lists its transactions.
    await open('cashflow');
    const cashflow = await rest<{
      currencies: { currency: string; totals: Record<string, string | null> }[];
    }>('/v1/cashflow/summary');
    for (const c of cashflow.currencies) {
      for (const key of ['income', 'spending', 'net'] as const)
        expect(await dataValue(`[data-figure="${key}-${c.currency}"]`)).toBe(c.totals[key]);
      expect(await dataValue(`[data-figure="savings-rate-${c.currency}"]`)).toBe(c.totals.savings_rate ?? '');
    }
    await screenshots('cashflow');
    const category = await page.getAttribute('[data-category]', 'data-category');
    expect(category).toBeTruthy();
    await page.click(`[data-category="${category}"]`);
    await page.waitForSelector('.drill tr[data-transaction]', { timeout: 30_000 });
    const drilled = await page.$$eval('.drill tr[data-transaction]', (rows) =>
      rows.map((r) => r.getAttribute('data-transaction')),
    );
    const range = await rest<{ start_date: string; end_date: string }>('/v1/cashflow/summary');
    const categoryPage = await rest<{ data: { id: string }[] }>(
      `/v1/transactions?category=${encodeURIComponent(category!)}&start_date=${range.start_date}&end_date=${range.end_date}&direction=out&limit=50`,
    );
    expect(drilled).toEqual(categoryPage.data.map((t) => t.id));
    await screenshots('cashflow-drill-down');

    // Accounts: each balance; items with health.
    await open('accounts');
    const accounts = await rest<{ data: { id: string; balances: { current: string | null } }[] }>(
      '/v1/accounts',
    );
    expect(accounts.data.length).toBeGreaterThan(2);
    for (const a of accounts.data)
      expect(await dataValue(`[data-figure="balance-${a.id}"]`)).toBe(a.balances.current ?? '');
    expect(await page.locator('li[data-item]').count()).toBe(2);
    await screenshots('accounts');

    // Transactions: the first page, then the next one as the list scrolls.
    await open('transactions');
    await page.waitForSelector('.transactions tr[data-transaction]');
    const first = await rest<{
      data: {
        id: string;
        amount: string;
        currency: string;
        pending: boolean;
        transfer_kind: string | null;
      }[];
      next_cursor: string | null;
    }>('/v1/transactions?limit=50');
    const shownRows = () =>
      page.$$eval('.transactions tr[data-transaction]', (rows) =>
        rows.map((r) => [
          r.getAttribute('data-transaction'),
          r.querySelector('[data-value]')?.getAttribute('data-value'),
        ]),
      );
    expect(await shownRows()).toEqual(first.data.map((t) => [t.id, t.amount]));
    await screenshots('transactions');
    expect(first.next_cursor).not.toBeNull();
    await page.locator('.transactions .sentinel').scrollIntoViewIfNeeded();
    await page.waitForFunction(
      () => document.querySelectorAll('.transactions tr[data-transaction]').length > 50,
      undefined,
      { timeout: 30_000 },
    );
    const second = await rest<{ data: { id: string; amount: string }[] }>(
      `/v1/transactions?limit=50&cursor=${encodeURIComponent(first.next_cursor!)}`,
    );
    expect((await shownRows()).slice(50, 100)).toEqual(second.data.map((t) => [t.id, t.amount]));
    // Search: the filter goes to the API.
    await page.fill('#tx-q', 'Uber');
    await page.click('form.filters button[type=submit]');
    await page.waitForFunction(() => location.hash.startsWith('#transactions?q=Uber'));
    await page.waitForFunction(
      () =>
        document.querySelector('#panel')?.getAttribute('aria-busy') === 'false' &&
        !!document.querySelector('.transactions .hint')?.textContent?.match(/transactions|match/),
    );
    const searched = await rest<{ data: { id: string }[] }>('/v1/transactions?q=Uber&limit=50');
    expect(
      await page.$$eval('.transactions tr[data-transaction]', (rows) =>
        rows.map((r) => r.getAttribute('data-transaction')),
      ),
    ).toEqual(searched.data.map((t) => t.id));

    // An edit: a spending's category changed in the list moves it in cash flow at once.
    const spending = first.data.find(
      (t) => t.amount.startsWith('-') && !t.pending && t.transfer_kind === null,
    );
    expect(spending, 'a posted spending on the first page').toBeDefined();
    await page.goto(`${baseUrl}/app#transactions`);
    await page.waitForSelector(`[data-edit="${spending!.id}"]`);
    await page.click(`[data-edit="${spending!.id}"]`);
    await page.fill(`#edit-${spending!.id}-category`, 'DASHBOARD_E2E');
    await page.fill(`#edit-${spending!.id}-note`, 'edited in the dashboard');
    await page.click(`tr.editor button[type=submit]`);
    await page.waitForSelector(`tr[data-transaction="${spending!.id}"] .note`);
    await screenshots('transaction-edit');
    await open('cashflow');
    const edited = await rest<{
      currencies: { currency: string; spending_by_category: { category: string; total: string }[] }[];
    }>('/v1/cashflow/summary');
    const moved = edited.currencies
      .find((c) => c.currency === spending!.currency)!
      .spending_by_category.find((c) => c.category === 'DASHBOARD_E2E');
    expect(moved?.total).toBe(spending!.amount.slice(1));
    expect(await dataValue(`[data-figure="category-${spending!.currency}-DASHBOARD_E2E"]`)).toBe(
      moved!.total,
    );

    // Holdings and recurring.
    await open('holdings');
    const holdings = await rest<{ totals: { currency: string; value: string }[] }>('/v1/holdings');
    expect(holdings.totals.length).toBeGreaterThan(0);
    for (const t of holdings.totals)
      expect(await dataValue(`[data-figure="holdings-value-${t.currency}"]`)).toBe(t.value);
    await screenshots('holdings');
    await open('recurring');
    const recurring = await rest<{ data: { next_expected_date: string }[] }>('/v1/recurring');
    expect(
      (await page.$$eval('[data-next]', (cells) => cells.map((c) => c.getAttribute('data-next')))).sort(),
    ).toEqual(recurring.data.map((r) => r.next_expected_date).sort());
    await screenshots('recurring');

    // Budgets (a budget set from the form) and insights, where the service has them.
    await open('budgets');
    await page.fill('#budget-category', 'DASHBOARD_E2E');
    await page.fill('#budget-amount', '100.00');
    await page.fill('#budget-currency', spending!.currency);
    await page.click('form[aria-label="Set a monthly budget"] button[type=submit]');
    await page.waitForSelector(`[data-figure="budget-available-${spending!.currency}"]`, { timeout: 30_000 });
    await page.waitForFunction(() => document.querySelector('#panel')?.getAttribute('aria-busy') === 'false');
    const budgets = await rest<{
      budgets: { category: string }[];
      totals: { currency: string; available: string; spent: string }[];
    }>('/v1/budgets');
    expect(budgets.budgets.map((b) => b.category)).toContain('DASHBOARD_E2E');
    for (const t of budgets.totals) {
      expect(await dataValue(`[data-figure="budget-available-${t.currency}"]`)).toBe(t.available);
      expect(await dataValue(`[data-figure="budget-spent-${t.currency}"]`)).toBe(t.spent);
    }
    await screenshots('budgets');
    await open('insights');
    const insights = await rest<{ insights: { type: string }[] }>('/v1/insights');
    expect(
      await page.$$eval('[data-insight]', (rows) => rows.map((r) => r.getAttribute('data-insight'))),
    ).toEqual(insights.insights.map((i) => i.type));
    await screenshots('insights');

    // Settings: a token created (shown once, works), then revoked (stops working).
    await open('settings');
    await page.fill('#token-name', 'from the dashboard');
    await page.selectOption('#token-scope', 'read');
    await page.fill('#token-expiry', '30');
    await page.click('form[aria-label="Create a token"] button[type=submit]');
    await page.waitForSelector('#new-token');
    const token = (await page.textContent('#new-token'))!;
    expect(token).toMatch(/^fapat_/);
    expect((await rest<{ auth: { kind: string; scopes: string[] } }>('/v1/me', token)).auth).toEqual({
      kind: 'access_token',
      scopes: ['read'],
    });
    const listed = await rest<{
      data: { id: string; name: string; scope: string; expires_at: string | null }[];
    }>('/v1/auth/tokens');
    const created = listed.data.find((t) => t.name === 'from the dashboard')!;
    expect(created).toMatchObject({ scope: 'read' });
    expect(created.expires_at).not.toBeNull();
    await screenshots('settings');
    // Both downloads answer the signed-in browser (its session cookie): the JSON document and the zip.
    for (const [selector, type] of [
      ['#export-link', 'application/json'],
      ['#export-zip-link', 'application/zip'],
    ] as const) {
      const href = (await page.getAttribute(selector, 'href'))!;
      const download = await page.request.get(new URL(href, baseUrl).toString());
      expect(download.status(), selector).toBe(200);
      expect(download.headers()['content-type'], selector).toContain(type);
    }
    await page.click(`[data-revoke-token="${created.id}"]`);
    await page.waitForSelector(`[data-revoke-token="${created.id}"]`, { state: 'detached' });
    const afterRevoke = await fetch(`${baseUrl}/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(afterRevoke.status).toBe(401);
    // The ledger lists the runs the API lists.
    const runs = await rest<{ data: unknown[] }>('/v1/sync/runs?limit=20');
    expect(await page.locator('section[aria-labelledby="sync-title"] tbody tr').count()).toBe(
      runs.data.length,
    );

    // Sign out: back to sign-in; the old cookie no longer reads anything.
    await page.click('#sign-out');
    await page.waitForSelector('form.sign-in');
    const stale = await fetch(`${baseUrl}/v1/me`, { headers: { cookie: `${cookie.name}=${cookie.value}` } });
    expect(stale.status).toBe(401);

    expect(problems).toEqual([]);
  }, 600_000);
});
