import { simulateDay } from '../generator/simulate-day.js';
import type { EmulatorStore } from '../state/store.js';
import { mark, notifyDataChanged } from './notifications.js';
import type { ChangeSummary } from './notifications.js';

export interface AdvanceReport {
  readonly now: string;
  readonly items: Array<{ item_id: string } & ChangeSummary>;
}

/**
 * Moves the emulator clock forward day by day. Every live item lives through each day (pending
 * rows post or vanish, new activity, churn, prices move), then webhooks fire once per item.
 */
export function advanceDays(store: EmulatorStore, days: number): AdvanceReport {
  const items = [...store.items.values()].filter((i) => !i.removed);
  const marks = new Map(items.map((i) => [i.id, mark(i)]));
  for (let d = 0; d < days; d++) {
    store.clock.advanceDays(1);
    const today = store.clock.today();
    for (const item of items) simulateDay(item, store.market, today);
  }
  const report: AdvanceReport['items'] = [];
  for (const item of items) {
    const since = marks.get(item.id);
    if (!since) continue;
    report.push({ item_id: item.id, ...notifyDataChanged(store, item, since, days > 0) });
  }
  return { now: store.clock.now().toISOString(), items: report };
}
