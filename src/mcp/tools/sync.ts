import { z } from 'zod';
import { itemSchema } from '../../http/routes/items.js';
import { runSchema, runView, triggeredSchema, triggeredView } from '../../http/routes/sync.js';
import { envelopeShape } from '../../http/schemas/common.js';
import { cursorArgument, nextCursorField, truncatedField, type McpToolDeps } from '../deps.js';
import { pageToBudget } from '../paging.js';
import { defineTool, MONEY_RULES, READ_ONLY } from '../tool.js';

/** The latest ledger rows shown with the items. */
export const SYNC_STATUS_RUNS = 10;

type ItemView = z.output<typeof itemSchema>;

const itemId = z.uuid({ message: 'expected an item id (UUID)' });

/** Where the owner repairs or replaces an item that needs them (the /link page). */
function linkUrl(publicUrl: string, item: ItemView): string | null {
  if (item.status === 'revoked') return `${publicUrl}/link`;
  if (item.needs_update) return `${publicUrl}/link?item_id=${item.id}`;
  return null;
}

export function syncTools(deps: McpToolDeps) {
  return [
    defineTool({
      name: 'get_sync_status',
      title: 'Sync status',
      description:
        'My linked institutions (items): health, which products sync, last successful sync per product, ' +
        'consent, last error, freshness, and the latest sync runs (GET /v1/items and GET /v1/sync/runs). ' +
        'link_url is the page where the owner must repair (or re-link) an item that needs them: give it to ' +
        `the user, nothing else fixes it. ${MONEY_RULES}`,
      input: z.strictObject({
        item_id: itemId.optional().describe('Only this item (default: all my items)'),
        cursor: cursorArgument,
      }),
      output: z.object({
        ...envelopeShape,
        items: z.array(
          itemSchema.extend({
            link_url: z
              .string()
              .nullable()
              .describe('Where the owner repairs or re-links this item; null when it needs nothing'),
          }),
        ),
        last_runs: z.array(runSchema).describe(`The latest ${SYNC_STATUS_RUNS} sync runs, newest first`),
        next_cursor: nextCursorField,
        truncated: truncatedField,
      }),
      annotations: READ_ONLY,
      scope: 'read',
      async run(args, { userId }) {
        const [envelope, items, runs] = await Promise.all([
          deps.accounts.envelope(userId),
          args.item_id
            ? deps.items.get(userId, args.item_id).then((one) => [one.data])
            : deps.items.list(userId).then((all) => all.data),
          deps.syncRequests.listRuns(userId, {
            limit: SYNC_STATUS_RUNS,
            ...(args.item_id ? { itemId: args.item_id } : {}),
          }),
        ]);
        const shown = items.map((item) => ({ ...item, link_url: linkUrl(deps.publicUrl, item) }));
        const last_runs = runs.runs.map(runView);
        return pageToBudget('get_sync_status', shown, args.cursor, (page, next_cursor, truncated) => ({
          ...envelope,
          items: page,
          last_runs,
          next_cursor,
          truncated,
        }));
      },
    }),

    defineTool({
      name: 'sync_now',
      title: 'Sync now',
      description:
        'Asks for a sync of my items now (all, or item_id): accounts and balances, and the products each ' +
        'item has. Answers at once with what was queued; a sync already pending absorbs the request (so ' +
        'calling again does nothing more); an item that needs its owner is `blocked` (see link_url in ' +
        'get_sync_status). Follow progress with get_sync_status. Needs the write scope. ' +
        MONEY_RULES,
      input: z.strictObject({
        item_id: itemId.optional().describe('Only this item (default: all my items)'),
      }),
      output: z.object({ ...envelopeShape, data: z.array(triggeredSchema) }),
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: true,
      },
      scope: 'write',
      async run(args, { userId }) {
        const results = await deps.syncRequests.trigger(userId, args.item_id ? { itemId: args.item_id } : {});
        const envelope = await deps.accounts.envelope(userId);
        return { ...envelope, data: results.map(triggeredView) };
      },
    }),
  ];
}
