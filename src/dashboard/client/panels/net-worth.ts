import { api, query, type NetWorth } from '../api';
import { afterPaint, lineChart, tableAlternative } from '../chart';
import type { PanelContext } from '../context';
import { h, replaceChildren, table } from '../dom';
import { day, epochSeconds, money, shiftDate, words } from '../format';

const RANGES = [
  { id: '3m', label: '3M', days: 89 },
  { id: '1y', label: '1Y', years: 1 },
  { id: '5y', label: '5Y', years: 5 },
  { id: 'all', label: 'All', years: 19 },
] as const;

/** Net worth now per currency, and its history (ranges and intervals), estimated points apart. */
export async function renderNetWorth(main: HTMLElement, ctx: PanelContext): Promise<void> {
  const now = await api<NetWorth>('GET', '/v1/net-worth');
  const today = now.history.end_date;
  const cards = h(
    'div',
    { class: 'cards' },
    now.currencies.length === 0 ? h('p', {}, 'No accounts yet: link an institution under Accounts.') : null,
    now.currencies.map((c) =>
      h(
        'section',
        { class: 'card', 'aria-label': `Net worth in ${c.currency}` },
        h('h3', {}, `Net worth · ${c.currency}`),
        h(
          'p',
          { class: 'figure', 'data-figure': `net-worth-${c.currency}`, 'data-value': c.net_worth },
          money(c.net_worth, c.currency),
        ),
        h(
          'dl',
          { class: 'pairs' },
          h('dt', {}, 'Assets'),
          h(
            'dd',
            { 'data-figure': `assets-${c.currency}`, 'data-value': c.assets },
            money(c.assets, c.currency),
          ),
          h('dt', {}, 'Liabilities'),
          h(
            'dd',
            { 'data-figure': `liabilities-${c.currency}`, 'data-value': c.liabilities },
            money(c.liabilities, c.currency),
          ),
          c.by_type.flatMap((t) => [
            h('dt', { class: 'minor' }, words(t.type)),
            h('dd', { class: 'minor' }, money(t.total, c.currency)),
          ]),
        ),
      ),
    ),
  );

  const rangeGroup = h('div', { class: 'segmented', role: 'group', 'aria-label': 'Range' });
  const intervalSelect = h(
    'select',
    { id: 'nw-interval' },
    h('option', { value: '' }, 'Automatic'),
    h('option', { value: 'day' }, 'Day'),
    h('option', { value: 'week' }, 'Week'),
    h('option', { value: 'month' }, 'Month'),
  );
  const history = h('div', { class: 'history', 'aria-live': 'polite' });
  let range: string = ctx.params.get('range') ?? '3m';

  const drawHistory = async (answer: NetWorth) => {
    const currencies = [...new Set(answer.history.points.map((p) => p.currency))].sort();
    replaceChildren(
      history,
      h(
        'p',
        { class: 'hint' },
        `${day(answer.history.start_date)} – ${day(answer.history.end_date)}, by ${answer.history.interval}. `,
        'Dashed, hollow points are estimated (reconstructed from transactions before the first balance snapshot).',
      ),
      currencies.length === 0 ? h('p', {}, 'No history in this range.') : null,
    );
    await afterPaint();
    for (const currency of currencies) {
      const points = answer.history.points.filter((p) => p.currency === currency);
      const host = h('div', { class: 'chart', id: `nw-chart-${currency}` });
      history.append(
        h('section', { class: 'chart-block', 'aria-label': `Net worth history in ${currency}` }, host),
        tableAlternative(
          table(
            `Net worth history in ${currency}`,
            ['Date', 'Assets', 'Liabilities', 'Net worth', 'Estimated'],
            points.map((p) => [
              day(p.date),
              money(p.assets, currency),
              money(p.liabilities, currency),
              h('span', { 'data-value': p.net_worth }, money(p.net_worth, currency)),
              p.estimated ? 'estimated' : '',
            ]),
          ),
        ),
      );
      lineChart(
        host,
        `Net worth · ${currency}`,
        points.map((p) => epochSeconds(p.date)),
        [
          {
            label: 'Net worth',
            values: points.map((p) => Number(p.net_worth)),
            estimated: points.map((p) => p.estimated),
          },
        ],
      );
    }
  };

  const load = async () => {
    const spec = RANGES.find((r) => r.id === range) ?? RANGES[0];
    for (const button of rangeGroup.querySelectorAll('button'))
      button.setAttribute('aria-pressed', String(button.dataset.range === spec.id));
    const start =
      'days' in spec ? shiftDate(today, { days: spec.days }) : shiftDate(today, { years: spec.years });
    const interval = intervalSelect.value || (spec.id === 'all' ? 'month' : undefined);
    try {
      // The first answer already holds the default range (the last 90 days): no second request for it.
      const sameAsFirst = start === now.history.start_date && !interval;
      await drawHistory(
        sameAsFirst
          ? now
          : await api<NetWorth>(
              'GET',
              `/v1/net-worth${query({ start_date: start, end_date: today, interval })}`,
            ),
      );
    } catch (error) {
      replaceChildren(
        history,
        h('p', { class: 'error', role: 'alert' }, error instanceof Error ? error.message : String(error)),
      );
    }
  };

  for (const r of RANGES) {
    rangeGroup.append(
      h(
        'button',
        {
          type: 'button',
          'data-range': r.id,
          'aria-pressed': 'false',
          onclick: () => {
            range = r.id;
            void load();
          },
        },
        r.label,
      ),
    );
  }
  intervalSelect.addEventListener('change', () => void load());

  replaceChildren(
    main,
    h('h2', {}, 'Net worth'),
    cards,
    h(
      'section',
      { 'aria-labelledby': 'nw-history-title' },
      h('h3', { id: 'nw-history-title' }, 'History'),
      h(
        'div',
        { class: 'toolbar' },
        rangeGroup,
        h('label', { for: 'nw-interval' }, 'Interval'),
        intervalSelect,
      ),
      history,
    ),
  );
  // User Timing: the frame in which the figures first paint (the bench's first meaningful paint).
  requestAnimationFrame(() => performance.mark('dashboard:net-worth-figures'));
  await load();
}
