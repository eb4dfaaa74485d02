import { api, query, type Cashflow } from '../api';
import { afterPaint, barChart, tableAlternative } from '../chart';
import type { PanelContext } from '../context';
import { h, replaceChildren, table } from '../dom';
import { epochSeconds, money, month, ratio, day } from '../format';
import { accountsById, transactionList } from './transactions';

function cssColor(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

/**
 * Monthly income vs. spending (bars) with net (line) and savings rate, per currency; spending by
 * category for a chosen period, each category drilling down to its transactions.
 */
export async function renderCashflow(main: HTMLElement, ctx: PanelContext): Promise<void> {
  const year = await api<Cashflow>('GET', '/v1/cashflow/summary');
  const sections = year.currencies.map((c) => {
    const host = h('div', { class: 'chart' });
    const section = h(
      'section',
      { class: 'currency-block', 'aria-label': `Cash flow in ${c.currency}` },
      h('h3', {}, `${c.currency} · ${day(year.start_date)} – ${day(year.end_date)}`),
      h(
        'dl',
        { class: 'pairs wide' },
        h('dt', {}, 'Income'),
        h(
          'dd',
          { 'data-figure': `income-${c.currency}`, 'data-value': c.totals.income },
          money(c.totals.income, c.currency),
        ),
        h('dt', {}, 'Spending'),
        h(
          'dd',
          { 'data-figure': `spending-${c.currency}`, 'data-value': c.totals.spending },
          money(c.totals.spending, c.currency),
        ),
        h('dt', {}, 'Net'),
        h(
          'dd',
          { 'data-figure': `net-${c.currency}`, 'data-value': c.totals.net },
          money(c.totals.net, c.currency),
        ),
        h('dt', {}, 'Savings rate'),
        h(
          'dd',
          { 'data-figure': `savings-rate-${c.currency}`, 'data-value': c.totals.savings_rate ?? '' },
          ratio(c.totals.savings_rate),
        ),
      ),
      host,
      tableAlternative(
        table(
          `Income and spending per month in ${c.currency}`,
          ['Month', 'Income', 'Spending', 'Net', 'Savings rate'],
          c.periods.map((p) => [
            month(p.start),
            money(p.income, c.currency),
            money(p.spending, c.currency),
            money(p.net, c.currency),
            ratio(p.savings_rate),
          ]),
        ),
      ),
    );
    return { section, host, c };
  });

  const periodSelect = h(
    'select',
    { id: 'cf-period' },
    h('option', { value: `${year.start_date}/${year.end_date}` }, 'The last 12 months'),
  );
  const months = [...new Set(year.currencies.flatMap((c) => c.periods.map((p) => `${p.start}/${p.end}`)))]
    .sort()
    .reverse();
  for (const m of months) periodSelect.append(h('option', { value: m }, month(m.slice(0, 10))));
  const categories = h('div', { class: 'categories', 'aria-live': 'polite' });
  const drill = h('div', { class: 'drill' });
  const accounts = await accountsById();

  const showCategories = async () => {
    const [start, end] = periodSelect.value.split('/') as [string, string];
    const answer =
      start === year.start_date && end === year.end_date
        ? year
        : await api<Cashflow>('GET', `/v1/cashflow/summary${query({ start_date: start, end_date: end })}`);
    replaceChildren(drill);
    replaceChildren(
      categories,
      answer.currencies.length === 0 ? h('p', {}, 'No spending in this period.') : null,
      answer.currencies.map((c) =>
        h(
          'section',
          { 'aria-label': `Spending by category in ${c.currency}` },
          h('h4', {}, `Spending by category · ${c.currency}`),
          h(
            'ul',
            { class: 'category-list' },
            c.spending_by_category.map((cat) =>
              h(
                'li',
                {},
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'link',
                    'data-category': cat.category,
                    onclick: () => {
                      replaceChildren(
                        drill,
                        h(
                          'h4',
                          {},
                          `${cat.category.replace(/_/g, ' ').toLowerCase()} · ${day(start)} – ${day(end)}`,
                        ),
                        transactionList(
                          { category: cat.category, start_date: start, end_date: end, direction: 'out' },
                          accounts,
                          `Money out in ${cat.category}`,
                        ),
                      );
                      drill.querySelector('h4')?.setAttribute('tabindex', '-1');
                      (drill.querySelector('h4') as HTMLElement | null)?.focus();
                    },
                  },
                  cat.category.replace(/_/g, ' ').toLowerCase(),
                ),
                h(
                  'span',
                  {
                    class: 'amount',
                    'data-figure': `category-${c.currency}-${cat.category}`,
                    'data-value': cat.total,
                  },
                  money(cat.total, c.currency),
                ),
              ),
            ),
          ),
        ),
      ),
    );
  };
  periodSelect.addEventListener('change', () => void showCategories());

  replaceChildren(
    main,
    h('h2', {}, 'Cash flow'),
    year.currencies.length === 0 ? h('p', {}, 'No transactions in the last 12 months.') : null,
    sections.map((s) => s.section),
    h(
      'section',
      { 'aria-labelledby': 'cf-categories-title' },
      h('h3', { id: 'cf-categories-title' }, 'Where the money went'),
      h('div', { class: 'toolbar' }, h('label', { for: 'cf-period' }, 'Period'), periodSelect),
      categories,
      drill,
    ),
  );
  await afterPaint();
  for (const { host, c } of sections) {
    barChart(
      host,
      `Income vs. spending · ${c.currency}`,
      c.periods.map((p) => epochSeconds(p.start)),
      [
        {
          label: 'Income',
          values: c.periods.map((p) => Number(p.income)),
          color: cssColor('--positive', '#137333'),
        },
        {
          label: 'Spending',
          values: c.periods.map((p) => Number(p.spending)),
          color: cssColor('--negative', '#b3261e'),
        },
      ],
      { label: 'Net', values: c.periods.map((p) => Number(p.net)) },
    );
  }
  await showCategories();
  if (ctx.params.get('category'))
    (
      categories.querySelector(
        `[data-category="${CSS.escape(ctx.params.get('category')!)}"]`,
      ) as HTMLButtonElement | null
    )?.click();
}
