import { z } from 'zod';
import type { AccountsService } from '../../domain/accounts/service.js';
import type { RulesService } from '../../domain/rules/service.js';
import type { TransactionEditsService } from '../../domain/transactions/edits.js';
import { transactionDetailSchema } from '../../http/routes/transaction-detail.js';
import { envelopeShape } from '../../http/schemas/common.js';
import { checkTransactionPatch, ruleSchema, transactionPatchShape } from '../../http/schemas/owner-edits.js';
import { cursorArgument, nextCursorField, truncatedField } from '../deps.js';
import { pageToBudget } from '../paging.js';
import { defineTool, MONEY_RULES, READ_ONLY } from '../tool.js';

export interface EditsToolDeps {
  accounts: AccountsService;
  transactionEdits: TransactionEditsService;
  rules: RulesService;
}

/**
 * The owner's edits as MCP tools: update_transaction (write scope, PATCH /v1/transactions/{id}) and
 * list_rules (GET /v1/rules). Same schemas, same services, same answers as the REST routes.
 */
export function editsTools(deps: EditsToolDeps) {
  return [
    defineTool({
      name: 'update_transaction',
      title: 'Update a transaction',
      description:
        'Sets my own fields of one transaction (PATCH /v1/transactions/{id}): note, category (used instead ' +
        "of Plaid's in cash flow and budgets; null: Plaid's again), tags (replaces the list), excluded " +
        '(left out of income and spending, still listed) with excluded_reason (e.g. reimbursed), ' +
        'merchant_name. Only the fields given change. Pass version (from get_transaction) so that an edit ' +
        'made meanwhile is not overwritten (PRECONDITION_FAILED: read it again). What is set here beats ' +
        'any rule and survives every sync. Needs the write scope. ' +
        MONEY_RULES,
      input: z
        .strictObject({
          transaction_id: z.uuid({ message: 'expected a transaction id (UUID)' }),
          ...transactionPatchShape,
        })
        .superRefine(({ transaction_id: _id, ...patch }, ctx) => checkTransactionPatch(patch, ctx)),
      output: z.object({ ...envelopeShape, data: transactionDetailSchema }),
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: false,
      },
      scope: 'write',
      async run({ transaction_id: id, ...patch }, { userId }) {
        const data = await deps.transactionEdits.edit(userId, id, patch);
        const envelope = await deps.accounts.envelope(userId);
        return { ...envelope, data };
      },
    }),

    defineTool({
      name: 'list_rules',
      title: 'List rules',
      description:
        'My transaction rules (GET /v1/rules), in the order they apply: when the merchant or name ' +
        'contains or equals a text (case-insensitive), optionally within an amount range and one ' +
        'account, set a category, add tags or exclude. Rules apply at every sync to new and modified ' +
        'transactions, never to a field I set by hand. ' +
        MONEY_RULES,
      input: z.strictObject({ cursor: cursorArgument }),
      output: z.object({
        ...envelopeShape,
        data: z.array(ruleSchema),
        next_cursor: nextCursorField,
        truncated: truncatedField,
      }),
      annotations: READ_ONLY,
      scope: 'read',
      async run(args, { userId }) {
        const [envelope, rules] = await Promise.all([
          deps.accounts.envelope(userId),
          deps.rules.list(userId),
        ]);
        return pageToBudget('list_rules', rules, args.cursor, (data, next_cursor, truncated) => ({
          ...envelope,
          data,
          next_cursor,
          truncated,
        }));
      },
    }),
  ];
}
