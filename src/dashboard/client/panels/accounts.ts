import { api, describeError, type Account, type Item } from '../api';
import type { PanelContext } from '../context';
import { h, replaceChildren } from '../dom';
import { instant, money, words } from '../format';
import { startLink } from '../link';

const TYPE_ORDER = ['depository', 'credit', 'loan', 'investment', 'brokerage', 'other'];
const TYPE_TITLES: Record<string, string> = {
  depository: 'Cash',
  credit: 'Credit cards',
  loan: 'Loans',
  investment: 'Investments',
  brokerage: 'Brokerage',
  other: 'Other',
};

function staleBadge(stale: boolean) {
  return stale
    ? h(
        'span',
        { class: 'badge warn', title: 'Not synced in the last 36 hours, or the institution needs you' },
        'stale',
      )
    : null;
}

/** Accounts grouped by type with balances; the linked institutions with health, "fix" and "link another". */
export async function renderAccounts(main: HTMLElement, ctx: PanelContext): Promise<void> {
  const [accounts, items] = await Promise.all([
    api<{ data: Account[] }>('GET', '/v1/accounts'),
    api<{ data: Item[] }>('GET', '/v1/items'),
  ]);
  const types = [...new Set(accounts.data.map((a) => a.type))].sort((a, b) => {
    const ia = TYPE_ORDER.indexOf(a);
    const ib = TYPE_ORDER.indexOf(b);
    return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
  });
  const linkButton = h(
    'button',
    { type: 'button', id: 'link-another' },
    items.data.length ? 'Link another institution' : 'Link an institution',
  );
  linkButton.addEventListener('click', () => {
    linkButton.disabled = true;
    startLink(ctx).catch((error: unknown) => {
      ctx.status(describeError(error), 'error');
      linkButton.disabled = false;
    });
  });

  replaceChildren(
    main,
    h('h2', {}, 'Accounts'),
    accounts.data.length === 0 ? h('p', {}, 'No accounts yet.') : null,
    types.map((type) =>
      h(
        'section',
        { class: 'account-group', 'aria-label': TYPE_TITLES[type] ?? words(type) },
        h('h3', {}, TYPE_TITLES[type] ?? words(type)),
        h(
          'ul',
          { class: 'rows' },
          accounts.data
            .filter((a) => a.type === type)
            .map((a) =>
              h(
                'li',
                { class: 'row', 'data-account': a.id },
                h(
                  'div',
                  {},
                  h('span', { class: 'name' }, a.name, a.mask ? ` ••${a.mask}` : ''),
                  staleBadge(a.stale),
                  h(
                    'span',
                    { class: 'muted block' },
                    `${a.institution?.name ?? ''}${a.subtype ? ` · ${words(a.subtype)}` : ''}`,
                  ),
                ),
                h(
                  'div',
                  { class: 'right' },
                  h(
                    'span',
                    {
                      class: 'amount',
                      'data-figure': `balance-${a.id}`,
                      'data-value': a.balances.current ?? '',
                    },
                    money(a.balances.current, a.balances.currency),
                  ),
                  a.balances.available !== null && a.balances.available !== a.balances.current
                    ? h(
                        'span',
                        { class: 'muted block' },
                        `available ${money(a.balances.available, a.balances.currency)}`,
                      )
                    : null,
                ),
              ),
            ),
        ),
      ),
    ),
    h(
      'section',
      { 'aria-labelledby': 'items-title', class: 'items' },
      h('h3', { id: 'items-title' }, 'Institutions'),
      h(
        'ul',
        { class: 'rows' },
        items.data.map((item) => {
          const fix = h('button', { type: 'button', class: 'secondary', 'data-fix': item.id }, 'Fix');
          fix.addEventListener('click', () => {
            fix.disabled = true;
            startLink(ctx, item.id).catch((error: unknown) => {
              ctx.status(describeError(error), 'error');
              fix.disabled = false;
            });
          });
          return h(
            'li',
            { class: 'row', 'data-item': item.id },
            h(
              'div',
              {},
              h('span', { class: 'name' }, item.institution?.name ?? item.institution?.id ?? 'Institution'),
              h('span', { class: `badge health-${item.status}` }, words(item.status)),
              staleBadge(item.stale),
              h(
                'span',
                { class: 'muted block' },
                `${item.accounts_count} account(s) · last synced ${instant(item.last_synced_at)}`,
              ),
              item.last_error
                ? h(
                    'span',
                    { class: 'muted block' },
                    `${item.last_error.code}${item.last_error.action ? ` — ${item.last_error.action}` : ''}`,
                  )
                : null,
            ),
            h('div', { class: 'right' }, item.needs_update ? fix : null),
          );
        }),
      ),
      h('div', { class: 'toolbar' }, linkButton),
    ),
  );
}
