import { api, describeError } from '../api';
import type { PanelContext } from '../context';
import { h, replaceChildren, table } from '../dom';
import { day, money, words, isNegative } from '../format';

interface Figures {
  budgeted: string;
  available: string;
  spent: string;
  pending: string;
  remaining: string;
  projected_spent: string;
  projected_remaining: string;
}
interface BudgetsMonth {
  month: string;
  as_of_date: string;
  budgets: (Figures & { category: string; currency: string; rollover: boolean })[];
  totals: (Figures & { currency: string })[];
}
interface Suggestions {
  suggestions: { currency: string; category: string; suggested_amount: string }[];
}
interface Insight {
  type: string;
  currency: string | null;
  category: string | null;
  merchant: string | null;
  amount: string | null;
  baseline: string | null;
  deviation: string | null;
  deviation_percent: string | null;
  date: string | null;
  expected_date: string | null;
  transaction_count: number;
}

const field = (id: string, label: string, input: HTMLElement) =>
  h('div', { class: 'field' }, h('label', { for: id }, label), input);

/** This month's budgets per category and currency (spent against available, projection), set and remove. */
export async function renderBudgets(main: HTMLElement, ctx: PanelContext): Promise<void> {
  const [answer, suggested] = await Promise.all([
    api<BudgetsMonth>('GET', '/v1/budgets'),
    api<Suggestions>('GET', '/v1/budgets/suggest').catch(() => ({ suggestions: [] }) as Suggestions),
  ]);
  const reload = () => ctx.go('budgets', { t: String(Date.now()) });
  const form = h(
    'form',
    { class: 'inline-form', 'aria-label': 'Set a monthly budget' },
    field(
      'budget-category',
      'Category',
      h('input', {
        id: 'budget-category',
        name: 'category',
        required: true,
        maxlength: 100,
        placeholder: 'FOOD_AND_DRINK',
        list: 'budget-categories',
      }),
    ),
    h(
      'datalist',
      { id: 'budget-categories' },
      suggested.suggestions.map((s) => h('option', { value: s.category })),
    ),
    field(
      'budget-amount',
      'Monthly amount',
      h('input', {
        id: 'budget-amount',
        name: 'amount',
        required: true,
        inputmode: 'decimal',
        pattern: '\\d{1,16}(\\.\\d{1,4})?',
      }),
    ),
    field(
      'budget-currency',
      'Currency',
      h('input', {
        id: 'budget-currency',
        name: 'currency',
        required: true,
        value: answer.totals[0]?.currency ?? 'USD',
        pattern: '[A-Z][A-Z0-9]{2,9}',
        maxlength: 10,
      }),
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'budget-rollover' }, 'Roll over'),
      h('input', { id: 'budget-rollover', name: 'rollover', type: 'checkbox' }),
    ),
    h('div', { class: 'field actions' }, h('button', { type: 'submit' }, 'Save budget')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const category = String(data.get('category') ?? '').trim();
    api('PUT', `/v1/budgets/${encodeURIComponent(category)}`, {
      amount: String(data.get('amount') ?? '').trim(),
      currency: String(data.get('currency') ?? '').trim(),
      rollover: data.get('rollover') === 'on',
    })
      .then(() => {
        ctx.status(`Budget for ${words(category).toLowerCase()} saved.`, 'ok');
        reload();
      })
      .catch((error: unknown) => ctx.status(describeError(error), 'error'));
  });

  replaceChildren(
    main,
    h('h2', {}, `Budgets · ${answer.month}`),
    h(
      'p',
      { class: 'hint' },
      `Counted up to ${day(answer.as_of_date)}. Spent is posted spending; pending is shown apart.`,
    ),
    answer.totals.map((t) =>
      h(
        'section',
        { class: 'currency-block', 'aria-label': `Budgets in ${t.currency}` },
        h('h3', {}, `All budgets · ${t.currency}`),
        h(
          'dl',
          { class: 'pairs wide' },
          h('dt', {}, 'Available'),
          h(
            'dd',
            { 'data-figure': `budget-available-${t.currency}`, 'data-value': t.available },
            money(t.available, t.currency),
          ),
          h('dt', {}, 'Spent'),
          h(
            'dd',
            { 'data-figure': `budget-spent-${t.currency}`, 'data-value': t.spent },
            money(t.spent, t.currency),
          ),
          h('dt', {}, 'Remaining'),
          h('dd', { class: isNegative(t.remaining) ? 'error' : '' }, money(t.remaining, t.currency)),
          h('dt', {}, 'Projected'),
          h('dd', {}, money(t.projected_spent, t.currency)),
        ),
      ),
    ),
    answer.budgets.length === 0
      ? h('p', {}, 'No budget yet. Set one below (suggestions come from your last months).')
      : table(
          'Budgets this month',
          ['Category', 'Spent of available', 'Spent', 'Available', 'Remaining', 'Projected', ''],
          answer.budgets.map((b) => {
            const remove = h(
              'button',
              { type: 'button', class: 'danger', 'aria-label': `Remove the budget for ${b.category}` },
              'Remove',
            );
            remove.addEventListener('click', () => {
              api(
                'DELETE',
                `/v1/budgets/${encodeURIComponent(b.category)}?currency=${encodeURIComponent(b.currency)}`,
              )
                .then(reload)
                .catch((error: unknown) => ctx.status(describeError(error), 'error'));
            });
            return [
              `${words(b.category).toLowerCase()} (${b.currency})`,
              h('meter', {
                min: 0,
                max: b.available,
                value: b.spent,
                high: b.available,
                'aria-label': `${b.category} spent of available`,
              }),
              h('span', { 'data-value': b.spent }, money(b.spent, b.currency)),
              money(b.available, b.currency),
              h('span', { class: isNegative(b.remaining) ? 'error' : '' }, money(b.remaining, b.currency)),
              money(b.projected_spent, b.currency),
              remove,
            ];
          }),
        ),
    h('h3', {}, 'Set a budget'),
    form,
    suggested.suggestions.length
      ? table(
          'Suggestions (the median of your recent months)',
          ['Category', 'Suggested'],
          suggested.suggestions.map((s) => [
            `${words(s.category).toLowerCase()} (${s.currency})`,
            money(s.suggested_amount, s.currency),
          ]),
        )
      : null,
  );
}

const INSIGHT_TITLES: Record<string, string> = {
  category_spending: 'Category spending against its usual',
  largest_transaction: 'Large payment',
  new_merchant: 'New merchant',
  subscription_price_changed: 'Subscription price changed',
  subscription_appeared: 'New subscription',
  subscription_lapsed: 'Subscription not paid',
  income_missing: 'Expected income missing',
  fees_and_interest: 'Fees and interest',
  stale_account: 'Account not synced lately',
};

/** This month's insights, each with its figures and how many transactions are behind it. */
export async function renderInsights(main: HTMLElement, _ctx: PanelContext): Promise<void> {
  const answer = await api<{ month: string; insights: Insight[] }>('GET', '/v1/insights');
  replaceChildren(
    main,
    h('h2', {}, `Insights · ${answer.month}`),
    answer.insights.length === 0 ? h('p', {}, 'Nothing stands out this month.') : null,
    h(
      'ul',
      { class: 'rows insights' },
      answer.insights.map((i) => {
        const currency = i.currency ?? '';
        const subject = [i.merchant, i.category ? words(i.category).toLowerCase() : null]
          .filter(Boolean)
          .join(' · ');
        return h(
          'li',
          { class: 'row', 'data-insight': i.type },
          h(
            'div',
            {},
            h('span', { class: 'name' }, INSIGHT_TITLES[i.type] ?? words(i.type)),
            subject ? h('span', { class: 'muted block' }, subject) : null,
            i.date || i.expected_date
              ? h('span', { class: 'muted block' }, i.date ? day(i.date) : `expected ${day(i.expected_date)}`)
              : null,
          ),
          h(
            'div',
            { class: 'right' },
            i.amount !== null && currency
              ? h('span', { class: 'amount block', 'data-value': i.amount }, money(i.amount, currency))
              : null,
            i.baseline !== null && currency
              ? h('span', { class: 'muted block' }, `usually ${money(i.baseline, currency)}`)
              : null,
            i.deviation_percent !== null
              ? h(
                  'span',
                  { class: 'muted block' },
                  `${isNegative(i.deviation_percent) ? '' : '+'}${i.deviation_percent} %`,
                )
              : null,
            i.transaction_count > 0
              ? h('span', { class: 'muted block' }, `${i.transaction_count} transaction(s)`)
              : null,
          ),
        );
      }),
    ),
  );
}
