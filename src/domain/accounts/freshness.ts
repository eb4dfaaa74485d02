import type { z } from 'zod';
import type { freshnessSchema } from '../../http/schemas/common.js';
import type { ItemHealthRow } from '../../db/repositories/items.js';

/** Data older than this, or from an item that needs its owner, is reported as stale. */
export const STALE_AFTER_MS = 36 * 60 * 60 * 1000;

/** The `freshness` member of every read answer: the type of its schema (src/http/schemas/common.ts). */
export type Freshness = z.output<typeof freshnessSchema>;
export type ItemFreshness = Freshness['items'][number];

export function isStale(item: Pick<ItemHealthRow, 'status' | 'lastSyncedAt'>, now: Date): boolean {
  return (
    item.status !== 'good' ||
    !item.lastSyncedAt ||
    now.getTime() - item.lastSyncedAt.getTime() > STALE_AFTER_MS
  );
}

/** Pure: how fresh the data of these items is at `now`. */
export function freshnessOf(items: ItemHealthRow[], now: Date): Freshness {
  const views = items.map((item) => ({
    item_id: item.id,
    institution_name: item.institutionName,
    status: item.status,
    last_synced_at: item.lastSyncedAt?.toISOString() ?? null,
    stale: isStale(item, now),
  }));
  return { stale: views.some((view) => view.stale), items: views };
}
