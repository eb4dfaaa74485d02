/**
 * Linking and repairing institutions from the dashboard: the flow of /link, with the session instead
 * of a pasted token. POST /v1/plaid/link-token (with `item_id` for update mode); then the emulator's
 * Link page by navigation (it comes back to /app with `?public_token=`), or Plaid's Link script; then
 * POST /v1/plaid/item/public-token/exchange (new) or POST /v1/items/{id}/repaired (update mode).
 */
import { api } from './api';
import type { PanelContext } from './context';

interface PlaidHandler {
  open(): void;
}
declare global {
  interface Window {
    Plaid?: {
      create(options: {
        token: string;
        onSuccess(publicToken: string): void;
        onExit(error: { display_message?: string; error_code?: string } | null): void;
      }): PlaidHandler;
    };
  }
}

function loadPlaid(url: string): Promise<NonNullable<Window['Plaid']>> {
  if (window.Plaid) return Promise.resolve(window.Plaid);
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = url;
    script.onload = () =>
      window.Plaid ? resolve(window.Plaid) : reject(new Error('Plaid Link did not load'));
    script.onerror = () => reject(new Error('Could not load Plaid Link'));
    document.head.append(script);
  });
}

export async function startLink(ctx: PanelContext, itemId?: string): Promise<void> {
  ctx.status(itemId ? 'Asking for an update-mode link token…' : 'Asking for a link token…');
  const created = await api<{ link_token: string }>(
    'POST',
    '/v1/plaid/link-token',
    itemId ? { item_id: itemId } : {},
  );
  const { link } = ctx.config;
  if (link.kind === 'emulator' && link.url) {
    const back = new URL('/app', window.location.origin);
    back.searchParams.set('link', itemId ? 'repair' : 'new');
    if (itemId) back.searchParams.set('item_id', itemId);
    const target = new URL(`${link.url.replace(/\/+$/, '')}/link`);
    target.searchParams.set('token', created.link_token);
    target.searchParams.set('redirect_uri', back.toString());
    ctx.status('Opening the emulated Plaid Link…');
    window.location.assign(target.toString());
    return;
  }
  const Plaid = await loadPlaid(link.scriptUrl ?? '');
  Plaid.create({
    token: created.link_token,
    onSuccess: (publicToken) => void finishLink(ctx, publicToken, itemId ?? null),
    onExit: (error) =>
      ctx.status(
        error
          ? (error.display_message ?? error.error_code ?? 'Link failed')
          : 'Link was closed before finishing.',
        error ? 'error' : 'info',
      ),
  }).open();
}

/** After Link: the exchange (a new item) or the repair (update mode); then the accounts panel. */
export async function finishLink(
  ctx: PanelContext,
  publicToken: string,
  itemId: string | null,
): Promise<void> {
  if (itemId) {
    ctx.status('Checking the connection with Plaid…');
    await api('POST', `/v1/items/${encodeURIComponent(itemId)}/repaired`);
    ctx.status('The connection is repaired; a sync is queued.', 'ok');
    return;
  }
  ctx.status('Linking…');
  const linked = await api<{ item: { institution: { name: string | null } | null }; accounts: unknown[] }>(
    'POST',
    '/v1/plaid/item/public-token/exchange',
    { public_token: publicToken },
  );
  ctx.status(
    `Linked ${linked.item.institution?.name ?? 'the institution'}: ${linked.accounts.length} account(s). Their first sync is queued.`,
    'ok',
  );
}
