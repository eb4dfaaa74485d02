import { api, describeError, query, type Account, type Page, type Transaction } from '../api';
import type { PanelContext } from '../context';
import { h, replaceChildren } from '../dom';
import { day, isNegative, money } from '../format';

const PAGE_SIZE = 50;

export interface TransactionFilters {
  q?: string;
  category?: string;
  account_id?: string;
  start_date?: string;
  end_date?: string;
  direction?: string;
  pending?: string;
}

/**
 * A transaction list over the keyset cursor: the next page loads when the end of the list scrolls into
 * view (and from a "Load more" button, for the keyboard). Negative amounts are money out.
 */
export function transactionList(
  filters: TransactionFilters,
  accounts: Map<string, Account>,
  caption: string,
  /** With PATCH /v1/transactions/{id}: an Edit button per row for the note and the category. */
  editable = false,
): HTMLElement {
  const body = h('tbody', {});
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Load more');
  const info = h('p', { class: 'hint', role: 'status' });
  const sentinel = h('div', { class: 'sentinel', 'aria-hidden': 'true' });
  let cursor: string | null = null;
  let loading = false;
  let done = false;
  let shown = 0;

  const row = (t: Transaction) => {
    const account = accounts.get(t.account_id);
    const category = t.category.user_override ?? t.category.primary ?? 'Uncategorized';
    return h(
      'tr',
      { 'data-transaction': t.id },
      h('td', {}, day(t.date)),
      h(
        'td',
        {},
        h('span', { class: 'name' }, t.merchant_name ?? t.name),
        t.pending ? h('span', { class: 'badge' }, 'pending') : null,
        t.note ? h('span', { class: 'note' }, t.note) : null,
      ),
      h('td', {}, category.replace(/_/g, ' ').toLowerCase()),
      h('td', { class: 'muted' }, account ? account.name : ''),
      h(
        'td',
        { class: `amount ${isNegative(t.amount) ? 'out' : 'in'}`, 'data-value': t.amount },
        money(t.amount, t.currency),
      ),
      editable ? h('td', {}, editButton(t)) : null,
    );
  };

  /** The note and the category of one transaction, edited in a row under it. */
  const editButton = (t: Transaction) => {
    const button = h(
      'button',
      {
        type: 'button',
        class: 'link',
        'data-edit': t.id,
        'aria-expanded': 'false',
        'aria-label': `Edit ${t.merchant_name ?? t.name} on ${day(t.date)}`,
      },
      'Edit',
    );
    button.addEventListener('click', () => {
      const tr = button.closest('tr')!;
      if (tr.nextElementSibling?.classList.contains('editor')) {
        tr.nextElementSibling.remove();
        button.setAttribute('aria-expanded', 'false');
        return;
      }
      const id = `edit-${t.id}`;
      const form = h(
        'form',
        { class: 'inline-form', 'aria-label': 'Edit the transaction' },
        h(
          'div',
          { class: 'field' },
          h('label', { for: `${id}-category` }, 'Category (empty: Plaid’s)'),
          h('input', {
            id: `${id}-category`,
            name: 'category',
            maxlength: 64,
            value: t.category.user_override ?? '',
          }),
        ),
        h(
          'div',
          { class: 'field' },
          h('label', { for: `${id}-note` }, 'Note'),
          h('input', { id: `${id}-note`, name: 'note', maxlength: 1000, value: t.note ?? '' }),
        ),
        h('div', { class: 'field actions' }, h('button', { type: 'submit' }, 'Save')),
      );
      const editor = h('tr', { class: 'editor' }, h('td', { colspan: 6 }, form));
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        const data = new FormData(form);
        const text = (name: string) => String(data.get(name) ?? '').trim() || null;
        api<{ data: Transaction }>('PATCH', `/v1/transactions/${t.id}`, {
          category: text('category'),
          note: text('note'),
        })
          .then((answer) => {
            editor.remove();
            tr.replaceWith(row({ ...t, ...answer.data }));
            info.textContent = 'Saved: cash flow and budgets count the new category at once.';
          })
          .catch((error: unknown) => {
            info.textContent = describeError(error);
          });
      });
      tr.after(editor);
      button.setAttribute('aria-expanded', 'true');
      (form.querySelector('input') as HTMLInputElement).focus();
    });
    return button;
  };

  const load = async () => {
    if (loading || done) return;
    loading = true;
    more.disabled = true;
    info.textContent = 'Loading…';
    try {
      const page = await api<Page<Transaction>>(
        'GET',
        `/v1/transactions${query({ ...filters, limit: PAGE_SIZE, cursor })}`,
      );
      body.append(...page.data.map(row));
      shown += page.data.length;
      cursor = page.next_cursor;
      done = cursor === null;
      more.hidden = done;
      info.textContent = done
        ? shown === 0
          ? 'No transactions match.'
          : `${shown} transactions, all shown.`
        : `${shown} transactions shown; more load as you scroll.`;
    } catch (error) {
      info.textContent = describeError(error);
      info.className = 'error';
    } finally {
      loading = false;
      more.disabled = false;
    }
  };
  more.addEventListener('click', () => void load());

  const observer = new IntersectionObserver((entries) => {
    if (!sentinel.isConnected) observer.disconnect();
    else if (entries.some((e) => e.isIntersecting)) void load();
  });
  observer.observe(sentinel);
  void load();

  return h(
    'div',
    { class: 'transactions' },
    h(
      'table',
      { class: 'data' },
      h('caption', {}, caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          [...['Date', 'Description', 'Category', 'Account', 'Amount'], ...(editable ? [''] : [])].map((t) =>
            h('th', { scope: 'col' }, t),
          ),
        ),
      ),
      body,
    ),
    info,
    more,
    sentinel,
  );
}

export async function accountsById(): Promise<Map<string, Account>> {
  const answer = await api<{ data: Account[] }>('GET', '/v1/accounts');
  return new Map(answer.data.map((a) => [a.id, a]));
}

/** Search and filters, then the list. The filters live in the hash, so a view can be linked to. */
export async function renderTransactions(main: HTMLElement, ctx: PanelContext): Promise<void> {
  const accounts = await accountsById();
  const p = ctx.params;
  const field = (id: string, label: string, input: HTMLElement) =>
    h('div', { class: 'field' }, h('label', { for: id }, label), input);
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter transactions' },
    field(
      'tx-q',
      'Search',
      h('input', {
        id: 'tx-q',
        name: 'q',
        type: 'search',
        value: p.get('q') ?? '',
        maxlength: 200,
        placeholder: 'Name or merchant',
      }),
    ),
    field(
      'tx-category',
      'Category',
      h('input', { id: 'tx-category', name: 'category', value: p.get('category') ?? '', maxlength: 100 }),
    ),
    field(
      'tx-account',
      'Account',
      h(
        'select',
        { id: 'tx-account', name: 'account_id' },
        h('option', { value: '' }, 'All accounts'),
        [...accounts.values()].map((a) =>
          h(
            'option',
            { value: a.id, selected: p.get('account_id') === a.id },
            `${a.name}${a.mask ? ` ••${a.mask}` : ''}`,
          ),
        ),
      ),
    ),
    field(
      'tx-from',
      'From',
      h('input', { id: 'tx-from', name: 'start_date', type: 'date', value: p.get('start_date') ?? '' }),
    ),
    field(
      'tx-to',
      'To',
      h('input', { id: 'tx-to', name: 'end_date', type: 'date', value: p.get('end_date') ?? '' }),
    ),
    field(
      'tx-direction',
      'Direction',
      h(
        'select',
        { id: 'tx-direction', name: 'direction' },
        h('option', { value: '' }, 'In and out'),
        h('option', { value: 'out', selected: p.get('direction') === 'out' }, 'Money out'),
        h('option', { value: 'in', selected: p.get('direction') === 'in' }, 'Money in'),
      ),
    ),
    h('div', { class: 'field actions' }, h('button', { type: 'submit' }, 'Apply')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const values: Record<string, string> = {};
    for (const [key, value] of new FormData(form))
      if (typeof value === 'string' && value.trim()) values[key] = value.trim();
    ctx.go('transactions', values);
  });
  const filters: TransactionFilters = {};
  for (const key of [
    'q',
    'category',
    'account_id',
    'start_date',
    'end_date',
    'direction',
    'pending',
  ] as const) {
    const value = p.get(key);
    if (value) filters[key] = value;
  }
  replaceChildren(
    main,
    h('h2', {}, 'Transactions'),
    form,
    transactionList(filters, accounts, 'Transactions, newest first', ctx.config.features.transactionEdits),
  );
}
