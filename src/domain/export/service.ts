import {
  exportSectionNames,
  type DeletedRows,
  type ExportSectionName,
  type ExportRepository,
  type TransactionCsvRow,
} from '../../db/repositories/export.js';
import { errors } from '../../errors/catalog.js';
import type { Logger } from '../../lib/logger.js';
import { isPlaidApiError } from '../../plaid/errors.js';
import type { PlaidClient } from '../../plaid/client.js';
import { decryptItemAccessToken, type AccessTokenCipher } from '../items/access-token-cipher.js';
import type { UsersRepository } from '../../db/repositories/users.js';
import { exportReadme } from './readme.js';
import { zipStream, type ZipEntry } from './zip.js';

/**
 * My data out, my data gone (docs/operations.md): a person's whole data as one streamed JSON document or
 * a streamed zip of one CSV per section (or their transactions alone as CSV), and the deletion of the
 * person with every row of theirs after their
 * items were removed at Plaid. The export never carries a token, a password hash or a ciphertext; the
 * repository leaves those columns out.
 */

export const EXPORT_FORMAT = 'finance-api-export';
export const EXPORT_VERSION = 1;

const CSV_COLUMNS: (keyof TransactionCsvRow)[] = [
  'id',
  'date',
  'authorized_date',
  'account_id',
  'account_name',
  'amount',
  'currency',
  'name',
  'merchant_name',
  'category',
  'category_detailed',
  'user_category',
  'user_note',
  'user_tags',
  'user_merchant_name',
  'excluded',
  'excluded_reason',
  'pending',
  'transfer_kind',
];

/** One CSV field (RFC 4180), and a leading formula character defused for spreadsheets. */
function csvField(value: string | null): string {
  if (value === null) return '';
  const text = /^[=+\-@\t\r]/.test(value) && !/^-?\d/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export interface DeletionReport {
  /** Items removed at Plaid, and those Plaid could not remove (logged by code; deletion went on). */
  items: { removed_at_plaid: number; not_removed_at_plaid: number };
  /** Rows deleted per table. */
  deleted: DeletedRows;
}

export function createPersonalDataService(deps: {
  export: ExportRepository;
  users: Pick<UsersRepository, 'findById'>;
  /** Plaid (our adapter) and the cipher of the access tokens; without them items are not removed at Plaid. */
  plaid?: PlaidClient;
  cipher?: AccessTokenCipher;
  logger?: Pick<Logger, 'info' | 'warn'>;
}) {
  return {
    /**
     * The person's data as one JSON document, in chunks: `{"format", "version", "exported_at",
     * "user": {...}, "<section>": [...], ...}`; each section read in batches, so memory stays bounded.
     */
    async *exportJson(userId: string, now: Date = new Date()): AsyncGenerator<string> {
      const user = await deps.users.findById(userId);
      if (!user) throw errors.notFound('user', userId);
      yield `{"format":"${EXPORT_FORMAT}","version":${EXPORT_VERSION},"exported_at":"${now.toISOString()}"`;
      for (const section of exportSectionNames) {
        if (section === 'user') {
          for await (const batch of deps.export.sectionRows(userId, section)) yield `,"user":${batch[0]}`;
          continue;
        }
        yield `,"${section}":[`;
        let first = true;
        for await (const batch of deps.export.sectionRows(userId, section)) {
          yield (first ? '' : ',') + batch.join(',');
          first = false;
        }
        yield ']';
      }
      yield '}\n';
    },

    /**
     * The person's data as a zip, in chunks: README.txt (conventions, columns), then `<section>.csv` for
     * every section of the JSON document (the database's columns, one line per row under a header),
     * each read in keyset batches and deflated as it comes, so memory stays bounded.
     */
    async *exportCsvZip(userId: string, now: Date = new Date()): AsyncGenerator<Buffer> {
      const user = await deps.users.findById(userId);
      if (!user) throw errors.notFound('user', userId);
      const sectionCsv = async function* (section: ExportSectionName): AsyncGenerator<string> {
        const { columns, lines } = await deps.export.sectionCsv(userId, section);
        yield `${columns.join(',')}\r\n`;
        for await (const batch of lines) yield `${batch.join('\r\n')}\r\n`;
      };
      const entries = function* (): Generator<ZipEntry> {
        yield { name: 'README.txt', content: [exportReadme(now, EXPORT_FORMAT, EXPORT_VERSION)] };
        for (const section of exportSectionNames) {
          yield { name: `${section}.csv`, content: sectionCsv(section) };
        }
      };
      yield* zipStream(entries(), now);
    },

    /** The person's transactions as CSV (newest first), in chunks, with a header line. */
    async *exportTransactionsCsv(userId: string): AsyncGenerator<string> {
      const user = await deps.users.findById(userId);
      if (!user) throw errors.notFound('user', userId);
      yield `${CSV_COLUMNS.join(',')}\r\n`;
      for await (const batch of deps.export.transactionCsvRows(userId)) {
        yield batch.map((row) => `${CSV_COLUMNS.map((c) => csvField(row[c])).join(',')}\r\n`).join('');
      }
    },

    /**
     * Removes every item of the person at Plaid (an error is logged by its code and the deletion goes
     * on: the person asked for their data to be gone), then deletes the person and all their rows.
     */
    async deletePerson(userId: string): Promise<DeletionReport> {
      const items = await deps.export.listItemsForRemoval(userId);
      let removed = 0;
      for (const item of items) {
        if (!deps.plaid || !deps.cipher) {
          deps.logger?.warn({ userId, itemId: item.id }, 'no Plaid here: item not removed at Plaid');
          continue;
        }
        try {
          const accessToken = decryptItemAccessToken(deps.cipher, item);
          await deps.plaid.itemRemove({ access_token: accessToken });
          removed++;
        } catch (error) {
          const code = isPlaidApiError(error)
            ? error.errorCode
            : ((error as { code?: string }).code ?? (error as Error).name);
          deps.logger?.warn(
            { userId, itemId: item.id, code },
            'item not removed at Plaid; deleting it here anyway',
          );
        }
      }
      const deleted = await deps.export.deletePerson(userId);
      if (!deleted) throw errors.notFound('user', userId);
      deps.logger?.info({ userId, items: items.length, removedAtPlaid: removed }, 'person deleted');
      return { items: { removed_at_plaid: removed, not_removed_at_plaid: items.length - removed }, deleted };
    },
  };
}

export type PersonalDataService = ReturnType<typeof createPersonalDataService>;
