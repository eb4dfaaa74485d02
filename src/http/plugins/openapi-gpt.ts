import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * The GPT Actions profile of our OpenAPI document, served at /openapi.gpt.json: derived from the document
 * @fastify/swagger generates from the routes' zod schemas (/openapi.json), never written by hand. It keeps
 * only what a person asks an assistant for, within the limits ChatGPT sets on Actions (docs/llm.md):
 * at most 30 operations, descriptions of at most 300 characters (parameters 700), no array query
 * parameters, `x-openai-isConsequential` on every non-GET, one server, and a document far below 100,000
 * characters (long regex patterns become a `format` and a description).
 */

type Json = Record<string, unknown>;
type OpenApiDocument = Json & { paths?: Record<string, Record<string, Json>>; components?: Json };

/** The most characters ChatGPT reads of an operation's summary or description, and of a parameter's. */
export const GPT_LIMITS = { operations: 30, description: 300, parameterDescription: 700, document: 100_000 };

interface GptOperation {
  /** What the model reads to choose the operation (≤ 300 characters). */
  description: string;
  /** The OAuth scope it needs. */
  scope: 'read' | 'write';
  /** Only for non-GET operations: does ChatGPT ask the person before calling it. */
  consequential?: boolean;
  /** The example of its JSON request body, when it has one. */
  bodyExample?: unknown;
  /** Query parameters left out of the profile (replaced by a form a GPT can send). */
  omitParameters?: readonly string[];
}

const SIGN =
  'Amounts are exact decimal strings with a currency; negative = money left the account or is owed.';

/**
 * The operations a person asks an assistant for, by the operationId of /openapi.json. Left out on
 * purpose: health, sign-in and registration, token and grant management, Plaid's webhook, Link tokens
 * and the public-token exchange (a browser does those), deleting an item and marking it repaired.
 */
export const GPT_OPERATIONS: Readonly<Record<string, GptOperation>> = {
  getMe: {
    scope: 'read',
    description: 'Who is signed in: the user id and email of the account the GPT reads.',
  },
  listAccounts: {
    scope: 'read',
    description: `Every account (bank, card, loan, brokerage) with its balance, currency, institution and item health. ${SIGN}`,
  },
  getAccount: { scope: 'read', description: `One account by id (from listAccounts). ${SIGN}` },
  listTransactions: {
    scope: 'read',
    description:
      `Transactions newest first, filtered by accounts, dates, category, merchant, text, amount, pending or direction. ${SIGN} ` +
      'More pages: call again with cursor = next_cursor and the same filters.',
    omitParameters: ['account_id'],
  },
  listHoldings: {
    scope: 'read',
    description:
      'Investment positions with quantity, price, value, cost basis and gain, and totals and allocation per currency. Currencies are never added together.',
  },
  getNetWorth: {
    scope: 'read',
    description:
      'Assets, liabilities and net worth now, per currency (never converted or added across currencies), ' +
      'and their history; the interval is chosen so the answer stays small unless you pass one.',
  },
  getCashflowSummary: {
    scope: 'read',
    description:
      'Income, spending, net and savings rate per month (or week), per currency, and spending by category. ' +
      'Transfers between own accounts are reported apart, not as spending. Default: the last 12 months.',
  },
  listLiabilities: {
    scope: 'read',
    description:
      'Credit cards, student loans and mortgages: APRs, statement balance, minimum payment, due date, last ' +
      'payment, overdue, interest rate, principal, payoff date, escrow. Here what is owed is POSITIVE.',
  },
  listInvestmentTransactions: {
    scope: 'read',
    description:
      'Buys, sells, dividends, interest, fees and transfers in investment accounts, newest first, by account, ' +
      `security, type, subtype or dates: security, quantity, price, amount, fees. ${SIGN} Next page: next_cursor.`,
    omitParameters: ['account_id'],
  },
  listRecurring: {
    scope: 'read',
    description: `Subscriptions, bills and salary found in the last 18 months: merchant, typical amount, cadence, next expected date. ${SIGN}`,
  },
  getNetWorthChange: {
    scope: 'read',
    description:
      'Why net worth changed between two days, per currency: income, spending, fees, investment contributions, ' +
      'market movement, debt paydown, own transfers and the unexplained rest, adding up to the change. Default: the last 30 days.',
  },
  getInsights: {
    scope: 'read',
    description:
      'What is different in a month: category spending vs its 6-month median, largest transactions, new ' +
      `merchants, subscription changes, missing income, fees, stale accounts; with transaction ids. ${SIGN}`,
  },
  getBudgets: {
    scope: 'read',
    description:
      'Budgets of a month per category: budgeted, spent (positive), pending, rollover, remaining and a month-end projection; totals per currency.',
  },
  suggestBudgets: {
    scope: 'read',
    description:
      'A starting monthly budget per category: the median spending (positive) of the last 6 complete months.',
  },
  putBudget: {
    scope: 'write',
    consequential: true,
    bodyExample: { amount: '400.00', currency: 'USD', rollover: false },
    description:
      'Set the monthly budget of a spending category in one currency (amount positive, as a decimal string). Only when the person asks.',
  },
  updateTransaction: {
    scope: 'write',
    consequential: false,
    bodyExample: { note: 'Dinner with Sam, to be reimbursed', excluded: true, excluded_reason: 'reimbursed' },
    omitParameters: ['if-match'],
    description:
      'Set my own fields of a transaction (id from listTransactions): note, category, tags, excluded with a ' +
      'reason (left out of income and spending), merchant_name; null clears one. Beats rules, survives syncs. ' +
      'Only when the person asks.',
  },
  listRules: {
    scope: 'read',
    description:
      'My rules, oldest first: when the merchant or name contains or equals a text (and an amount range, ' +
      `an account), set a category, add tags or exclude; applied at every sync. ${SIGN}`,
  },
  listItems: {
    scope: 'read',
    description:
      'Linked institutions (items): status, last successful sync per product, consent expiry, last error. ' +
      'An item whose status is not good needs its owner to repair it at the /link page.',
  },
  getItem: {
    scope: 'read',
    description: 'One linked institution (item) by id, with its status and sync state.',
  },
  listSyncRuns: {
    scope: 'read',
    description:
      'The sync ledger, newest first: what was synced when, with counts and errors. Use it to judge how fresh the figures are.',
  },
  triggerSync: {
    scope: 'write',
    consequential: true,
    // Empty: every item. An item_id in the example would be copied as is.
    bodyExample: {},
    description:
      'Ask for a fresh sync of all linked institutions (or one item_id) now. Answers 202 at once; the data ' +
      'updates within a minute or two. Only when the person asks for fresh data.',
  },
};

/** Descriptions and examples for parameters whose route leaves them out (every GPT parameter has both). */
const PARAMETER_HELP: Readonly<Record<string, { description?: string; example?: unknown }>> = {
  id: {
    description: 'The id (UUID) from the list operation',
    example: '3f0c5a9e-8d1b-4c2a-9f47-1e2d3c4b5a69',
  },
  account_ids: { example: '3f0c5a9e-8d1b-4c2a-9f47-1e2d3c4b5a69,7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d' },
  item_id: {
    description: 'Only this item (UUID, from listItems)',
    example: '5b2e7f10-3c4d-4e5f-8a9b-0c1d2e3f4a5b',
  },
  account_id: { example: '3f0c5a9e-8d1b-4c2a-9f47-1e2d3c4b5a69' },
  security_id: { example: '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a' },
  type: { description: 'buy, sell, cancel, cash, fee or transfer', example: 'cash' },
  subtype: { example: 'dividend' },
  start_date: { example: '2026-01-01' },
  month: { example: '2026-03' },
  currency: { example: 'USD' },
  end_date: { example: '2026-01-31' },
  category: { example: 'FOOD_AND_DRINK' },
  merchant: { example: 'Starbucks' },
  q: { example: 'coffee' },
  min_amount: { example: '25' },
  max_amount: { example: '100.50' },
  pending: { description: 'true: only pending transactions; false: only posted ones', example: 'false' },
  direction: {
    description: 'in: money that came in (positive amounts); out: money that left (negative)',
    example: 'out',
  },
  limit: { description: 'How many rows per page', example: 25 },
  cursor: { description: 'next_cursor of the previous answer, to get the next page (same filters)' },
  interval: { description: 'Length of each period (one of the listed values)', example: 'month' },
  include_pending: { description: 'true: count pending transactions too (default false)', example: 'false' },
  detailed: { example: 'false' },
};

/** Patterns longer than this (zod's date-time, UUID and e-mail regexes) become a format and a description. */
const LONG_PATTERN = 40;
const FORMAT_DESCRIPTIONS: Readonly<Record<string, string>> = {
  'date-time': 'RFC 3339 date-time in UTC, e.g. 2026-01-31T12:00:00Z',
  date: 'A date YYYY-MM-DD',
  uuid: 'An id (UUID)',
  email: 'An email address',
};
const DATE_PATTERN = '^\\d{4}-\\d{2}-\\d{2}$';

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Long patterns out (a format and a description in their place), YYYY-MM-DD patterns as `format: date`. */
function simplifySchemas(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) simplifySchemas(item);
    return;
  }
  if (!isObject(node)) return;
  if (typeof node.pattern === 'string') {
    if (node.pattern === DATE_PATTERN) node.format ??= 'date';
    // zod's long regexes come with their format (date-time, uuid, email): the format says it in a word.
    if (node.pattern === DATE_PATTERN || node.pattern.length > LONG_PATTERN) {
      delete node.pattern;
      const described = typeof node.format === 'string' ? FORMAT_DESCRIPTIONS[node.format] : undefined;
      if (node.description === undefined && described) node.description = described;
    }
  }
  for (const value of Object.values(node)) simplifySchemas(value);
}

/** Every `#/components/schemas/X` reachable from `root`, following references transitively. */
function referencedSchemas(root: unknown, schemas: Json): Set<string> {
  const found = new Set<string>();
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (Array.isArray(node)) stack.push(...node);
    else if (isObject(node)) {
      const ref = node.$ref;
      if (typeof ref === 'string' && ref.startsWith('#/components/schemas/')) {
        const name = ref.slice('#/components/schemas/'.length);
        if (!found.has(name)) {
          found.add(name);
          stack.push(schemas[name]);
        }
      }
      stack.push(...Object.values(node));
    }
  }
  return found;
}

function gptParameter(parameter: Json): Json {
  const name = String(parameter.name);
  const help = PARAMETER_HELP[name] ?? {};
  const schema = isObject(parameter.schema) ? parameter.schema : {};
  const out: Json = { ...parameter };
  out.description ??=
    help.description ?? (typeof schema.description === 'string' ? schema.description : undefined);
  if (out.example === undefined && help.example !== undefined) out.example = help.example;
  return out;
}

/**
 * The GPT Actions profile of `source` (the generated OpenAPI document, not changed): the operations of
 * GPT_OPERATIONS only, with their GPT descriptions, OAuth scopes and consequential flags; parameters
 * described and exemplified; long regexes replaced; only the component schemas still referenced; one
 * server; security schemes for a personal access token and for OAuth (authorization code).
 */
export function gptActionsDocument(source: OpenApiDocument, options: { publicUrl: string }): OpenApiDocument {
  const doc = structuredClone(source);
  const paths: Record<string, Record<string, Json>> = {};
  for (const [path, methods] of Object.entries(doc.paths ?? {})) {
    for (const [method, operation] of Object.entries(methods)) {
      const gpt = GPT_OPERATIONS[String(operation.operationId)];
      if (!gpt) continue;
      const parameters = Array.isArray(operation.parameters) ? (operation.parameters as Json[]) : [];
      const out: Json = {
        ...operation,
        description: gpt.description,
        parameters: parameters
          .filter((parameter) => !gpt.omitParameters?.includes(String(parameter.name)))
          .map(gptParameter),
        security: [{ personalAccessToken: [] }, { oauth: [gpt.scope] }],
      };
      if (out.parameters && (out.parameters as unknown[]).length === 0) delete out.parameters;
      if (method !== 'get') out['x-openai-isConsequential'] = gpt.consequential ?? true;
      const body = isObject(operation.requestBody) ? operation.requestBody.content : undefined;
      const json = isObject(body) ? body['application/json'] : undefined;
      if (isObject(json) && gpt.bodyExample !== undefined) json.example = gpt.bodyExample;
      (paths[path] ??= {})[method] = out;
    }
  }
  simplifySchemas(paths);
  const allSchemas = isObject(doc.components?.schemas) ? doc.components.schemas : {};
  simplifySchemas(allSchemas);
  const kept = referencedSchemas(paths, allSchemas);
  const schemas = Object.fromEntries(Object.entries(allSchemas).filter(([name]) => kept.has(name)));

  return {
    openapi: '3.1.0',
    info: {
      title: 'Finance Aggregation API (GPT Actions)',
      version: isObject(doc.info) ? String(doc.info.version) : '0.0.0',
      description:
        'Read your own bank, card, loan and brokerage data. Amounts are exact decimal strings; negative = ' +
        'money left the account. Never add amounts in different currencies. Check freshness before answering.',
    },
    servers: [{ url: options.publicUrl }],
    paths,
    components: {
      schemas,
      securitySchemes: {
        personalAccessToken: {
          type: 'http',
          scheme: 'bearer',
          description:
            'A personal access token (fapat_…) from `finance-api tokens create`; read scope for reading.',
        },
        oauth: {
          type: 'oauth2',
          description: 'Sign in with your account on this service (a confidential client from the CLI).',
          flows: {
            authorizationCode: {
              authorizationUrl: `${options.publicUrl}/oauth/authorize`,
              tokenUrl: `${options.publicUrl}/oauth/token`,
              scopes: { read: 'Read your accounts and figures', write: 'Ask for a sync' },
            },
          },
        },
      },
    },
  };
}

/** Serves /openapi.gpt.json, built once from /openapi.json's document on first request. */
export const openapiGptPlugin = fp(
  async (app: FastifyInstance, options: { publicUrl: string }) => {
    let body: string | undefined;
    app.get('/openapi.gpt.json', { schema: { hide: true } }, async (_request, reply) => {
      body ??= JSON.stringify(gptActionsDocument(app.swagger() as OpenApiDocument, options));
      return reply.type('application/json; charset=utf-8').send(body);
    });
  },
  { name: 'openapi-gpt', dependencies: ['openapi'] },
);
