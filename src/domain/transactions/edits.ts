import type {
  OwnerFieldsChange,
  TransactionEditsRepository,
} from '../../db/repositories/transaction-edits.js';
import { errors } from '../../errors/catalog.js';
import type { TransactionPatch } from '../../http/schemas/owner-edits.js';
import type { Logger } from '../../lib/logger.js';
import type { AnalyticsMaterializers } from '../analytics/materializers.js';
import type { TransactionDetailService, TransactionDetailView } from './detail.js';
import { transactionEtag, versionsOfIfMatch } from './edits-etag.js';

/** Tags as the owner gave them, each once (first spelling kept, compared without case). */
export function distinctTags(tags: readonly string[]): string[] {
  const seen = new Set<string>();
  return tags.filter((tag) => {
    const key = tag.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The repository's change for a validated PATCH body (absent fields stay as they are). */
export function ownerFieldsChangeOf(patch: TransactionPatch): OwnerFieldsChange {
  const change: OwnerFieldsChange = {};
  if (patch.note !== undefined) change.note = patch.note;
  if (patch.category !== undefined) change.category = patch.category;
  if (patch.tags !== undefined) change.tags = distinctTags(patch.tags);
  if (patch.merchant_name !== undefined) change.merchantName = patch.merchant_name;
  if (patch.excluded !== undefined) {
    change.excluded = {
      excluded: patch.excluded,
      reason: patch.excluded ? (patch.excluded_reason ?? null) : null,
    };
  }
  return change;
}

/**
 * The owner's edits of a transaction (PATCH /v1/transactions/{id}, the MCP tool update_transaction):
 * the fields given are set and marked as set by hand (rules leave them alone), the version moves on, and
 * when a figure depends on them (category, exclusion, merchant name) the person's cash flow (and, for a
 * category, transfers) is recomputed at once (`refreshCashflow`: net worth does not depend on them), so
 * that cash flow and budgets follow the edit; the statements announce the
 * person's changed rows, which drops that person's cached answers only (src/http/read-cache.ts).
 */
export function createTransactionEditsService(deps: {
  edits: TransactionEditsRepository;
  detail: Pick<TransactionDetailService, 'get'>;
  materializers: Pick<AnalyticsMaterializers, 'refreshCashflow'>;
  logger?: Pick<Logger, 'error'>;
}) {
  /** A refresh that fails is logged (never its statement) and healed by the next one: the edit stands. */
  async function refresh(userId: string, changed: { category: boolean }): Promise<void> {
    try {
      await deps.materializers.refreshCashflow(userId, { transfers: changed.category });
    } catch (error) {
      deps.logger?.error({ userId, err: error }, 'analytics refresh after an owner edit failed');
    }
  }

  return {
    refresh,

    /**
     * Applies `patch` to the caller's transaction `id`. `ifMatch` (the header) and `patch.version` are
     * preconditions: when given, the transaction must still be at that version, else 412 with its ETag.
     * Another person's transaction is 404.
     */
    async edit(
      userId: string,
      id: string,
      patch: TransactionPatch,
      ifMatch?: string,
    ): Promise<TransactionDetailView> {
      let expected = ifMatch === undefined ? undefined : versionsOfIfMatch(ifMatch);
      if (patch.version !== undefined) {
        expected = (expected ?? [patch.version]).filter((v) => v === patch.version);
      }
      const outcome = await deps.edits.edit(userId, id, ownerFieldsChangeOf(patch), expected);
      if (outcome.status === 'not_found') throw errors.notFound('transaction', id);
      if (outcome.status === 'version_mismatch') {
        throw errors.preconditionFailed('transaction', transactionEtag(outcome.version));
      }
      // Notes and tags are in no figure: only a category, an exclusion or a merchant name moves cash flow.
      if (patch.category !== undefined || patch.excluded !== undefined || patch.merchant_name !== undefined) {
        await refresh(userId, { category: patch.category !== undefined });
      }
      return deps.detail.get(userId, id);
    },
  };
}

export type TransactionEditsService = ReturnType<typeof createTransactionEditsService>;
