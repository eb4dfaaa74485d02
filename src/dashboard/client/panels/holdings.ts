import { api, type Holdings, type Recurring } from '../api';
import type { PanelContext } from '../context';
import { h, replaceChildren, table } from '../dom';
import { day, money, percent, words } from '../format';

/** Positions and allocation per currency (a <meter> per slice: no chart library, no inline style). */
export async function renderHoldings(main: HTMLElement, _ctx: PanelContext): Promise<void> {
  const answer = await api<Holdings>('GET', '/v1/holdings');
  replaceChildren(
    main,
    h('h2', {}, 'Holdings'),
    answer.totals.length === 0 ? h('p', {}, 'No investment accounts.') : null,
    answer.totals.map((t) =>
      h(
        'section',
        { class: 'currency-block', 'aria-label': `Holdings in ${t.currency}` },
        h('h3', {}, `Investments · ${t.currency}`),
        h(
          'dl',
          { class: 'pairs wide' },
          h('dt', {}, 'Value'),
          h(
            'dd',
            { 'data-figure': `holdings-value-${t.currency}`, 'data-value': t.value },
            money(t.value, t.currency),
          ),
          h('dt', {}, 'Cost basis'),
          h('dd', {}, money(t.cost_basis, t.currency)),
          h('dt', {}, 'Unrealized gain'),
          h(
            'dd',
            { 'data-value': t.unrealized_gain ?? '' },
            money(t.unrealized_gain, t.currency),
            t.unrealized_gain_percent ? ` (${percent(t.unrealized_gain_percent)})` : '',
          ),
        ),
        h('h4', {}, 'Allocation by security type'),
        h(
          'ul',
          { class: 'allocation' },
          t.allocation_by_security_type.map((a) =>
            h(
              'li',
              {},
              h('span', { class: 'label' }, words(a.security_type)),
              h('meter', {
                min: 0,
                max: 100,
                value: a.percent ?? '0',
                'aria-label': `${words(a.security_type)} share`,
              }),
              h('span', { class: 'amount' }, `${money(a.value, t.currency)} · ${percent(a.percent)}`),
            ),
          ),
        ),
        table(
          `Positions in ${t.currency}`,
          ['Security', 'Account', 'Quantity', 'Price', 'Value', 'Gain'],
          answer.positions
            .filter((p) => p.currency === t.currency)
            .map((p) => [
              `${p.ticker ?? ''}${p.ticker && p.name ? ' · ' : ''}${p.name ?? ''}`,
              p.account_name,
              p.quantity,
              money(p.price, p.currency),
              h('span', { 'data-value': p.value }, money(p.value, p.currency)),
              money(p.unrealized_gain, p.currency),
            ]),
        ),
      ),
    ),
  );
}

/** Recurring bills, subscriptions and income, with their next expected dates. */
export async function renderRecurring(main: HTMLElement, _ctx: PanelContext): Promise<void> {
  const answer = await api<Recurring>('GET', '/v1/recurring');
  const sorted = [...answer.data].sort((a, b) =>
    a.status === b.status
      ? a.next_expected_date.localeCompare(b.next_expected_date)
      : a.status === 'active'
        ? -1
        : 1,
  );
  replaceChildren(
    main,
    h('h2', {}, 'Recurring'),
    sorted.length === 0 ? h('p', {}, 'Nothing recurring found yet.') : null,
    ['out', 'in'].map((direction) => {
      const rows = sorted.filter((r) => r.direction === direction);
      if (rows.length === 0) return null;
      return table(
        direction === 'out' ? 'Bills and subscriptions' : 'Income',
        ['Merchant', 'Cadence', 'Typical amount', 'Next expected', 'Last', 'Status'],
        rows.map((r) => [
          r.merchant,
          words(r.cadence),
          h('span', { 'data-value': r.typical_amount }, money(r.typical_amount, r.currency)),
          h('span', { 'data-next': r.next_expected_date }, day(r.next_expected_date)),
          day(r.last_date),
          r.status === 'active' ? 'active' : h('span', { class: 'badge' }, 'lapsed'),
        ]),
      );
    }),
  );
}
