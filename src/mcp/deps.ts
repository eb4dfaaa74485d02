import { z } from 'zod';
import type { AccountsService } from '../domain/accounts/service.js';
import type { AnalyticsService } from '../domain/analytics/service.js';
import type { ItemsService } from '../domain/items/service.js';
import type { SyncRequestsService } from '../domain/sync/requests.js';
import type { TransactionsService } from '../domain/transactions/service.js';
import type { DataSurfaceToolDeps } from './tools/data-surface.js';
import type { EditsToolDeps } from './tools/edits.js';
import type { InsightsToolDeps } from './tools/insights.js';

/** The domain services the tools call (the same ones the REST routes call), and where we are reached. */
export interface McpToolDeps extends DataSurfaceToolDeps, InsightsToolDeps, EditsToolDeps {
  publicUrl: string;
  accounts: AccountsService;
  transactions: TransactionsService;
  analytics: AnalyticsService;
  items: ItemsService;
  syncRequests: SyncRequestsService;
}

/** Output fields the tools add to the REST shapes to stay within the budget. */
export const truncatedField = z
  .string()
  .nullable()
  .describe('Null when the answer is complete; otherwise what was left out and how to ask for it');

export const nextCursorField = z
  .string()
  .nullable()
  .describe('Pass as `cursor` (with the same other arguments) for the rest; null at the end');

export const cursorArgument = z
  .string()
  .max(2000)
  .optional()
  .describe('next_cursor of the previous answer of this tool');
