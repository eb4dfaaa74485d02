import type { AccountsRepository, AccountWithItem } from '../../db/repositories/accounts.js';
import type {
  ItemHealthChangeHandlers,
  ItemHealthRow,
  ItemsRepository,
} from '../../db/repositories/items.js';
import type { z } from 'zod';
import type { accountSchema } from '../../http/routes/accounts.js';
import { followListener, type ListenedCache } from '../../lib/listened-cache.js';
import type { Logger } from '../../lib/logger.js';
import { errors } from '../../errors/catalog.js';
import { currencyOf, formatMoney } from '../../lib/money.js';
import { freshnessOf, isStale, type Freshness } from './freshness.js';

/** An account as `GET /v1/accounts` shows it: the route's response schema is its type. */
export type AccountView = z.output<typeof accountSchema>;

export function toAccountView(row: AccountWithItem, now: Date): AccountView {
  const { account, item, institution } = row;
  return {
    id: account.id,
    item_id: item.id,
    institution,
    name: account.name,
    official_name: account.officialName,
    mask: account.mask,
    type: account.type,
    subtype: account.subtype,
    balances: {
      current: formatMoney(account.currentBalance),
      available: formatMoney(account.availableBalance),
      limit: formatMoney(account.creditLimit),
      currency: currencyOf(account),
      as_of: (account.balancesAsOf ?? item.lastSyncedAt)?.toISOString() ?? null,
    },
    item_health: item.status,
    last_synced_at: item.lastSyncedAt?.toISOString() ?? null,
    stale: isStale(item, now),
  };
}

export interface Envelope {
  as_of: string;
  freshness: Freshness;
}

export type ItemHealthCache = ListenedCache<ItemHealthRow[]>;

export function createAccountsService(deps: {
  accounts: AccountsRepository;
  items: ItemsRepository;
  /** Each user's item health, kept while a listener hears every change (see followItemHealthChanges). */
  itemHealth?: ItemHealthCache;
  now?: () => Date;
}) {
  const now = deps.now ?? (() => new Date());

  const itemHealthOf = (userId: string): Promise<ItemHealthRow[]> => {
    const load = () => deps.items.listHealthForUser(userId);
    return deps.itemHealth ? deps.itemHealth.getOrLoad(userId, load) : load();
  };

  return {
    /**
     * `as_of` and the freshness of the caller's items: part of every read response. Staleness is judged
     * now, from the item rows (cached: they only change with a sync or a status change, announced).
     */
    async envelope(userId: string): Promise<Envelope> {
      const rows = await itemHealthOf(userId);
      const at = now();
      return { as_of: at.toISOString(), freshness: freshnessOf(rows, at) };
    },

    /**
     * What GET /v1/accounts shows of the caller's items now (status, last sync, staleness at this
     * moment, institution name), as a string: the answer cache keys the rendered list by it, because
     * item changes are announced to the item-health listener, not the read model's.
     */
    async itemsVariant(userId: string): Promise<string> {
      const at = now();
      return (await itemHealthOf(userId))
        .map(
          (item) =>
            `${item.id}:${item.status}:${item.lastSyncedAt?.getTime() ?? '-'}:${isStale(item, at) ? 1 : 0}:${item.institutionName ?? ''}`,
        )
        .join(',');
    },

    async list(userId: string): Promise<AccountView[]> {
      const at = now();
      return (await deps.accounts.listForUser(userId)).map((row) => toAccountView(row, at));
    },

    async get(userId: string, accountId: string): Promise<AccountView> {
      const row = await deps.accounts.getForUser(userId, accountId);
      if (!row) throw errors.notFound('account', accountId);
      return toAccountView(row, now());
    },
  };
}

export type AccountsService = ReturnType<typeof createAccountsService>;

/** Connects an item-health listener to the cache, and logs when it comes and goes. */
export function followItemHealthChanges(cache: ItemHealthCache, logger: Logger): ItemHealthChangeHandlers {
  return {
    onUserChanged: (userId) => cache.forget(userId),
    onEveryUserChanged: () => cache.forgetAll(),
    ...followListener(cache, logger, { listener: 'item health', cached: 'freshness' }),
  };
}
