import { describe, expect, it } from 'vitest';
import { addBulkHistory } from '../../src/emulator/controls/bulk-history.js';
import { generateItem } from '../../src/emulator/generator/generate-item.js';
import { Market } from '../../src/emulator/state/market.js';
import { syncPage } from '../../src/emulator/sync/transactions-sync.js';

describe('scale', () => {
  it('pages an item of 1,000,000 transactions without copying it, memory flat across pages', () => {
    const market = new Market(1);
    const item = generateItem(
      {
        seed: 1,
        itemId: 'big',
        institutionId: 'ins_109508',
        institutionName: 'First Platypus Bank',
        username: 'user_good',
        profile: 'stable',
        products: ['transactions'],
        webhook: null,
        daysRequested: 30,
        today: '2025-03-14',
        createdAt: '2025-03-14T00:00:00Z',
      },
      market,
    );
    addBulkHistory(item, 1_000_000, '2025-03-14');
    const total = item.ledger.size;
    expect(total).toBeGreaterThan(1_000_000);

    let cursor: string | null = null;
    let seen = 0;
    let pages = 0;
    let heapAfterWarmup = 0;
    for (;;) {
      const page = syncPage(item, { cursor, count: 500, accountId: null, includeOriginalDescription: false });
      seen += page.added.length;
      pages++;
      if (pages === 50) heapAfterWarmup = process.memoryUsage().heapUsed;
      cursor = page.nextCursor;
      if (!page.hasMore) break;
    }
    expect(seen).toBe(total);
    expect(pages).toBe(Math.ceil(total / 500));
    // Serving ~2,000 pages must not keep anything per page: allow GC noise, not growth with pages.
    expect(process.memoryUsage().heapUsed - heapAfterWarmup).toBeLessThan(150 * 1024 * 1024);
  }, 60_000);
});
