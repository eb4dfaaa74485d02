import { McpServer } from '@modelcontextprotocol/server';
import type { Logger } from '../lib/logger.js';
import { packageVersion } from '../lib/package-info.js';
import type { McpToolDeps } from './deps.js';
import type { McpCaller, McpTool } from './tool.js';
import { accountTools } from './tools/accounts.js';
import { analyticsTools } from './tools/analytics.js';
import { dataSurfaceTools } from './tools/data-surface.js';
import { editsTools } from './tools/edits.js';
import { insightsTools } from './tools/insights.js';
import { searchFetchTools } from './tools/search-fetch.js';
import { syncTools } from './tools/sync.js';
import { transactionTools } from './tools/transactions.js';

export const MCP_SERVER_NAME = 'finance-api';

const INSTRUCTIONS =
  'Personal finance data of the signed-in person, synced from their banks through Plaid. Amounts are ' +
  'exact decimal strings with a currency: negative = money out, positive = money in; never add amounts ' +
  'of different currencies. Check freshness.stale before stating balances as current. Page with ' +
  'next_cursor; a non-null `truncated` says what was left out and how to ask for it.';

/** Every tool, in the order tools/list shows them (fixed: the list is deterministic). */
export function mcpTools(deps: McpToolDeps): McpTool[] {
  return [
    ...accountTools(deps),
    ...transactionTools(deps),
    ...analyticsTools(deps),
    ...insightsTools(deps),
    ...dataSurfaceTools(deps),
    ...editsTools(deps),
    ...syncTools(deps),
    ...searchFetchTools(deps),
  ];
}

/** One server instance for one request (the SDK's per-request factory), bound to its caller. */
export function buildMcpServer(tools: readonly McpTool[], caller: McpCaller, log: Logger): McpServer {
  const server = new McpServer(
    { name: MCP_SERVER_NAME, title: 'Finance Aggregation API', version: packageVersion },
    { instructions: INSTRUCTIONS },
  );
  for (const tool of tools) tool.register(server, caller, log);
  return server;
}
