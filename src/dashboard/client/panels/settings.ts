import {
  api,
  describeError,
  query,
  type ApiToken,
  type Grant,
  type Item,
  type Page,
  type SyncRun,
  type TriggeredSync,
} from '../api';
import type { PanelContext } from '../context';
import { h, replaceChildren, table } from '../dom';
import { instant, words } from '../format';

const FINAL = new Set(['succeeded', 'failed', 'skipped']);
const POLL_MS = 1_500;
const POLL_LIMIT_MS = 120_000;

function field(id: string, label: string, input: HTMLElement) {
  return h('div', { class: 'field' }, h('label', { for: id }, label), input);
}

/** Personal access tokens: create (shown once), list, revoke. */
async function tokensSection(ctx: PanelContext): Promise<HTMLElement> {
  const list = h('div', {});
  const shown = h('div', { class: 'once', 'aria-live': 'polite' });
  const refresh = async () => {
    const tokens = (await api<{ data: ApiToken[] }>('GET', '/v1/auth/tokens')).data.filter(
      (t) => !t.revoked_at,
    );
    replaceChildren(
      list,
      tokens.length === 0
        ? h('p', { class: 'hint' }, 'No active tokens.')
        : table(
            'Active personal access tokens',
            ['Name', 'Prefix', 'Scope', 'Created', 'Expires', 'Last used', ''],
            tokens.map((t) => {
              const revoke = h(
                'button',
                {
                  type: 'button',
                  class: 'danger',
                  'data-revoke-token': t.id,
                  'aria-label': `Revoke token ${t.name}`,
                },
                'Revoke',
              );
              revoke.addEventListener('click', () => {
                revoke.disabled = true;
                api('DELETE', `/v1/auth/tokens/${t.id}`)
                  .then(() => {
                    ctx.status(`Token “${t.name}” revoked.`, 'ok');
                    return refresh();
                  })
                  .catch((error: unknown) => ctx.status(describeError(error), 'error'));
              });
              return [
                t.name,
                h('code', {}, t.prefix),
                t.scope,
                instant(t.created_at),
                t.expires_at ? instant(t.expires_at) : 'never',
                instant(t.last_used_at),
                revoke,
              ];
            }),
          ),
    );
  };
  const form = h(
    'form',
    { class: 'inline-form', 'aria-label': 'Create a token' },
    field(
      'token-name',
      'Name',
      h('input', { id: 'token-name', name: 'name', required: true, maxlength: 100, autocomplete: 'off' }),
    ),
    field(
      'token-scope',
      'Scope',
      h(
        'select',
        { id: 'token-scope', name: 'scope' },
        h('option', { value: 'read' }, 'read'),
        h('option', { value: 'write' }, 'write (read, sync, link)'),
      ),
    ),
    field(
      'token-expiry',
      'Expires in (days, empty = never)',
      h('input', {
        id: 'token-expiry',
        name: 'expires_in_days',
        type: 'number',
        min: 1,
        max: 3650,
        inputmode: 'numeric',
      }),
    ),
    h('div', { class: 'field actions' }, h('button', { type: 'submit' }, 'Create token')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const days = String(data.get('expires_in_days') ?? '').trim();
    const body: Record<string, unknown> = {
      name: String(data.get('name') ?? '').trim(),
      scope: String(data.get('scope')),
    };
    if (days) body.expires_in_days = Number.parseInt(days, 10);
    api<ApiToken & { token: string }>('POST', '/v1/auth/tokens', body)
      .then((created) => {
        form.reset();
        replaceChildren(
          shown,
          h('p', {}, `Token “${created.name}” created. Copy it now: it is shown only once.`),
          h('output', { class: 'secret', id: 'new-token', for: 'token-name' }, created.token),
        );
        ctx.status('Token created.', 'ok');
        return refresh();
      })
      .catch((error: unknown) => ctx.status(describeError(error), 'error'));
  });
  await refresh();
  return h(
    'section',
    { 'aria-labelledby': 'tokens-title' },
    h('h3', { id: 'tokens-title' }, 'Personal access tokens'),
    form,
    shown,
    list,
  );
}

/** OAuth grants: the AI clients connected to my data; revoking one stops its tokens at once. */
async function grantsSection(ctx: PanelContext): Promise<HTMLElement> {
  const list = h('div', {});
  const refresh = async () => {
    const grants = (await api<{ data: Grant[] }>('GET', '/v1/auth/grants')).data;
    replaceChildren(
      list,
      grants.length === 0
        ? h('p', { class: 'hint' }, 'No AI client is connected.')
        : table(
            'Connected AI clients',
            ['Client', 'Access', 'Since', ''],
            grants.map((g) => {
              const revoke = h(
                'button',
                {
                  type: 'button',
                  class: 'danger',
                  'aria-label': `Disconnect ${g.client_name ?? g.client_id}`,
                },
                'Disconnect',
              );
              revoke.addEventListener('click', () => {
                revoke.disabled = true;
                api('DELETE', `/v1/auth/grants/${encodeURIComponent(g.id)}`)
                  .then(() => refresh())
                  .catch((error: unknown) => ctx.status(describeError(error), 'error'));
              });
              return [
                g.client_name ?? g.client_id,
                g.resources.map((r) => `${r.resource}: ${r.scopes.join(', ')}`).join('; '),
                instant(g.created_at),
                revoke,
              ];
            }),
          ),
    );
  };
  await refresh();
  return h(
    'section',
    { 'aria-labelledby': 'grants-title' },
    h('h3', { id: 'grants-title' }, 'Connected AI clients'),
    list,
  );
}

/** Sync now, its progress from the ledger, and the ledger of recent runs. */
async function syncSection(ctx: PanelContext): Promise<HTMLElement> {
  const ledger = h('div', {});
  const progress = h('progress', {
    id: 'sync-progress',
    max: 1,
    value: 0,
    hidden: true,
    'aria-label': 'Sync progress',
  });
  const progressText = h('p', { class: 'hint', 'aria-live': 'polite', id: 'sync-progress-text' });
  const items = new Map(
    (await api<{ data: Item[] }>('GET', '/v1/items')).data.map((i) => [i.id, i.institution?.name ?? i.id]),
  );
  const showLedger = async () => {
    const runs = await api<Page<SyncRun>>('GET', `/v1/sync/runs${query({ limit: 20 })}`);
    replaceChildren(
      ledger,
      runs.data.length === 0
        ? h('p', { class: 'hint' }, 'No sync has run yet.')
        : table(
            'Recent sync runs',
            [
              'Institution',
              'Product',
              'Trigger',
              'Status',
              'Queued',
              'Finished',
              'Added / modified / removed',
            ],
            runs.data.map((r) => [
              items.get(r.item_id) ?? r.item_id,
              words(r.product),
              r.trigger,
              h('span', { class: `badge run-${r.status}` }, r.status),
              instant(r.queued_at),
              instant(r.finished_at),
              `${r.counts.added} / ${r.counts.modified} / ${r.counts.removed}`,
            ]),
          ),
    );
    return runs.data;
  };
  const button = h('button', { type: 'button', id: 'sync-now' }, 'Sync now');
  button.addEventListener('click', () => {
    button.disabled = true;
    void (async () => {
      try {
        const triggered = (await api<{ data: TriggeredSync[] }>('POST', '/v1/sync/trigger', {})).data;
        const runIds = new Set(triggered.flatMap((t) => t.run_ids));
        const blocked = triggered.filter((t) => t.outcome === 'blocked').length;
        progress.hidden = runIds.size === 0;
        progress.max = Math.max(1, runIds.size);
        const started = Date.now();
        for (;;) {
          const runs = (await showLedger()).filter((r) => runIds.has(r.id));
          const finished = runs.filter((r) => FINAL.has(r.status)).length;
          progress.value = finished;
          progressText.textContent = `${finished} of ${runIds.size} sync run(s) finished${blocked ? `; ${blocked} institution(s) need you first (Accounts → Fix)` : ''}.`;
          if (finished >= runIds.size || Date.now() - started > POLL_LIMIT_MS) break;
          await new Promise((resolve) => window.setTimeout(resolve, POLL_MS));
        }
        ctx.status('Sync finished.', 'ok');
      } catch (error) {
        ctx.status(describeError(error), 'error');
      } finally {
        button.disabled = false;
      }
    })();
  });
  await showLedger();
  return h(
    'section',
    { 'aria-labelledby': 'sync-title' },
    h('h3', { id: 'sync-title' }, 'Sync'),
    h('div', { class: 'toolbar' }, button, progress),
    progressText,
    ledger,
  );
}

/** Export and delete-me, where the service has them. */
function dataSection(ctx: PanelContext): HTMLElement | null {
  const { features } = ctx.config;
  if (!features.export && !features.deleteMe) return null;
  const parts: HTMLElement[] = [];
  if (features.export) {
    parts.push(
      h(
        'p',
        {},
        h(
          'a',
          { href: '/v1/export', download: 'finance-export.json', id: 'export-link' },
          'Download all my data (JSON)',
        ),
        ' · ',
        h(
          'a',
          { href: '/v1/export?format=csv', download: 'finance-export.zip', id: 'export-zip-link' },
          'as CSV files (zip)',
        ),
      ),
    );
  }
  if (features.deleteMe) {
    const form = h(
      'form',
      { class: 'inline-form danger-zone', 'aria-label': 'Delete me and all my data' },
      field(
        'delete-confirm',
        'Type your email to delete yourself and all your data',
        h('input', {
          id: 'delete-confirm',
          name: 'confirm',
          type: 'email',
          required: true,
          autocomplete: 'off',
        }),
      ),
      h(
        'div',
        { class: 'field actions' },
        h('button', { type: 'submit', class: 'danger' }, 'Delete everything'),
      ),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const confirm = String(new FormData(form).get('confirm') ?? '');
      api('DELETE', '/v1/me', { confirm })
        .then(() => window.location.assign('/app'))
        .catch((error: unknown) => ctx.status(describeError(error), 'error'));
    });
    parts.push(form);
  }
  return h('section', { 'aria-labelledby': 'data-title' }, h('h3', { id: 'data-title' }, 'My data'), parts);
}

export async function renderSettings(main: HTMLElement, ctx: PanelContext): Promise<void> {
  const [tokens, grants, sync] = await Promise.all([
    tokensSection(ctx),
    grantsSection(ctx),
    syncSection(ctx),
  ]);
  replaceChildren(main, h('h2', {}, 'Settings'), tokens, grants, sync, dataSection(ctx));
}
