import { z } from 'zod';
import { accountSchema } from '../../http/routes/accounts.js';
import { envelopeShape } from '../../http/schemas/common.js';
import { cursorArgument, nextCursorField, truncatedField, type McpToolDeps } from '../deps.js';
import { pageToBudget } from '../paging.js';
import { defineTool, MONEY_RULES, READ_ONLY } from '../tool.js';

export function accountTools(deps: McpToolDeps) {
  return [
    defineTool({
      name: 'list_accounts',
      title: 'List accounts',
      description:
        'My bank, card, loan and investment accounts with balances, currency, institution, item health ' +
        'and freshness (GET /v1/accounts). balances.current is the owner’s side: positive = the owner has ' +
        `it, negative = owed (credit cards, loans). ${MONEY_RULES}`,
      input: z.strictObject({ cursor: cursorArgument }),
      output: z.object({
        ...envelopeShape,
        data: z.array(accountSchema),
        next_cursor: nextCursorField,
        truncated: truncatedField,
      }),
      annotations: READ_ONLY,
      scope: 'read',
      async run({ cursor }, { userId }) {
        const [envelope, rows] = await Promise.all([
          deps.accounts.envelope(userId),
          deps.accounts.list(userId),
        ]);
        return pageToBudget('list_accounts', rows, cursor, (data, next_cursor, truncated) => ({
          ...envelope,
          data,
          next_cursor,
          truncated,
        }));
      },
    }),
  ];
}
