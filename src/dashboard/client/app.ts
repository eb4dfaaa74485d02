/**
 * The dashboard: sign-in, then a panel per part of the API, chosen by the address's hash
 * (#net-worth, #cashflow, #transactions?q=…), so every view can be bookmarked and the back button works.
 */
import { api, describeError, setSession } from './api';
import type { DashboardConfig, PanelContext } from './context';
import { announce, h, replaceChildren } from './dom';
import { finishLink } from './link';
import { renderAccounts } from './panels/accounts';
import { renderBudgets, renderInsights } from './panels/budgets';
import { renderCashflow } from './panels/cashflow';
import { renderHoldings, renderRecurring } from './panels/holdings';
import { renderNetWorth } from './panels/net-worth';
import { renderSettings } from './panels/settings';
import { renderTransactions } from './panels/transactions';

type Render = (main: HTMLElement, ctx: PanelContext) => Promise<void>;

interface Panel {
  id: string;
  title: string;
  render: Render;
  /** Hidden while the service lacks its endpoint. */
  available?: (config: DashboardConfig) => boolean;
}

const PANELS: Panel[] = [
  { id: 'net-worth', title: 'Net worth', render: renderNetWorth },
  { id: 'cashflow', title: 'Cash flow', render: renderCashflow },
  { id: 'accounts', title: 'Accounts', render: renderAccounts },
  { id: 'transactions', title: 'Transactions', render: renderTransactions },
  { id: 'holdings', title: 'Holdings', render: renderHoldings },
  { id: 'recurring', title: 'Recurring', render: renderRecurring },
  {
    id: 'budgets',
    title: 'Budgets',
    render: renderBudgets,
    available: (c) => c.features.budgets,
  },
  {
    id: 'insights',
    title: 'Insights',
    render: renderInsights,
    available: (c) => c.features.insights,
  },
  { id: 'settings', title: 'Settings', render: renderSettings },
];

function readConfig(): DashboardConfig {
  const element = document.getElementById('dashboard-config');
  return JSON.parse(element?.textContent ?? '{}') as DashboardConfig;
}

function signIn(root: HTMLElement, config: DashboardConfig): void {
  const error = h('p', { class: 'error', role: 'alert', hidden: true });
  const form = h(
    'form',
    { class: 'sign-in', 'aria-labelledby': 'sign-in-title' },
    h('h1', { id: 'sign-in-title' }, 'Sign in'),
    h(
      'p',
      { class: 'hint' },
      'Your finance dashboard. Use the email and password of your account on this service.',
    ),
    error,
    h('label', { for: 'email' }, 'Email'),
    h('input', {
      id: 'email',
      name: 'email',
      type: 'email',
      required: true,
      maxlength: 254,
      autocomplete: 'username',
    }),
    h('label', { for: 'password' }, 'Password'),
    h('input', {
      id: 'password',
      name: 'password',
      type: 'password',
      required: true,
      maxlength: 1024,
      autocomplete: 'current-password',
    }),
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const button = form.querySelector('button')!;
    button.disabled = true;
    api<{ user: { id: string; email: string }; csrf_token: string }>('POST', '/v1/auth/web-session', {
      email: String(data.get('email') ?? ''),
      password: String(data.get('password') ?? ''),
    })
      .then((session) => {
        config.session = session;
        start(root, config);
      })
      .catch((failure: unknown) => {
        error.hidden = false;
        error.textContent = describeError(failure);
        button.disabled = false;
        (form.querySelector('#password') as HTMLInputElement).select();
      });
  });
  replaceChildren(root, h('main', { class: 'sign-in-page' }, form));
  document.title = 'Sign in · Finance';
  (form.querySelector('#email') as HTMLInputElement).focus();
}

function start(root: HTMLElement, config: DashboardConfig): void {
  const session = config.session!;
  setSession(session.csrf_token, () => {
    config.session = null;
    signIn(root, config);
  });
  const panels = PANELS.filter((p) => !p.available || p.available(config));
  const status = h('div', { class: 'status', role: 'status', 'aria-live': 'polite', id: 'page-status' });
  const main = h('main', { id: 'panel', tabindex: '-1', 'aria-busy': 'false' });
  const signOut = h('button', { type: 'button', class: 'secondary', id: 'sign-out' }, 'Sign out');
  signOut.addEventListener('click', () => {
    api('DELETE', '/v1/auth/web-session')
      .catch(() => undefined)
      .finally(() => {
        config.session = null;
        // Not `location.hash = ''`: that would fire hashchange and load a panel without a session.
        window.onhashchange = null;
        window.history.replaceState(null, '', '/app');
        signIn(root, config);
      });
  });
  const nav = h(
    'nav',
    { 'aria-label': 'Panels' },
    h(
      'ul',
      {},
      panels.map((p) => h('li', {}, h('a', { href: `#${p.id}`, 'data-panel': p.id }, p.title))),
    ),
  );
  replaceChildren(
    root,
    h('a', { href: '#panel', class: 'skip' }, 'Skip to content'),
    h(
      'header',
      { class: 'top' },
      h('span', { class: 'brand' }, 'Finance'),
      h('span', { class: 'who muted' }, session.user.email),
      signOut,
    ),
    nav,
    status,
    main,
  );

  let generation = 0;
  const ctx = (params: URLSearchParams): PanelContext => ({
    config,
    params,
    status: (message, kind = 'info') => announce(status, message, kind),
    go: (panel, values = {}) => {
      const search = new URLSearchParams(values).toString();
      window.location.hash = `${panel}${search ? `?${search}` : ''}`;
    },
  });
  const show = async () => {
    const [id, search] = window.location.hash.replace(/^#/, '').split('?') as [string, string | undefined];
    const panel = panels.find((p) => p.id === id) ?? panels[0]!;
    const mine = ++generation;
    for (const link of nav.querySelectorAll('a')) {
      if (link.dataset.panel === panel.id) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    document.title = `${panel.title} · Finance`;
    main.setAttribute('aria-busy', 'true');
    main.dataset.panel = panel.id;
    replaceChildren(main, h('h2', {}, panel.title), h('p', { class: 'hint' }, 'Loading…'));
    try {
      await panel.render(main, ctx(new URLSearchParams(search ?? '')));
    } catch (error) {
      if (mine === generation)
        replaceChildren(
          main,
          h('h2', {}, panel.title),
          h('p', { class: 'error', role: 'alert' }, describeError(error)),
        );
    } finally {
      if (mine === generation) {
        main.setAttribute('aria-busy', 'false');
        main.dataset.ready = String(mine);
      }
    }
  };
  // The current panel's own link loads it again (fresh figures), as a hash change would.
  nav.addEventListener('click', (event) => {
    const link = (event.target as Element).closest('a[data-panel]');
    if (link && link.getAttribute('href') === window.location.hash) {
      event.preventDefault();
      void show();
    }
  });
  // The charts take their colours when drawn: a change of light/dark draws the panel again.
  window.matchMedia('(prefers-color-scheme: dark)').onchange = () => void show();
  window.onhashchange = () => {
    void show().then(() => main.focus({ preventScroll: true }));
  };

  // Back from the emulated Link with a public token: finish linking, then show the accounts.
  const params = new URLSearchParams(window.location.search);
  const publicToken = params.get('public_token');
  if (publicToken) {
    const itemId = params.get('link') === 'repair' ? params.get('item_id') : null;
    window.history.replaceState(null, '', '/app#accounts');
    const c = ctx(new URLSearchParams());
    finishLink(c, publicToken, itemId)
      .catch((error: unknown) => c.status(describeError(error), 'error'))
      .finally(() => void show());
    return;
  }
  void show();
}

export function boot(): void {
  const root = document.getElementById('root')!;
  const config = readConfig();
  if (config.session) start(root, config);
  else signIn(root, config);
}
