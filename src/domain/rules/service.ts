import type { AccountsRepository } from '../../db/repositories/accounts.js';
import type { RuleRow, RulesRepository } from '../../db/repositories/rules.js';
import { errors } from '../../errors/catalog.js';
import type { CreateRuleBody, RuleApplication, RuleView } from '../../http/schemas/owner-edits.js';
import { OWNER_TEXT_LIMITS } from '../../http/schemas/owner-edits.js';
import { formatMoney } from '../../lib/money.js';
import { distinctTags } from '../transactions/edits.js';

/** How many changed ids an application shows. */
export const RULE_SAMPLE_SIZE = 20;

export function toRuleView(row: RuleRow): RuleView {
  return {
    id: row.id,
    match: { field: row.matchField, kind: row.matchKind, text: row.matchText },
    min_amount: formatMoney(row.minAmount),
    max_amount: formatMoney(row.maxAmount),
    account_id: row.accountId,
    set_category: row.setCategory,
    add_tags: row.addTags,
    exclude: row.exclude,
    excluded_reason: row.excludedReason,
    created_at: row.createdAt.toISOString(),
  };
}

/**
 * A person's transaction rules (docs/domain.md "Owner edits and rules"): created, listed, deleted, and
 * applied to the whole history on request (or only counted, `dryRun`). The sync applies them to the
 * rows each page adds or modifies (src/db/repositories/sync-data.ts). A field the owner set by hand is
 * never changed by a rule. After an application that changed something, the person's read model is
 * refreshed at once, as after an edit.
 */
export function createRulesService(deps: {
  rules: RulesRepository;
  accounts: Pick<AccountsRepository, 'getForUser'>;
  refresh: (userId: string, changed: { category: boolean }) => Promise<void>;
}) {
  async function ruleOf(userId: string, id: string): Promise<RuleRow> {
    const rule = await deps.rules.get(userId, id);
    if (!rule) throw errors.notFound('rule', id);
    return rule;
  }

  return {
    async create(userId: string, body: CreateRuleBody): Promise<RuleView> {
      if (body.account_id !== undefined && !(await deps.accounts.getForUser(userId, body.account_id))) {
        throw errors.notFound('account', body.account_id);
      }
      if ((await deps.rules.countOf(userId)) >= OWNER_TEXT_LIMITS.rules) {
        throw errors.ruleLimitReached(OWNER_TEXT_LIMITS.rules);
      }
      const row = await deps.rules.create({
        userId,
        matchField: body.match.field,
        matchKind: body.match.kind,
        matchText: body.match.text,
        minAmount: body.min_amount ?? null,
        maxAmount: body.max_amount ?? null,
        accountId: body.account_id ?? null,
        setCategory: body.set_category ?? null,
        addTags: distinctTags(body.add_tags ?? []),
        exclude: body.exclude ?? false,
        excludedReason: body.exclude ? (body.excluded_reason ?? null) : null,
      });
      return toRuleView(row);
    },

    async list(userId: string): Promise<RuleView[]> {
      return (await deps.rules.list(userId)).map(toRuleView);
    },

    /** Deleting a rule leaves what it already set (those are the transactions' fields now). */
    async delete(userId: string, id: string): Promise<void> {
      if (!(await deps.rules.delete(userId, id))) throw errors.notFound('rule', id);
    },

    async apply(userId: string, id: string, options: { dryRun: boolean }): Promise<RuleApplication> {
      await ruleOf(userId, id);
      if (options.dryRun) {
        const { count, sample } = await deps.rules.wouldChange(
          userId,
          id,
          { kind: 'history' },
          RULE_SAMPLE_SIZE,
        );
        return { rule_id: id, dry_run: true, changed: count, sample_ids: sample };
      }
      const changed = await deps.rules.apply(userId, id, { kind: 'history' });
      if (changed.length > 0) await deps.refresh(userId, { category: true });
      return {
        rule_id: id,
        dry_run: false,
        changed: changed.length,
        sample_ids: changed.slice(0, RULE_SAMPLE_SIZE),
      };
    },
  };
}

export type RulesService = ReturnType<typeof createRulesService>;
