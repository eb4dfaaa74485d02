import type { TransactionRecord } from './transaction-record.js';

interface LedgerEntry {
  /** The current record, or null once removed (a tombstone: ids are never reused). */
  record: TransactionRecord | null;
  readonly accountId: string;
  /** Version at which the row first appeared. */
  readonly createdSeq: number;
  /** Version of the row's latest change; a log position older than this is superseded. */
  lastSeq: number;
}

export type LedgerChange =
  | { readonly kind: 'added'; readonly record: TransactionRecord }
  | { readonly kind: 'modified'; readonly record: TransactionRecord }
  | { readonly kind: 'removed'; readonly id: string; readonly accountId: string };

export interface LedgerScan {
  readonly changes: LedgerChange[];
  /** Log position consumed so far: the next scan starts after it. */
  readonly position: number;
  readonly hasMore: boolean;
}

export type LedgerListener = (before: TransactionRecord | null, after: TransactionRecord | null) => void;

/**
 * An item's transactions with their append-only change log. The version is the log's length; a
 * sync cursor is a position in this log, so paging a million rows never copies the set: each page
 * walks the log from where the previous one stopped and keeps only each row's latest change.
 */
export class TransactionLedger {
  private readonly log: string[] = [];
  private readonly entries = new Map<string, LedgerEntry>();
  private liveCount = 0;

  constructor(private readonly listener?: LedgerListener) {}

  get version(): number {
    return this.log.length;
  }

  get size(): number {
    return this.liveCount;
  }

  get(id: string): TransactionRecord | undefined {
    return this.entries.get(id)?.record ?? undefined;
  }

  /** True when the id was ever used, live or removed. */
  knows(id: string): boolean {
    return this.entries.has(id);
  }

  add(record: TransactionRecord): void {
    if (this.entries.has(record.id)) throw new Error(`transaction ${record.id} already exists`);
    this.log.push(record.id);
    const seq = this.log.length;
    this.entries.set(record.id, { record, accountId: record.accountId, createdSeq: seq, lastSeq: seq });
    this.liveCount++;
    this.listener?.(null, record);
  }

  replace(record: TransactionRecord): void {
    const entry = this.entries.get(record.id);
    if (!entry?.record) throw new Error(`transaction ${record.id} is not live`);
    if (entry.accountId !== record.accountId) throw new Error('a transaction never changes account');
    const before = entry.record;
    this.log.push(record.id);
    entry.record = record;
    entry.lastSeq = this.log.length;
    this.listener?.(before, record);
  }

  remove(id: string): TransactionRecord | undefined {
    const entry = this.entries.get(id);
    if (!entry?.record) return undefined;
    const before = entry.record;
    this.log.push(id);
    entry.record = null;
    entry.lastSeq = this.log.length;
    this.liveCount--;
    this.listener?.(before, null);
    return before;
  }

  *live(): IterableIterator<TransactionRecord> {
    for (const entry of this.entries.values()) if (entry.record) yield entry.record;
  }

  /**
   * Net changes between version `base` and version `until` (the current version), starting after
   * log position `from`, at most `count` of them, in order of last modification. A row added and
   * removed after `base` is not reported; a row that existed at `base` and changed is `modified`.
   */
  scan(base: number, from: number, until: number, count: number, accountId?: string): LedgerScan {
    const changes: LedgerChange[] = [];
    for (let seq = from + 1; seq <= until; seq++) {
      const id = this.log[seq - 1];
      if (id === undefined) break;
      const entry = this.entries.get(id);
      if (!entry || entry.lastSeq !== seq) continue;
      if (accountId !== undefined && entry.accountId !== accountId) continue;
      let change: LedgerChange | null;
      if (entry.record) {
        change =
          entry.createdSeq > base
            ? { kind: 'added', record: entry.record }
            : { kind: 'modified', record: entry.record };
      } else {
        change = entry.createdSeq <= base ? { kind: 'removed', id, accountId: entry.accountId } : null;
      }
      if (!change) continue;
      if (changes.length === count) return { changes, position: seq - 1, hasMore: true };
      changes.push(change);
    }
    return { changes, position: until, hasMore: false };
  }
}
