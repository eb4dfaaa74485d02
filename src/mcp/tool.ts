import type { CallToolResult, McpServer, ToolAnnotations } from '@modelcontextprotocol/server';
import type { z } from 'zod';
import type { ApiTokenScope } from '../db/schema/index.js';
import { isAppError } from '../errors/app-error.js';
import type { Logger } from '../lib/logger.js';
import { RESULT_BUDGET_CHARS, resultChars, toolResult } from './budget.js';

/** Who calls: the principal the endpoint authenticated (any kind: PAT, later OAuth). */
export interface McpCaller {
  userId: string;
  scopes: readonly ApiTokenScope[];
}

/** Said by every tool's description: the rules an assistant must follow reading the figures. */
export const MONEY_RULES =
  'Money is an exact decimal string with its currency; negative = money out of the account (spent, ' +
  'owed), positive = money in; amounts in different currencies are never added together. Every answer ' +
  'carries as_of and freshness (stale = an institution last synced over 36 hours ago or needs its owner).';

export const READ_ONLY: ToolAnnotations = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: false,
};

interface ToolDefinition<I extends z.ZodType, O extends z.ZodType> {
  name: string;
  title: string;
  description: string;
  input: I;
  output: O;
  annotations: ToolAnnotations;
  /** The token scope the tool needs; a token without it gets a tool error that says so. */
  scope: ApiTokenScope;
  run(args: z.output<I>, caller: McpCaller): Promise<z.input<O> & Record<string, unknown>>;
}

/** A tool ready to register on a per-request server instance. */
export interface McpTool {
  name: string;
  register(server: McpServer, caller: McpCaller, log: Logger): void;
}

function toolError(message: string): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: message }] };
}

/** Field names as the tool's arguments name them (the domain reports `query.start_date`). */
const argumentName = (field: string) => field.replace(/^(query|body|params)\./, '');

/**
 * What the assistant reads when a call fails: our error's own words (and the fields it names) for a
 * client mistake or a known condition, a generic sentence otherwise (the details are logged, never
 * returned: no stack, no SQL).
 */
export function errorResult(tool: string, error: unknown, log: Logger): CallToolResult {
  if (isAppError(error)) {
    const fields = error.extra.errors?.map((e) => `${argumentName(e.field)}: ${e.message}`) ?? [];
    const detail = fields.length > 0 ? fields.join('; ') : error.detail;
    log.info({ tool, code: error.code }, 'tool call refused');
    return toolError(`${error.code}: ${detail}`);
  }
  log.error({ tool, err: error }, 'tool call failed');
  return toolError(`INTERNAL_ERROR: ${tool} failed on our side; try again in a moment.`);
}

/** Wraps a definition: scope check, errors as tool errors, the answer as structuredContent plus its text. */
export function defineTool<I extends z.ZodType, O extends z.ZodType>(tool: ToolDefinition<I, O>): McpTool {
  // The output schema as JSON Schema, converted once per process instead of once per request: each
  // request registers the tool on a new server, and tools/call hands this conversion to the wire codec.
  let outputSchemaJson: Record<string, unknown> | undefined;
  return {
    name: tool.name,
    register(server, caller, log) {
      const registered = server.registerTool(
        tool.name,
        {
          title: tool.title,
          description: tool.description,
          inputSchema: tool.input,
          outputSchema: tool.output,
          annotations: { title: tool.title, ...tool.annotations },
        },
        // The SDK types the callback from its own schema generics; ours is typed from the zod schema.
        (async (args: z.output<I>): Promise<CallToolResult> => {
          if (!caller.scopes.includes(tool.scope))
            return toolError(
              `INSUFFICIENT_SCOPE: ${tool.name} needs a token with the '${tool.scope}' scope and this ` +
                `connection's token has only ${caller.scopes.join(', ')}. Nothing was done. The owner can ` +
                `reconnect with the '${tool.scope}' scope (or a personal access token with scope ${tool.scope}).`,
            );
          try {
            // Through the output schema (the REST one): the REST fields, nothing the domain added.
            const result = toolResult(
              tool.output.parse(await tool.run(args, caller)) as Record<string, unknown>,
            );
            const size = resultChars(result);
            if (size > RESULT_BUDGET_CHARS) {
              log.warn({ tool: tool.name, size }, 'tool answer over the budget');
              return toolError(
                `ANSWER_TOO_LARGE: the answer would be ${size} characters (the limit is ${RESULT_BUDGET_CHARS}); ` +
                  'narrow it (dates, account_id, a coarser interval) or page with cursor.',
              );
            }
            return result;
          } catch (error) {
            return errorResult(tool.name, error, log);
          }
        }) as never,
      );
      if (outputSchemaJson) registered.outputSchemaJson = outputSchemaJson;
      else outputSchemaJson = registered.outputSchemaJson;
    },
  };
}
