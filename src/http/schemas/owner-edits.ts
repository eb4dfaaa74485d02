import { z } from 'zod';
import { ruleMatchFields, ruleMatchKinds } from '../../db/schema/index.js';
import { toUnits } from '../../lib/money.js';
import { booleanQuery, moneySchema } from './common.js';

/**
 * The owner's edits of transactions and the rules (PATCH /v1/transactions/{id}, /v1/rules): one zod
 * source for validation, types, the OpenAPI document and the MCP tools' schemas.
 */

/** Bounds of what an owner may write. */
export const OWNER_TEXT_LIMITS = {
  note: 1000,
  category: 64,
  tag: 32,
  tags: 20,
  excludedReason: 100,
  merchantName: 200,
  matchText: 100,
  rules: 100,
} as const;

/** Control and invisible formatting characters (bidi overrides, zero-width): never in what we store. */
const INVISIBLE = /[\p{Cc}\p{Cf}]/u;

/** A short text the owner writes: trimmed, not empty, at most `max` characters, nothing invisible. */
export function ownerText(max: number) {
  return z
    .string({ message: 'expected a string' })
    .trim()
    .min(1, { message: 'expected at least 1 character (use null to clear)' })
    .max(max, { message: `expected at most ${max} characters` })
    .refine((value) => !INVISIBLE.test(value), {
      message: 'must not contain control or invisible formatting characters',
    });
}

const tagsSchema = z
  .array(ownerText(OWNER_TEXT_LIMITS.tag), { message: 'expected a list of tags' })
  .max(OWNER_TEXT_LIMITS.tags, { message: `expected at most ${OWNER_TEXT_LIMITS.tags} tags` });

const categorySchema = ownerText(OWNER_TEXT_LIMITS.category).describe(
  'A category: a Plaid primary category such as FOOD_AND_DRINK, or your own',
);

/** The fields of an owner edit (also the MCP tool update_transaction's arguments). */
export const transactionPatchShape = {
  note: ownerText(OWNER_TEXT_LIMITS.note).nullable().optional().describe('Your note; null clears it'),
  category: categorySchema
    .nullable()
    .optional()
    .describe("Your category, used instead of Plaid's everywhere (cash flow, budgets); null: Plaid's again"),
  tags: tagsSchema
    .optional()
    .describe(
      `Your tags (replaces the list; at most ${OWNER_TEXT_LIMITS.tags}, each at most ${OWNER_TEXT_LIMITS.tag} characters)`,
    ),
  excluded: z
    .boolean({ message: 'expected true or false' })
    .optional()
    .describe('Leave it out of income and spending (cash flow, budgets); it stays listed'),
  excluded_reason: ownerText(OWNER_TEXT_LIMITS.excludedReason)
    .nullable()
    .optional()
    .describe('Why (e.g. reimbursed); only with excluded: true'),
  merchant_name: ownerText(OWNER_TEXT_LIMITS.merchantName)
    .nullable()
    .optional()
    .describe("Your name for the merchant (Plaid's merchant_name stays); null clears it"),
  version: z
    .number({ message: 'expected a whole number' })
    .int({ message: 'expected a whole number' })
    .min(1, { message: 'expected a version (at least 1)' })
    .optional()
    .describe('Apply only if the transaction is still at this version (like If-Match); else 412'),
};

/** What a valid edit also needs: at least one field; a reason only with excluded: true. */
export function checkTransactionPatch(
  value: z.output<z.ZodObject<typeof transactionPatchShape>>,
  ctx: z.RefinementCtx,
): void {
  const { version: _version, ...fields } = value;
  if (Object.keys(fields).length === 0) {
    ctx.addIssue({
      code: 'custom',
      path: [],
      message: 'expected at least one of note, category, tags, excluded, excluded_reason, merchant_name',
    });
  }
  if (value.excluded_reason !== undefined && value.excluded_reason !== null && value.excluded !== true) {
    ctx.addIssue({ code: 'custom', path: ['excluded_reason'], message: 'only with excluded: true' });
  }
}

export const transactionPatchSchema = z
  .strictObject(transactionPatchShape)
  .superRefine(checkTransactionPatch);

export type TransactionPatch = z.output<typeof transactionPatchSchema>;

const AMOUNT = /^-?\d{1,15}(\.\d{1,4})?$/;
/** A signed decimal (our sign: negative = money out), as a rule's amount bound. */
const signedAmount = z
  .string({ message: 'expected a decimal string like -25.50' })
  .regex(AMOUNT, { message: 'expected a decimal string like -25.50' });

export const ruleMatchSchema = z.strictObject({
  field: z
    .enum(ruleMatchFields, { message: 'expected merchant, name or merchant_or_name' })
    .default('merchant_or_name')
    .describe("Plaid's merchant name, the transaction's name, or either"),
  kind: z
    .enum(ruleMatchKinds, { message: 'expected contains or equals' })
    .default('contains')
    .describe('Case-insensitive; plain text, never a pattern'),
  text: ownerText(OWNER_TEXT_LIMITS.matchText),
});

export const createRuleBodySchema = z
  .strictObject({
    match: ruleMatchSchema,
    min_amount: signedAmount
      .optional()
      .describe('Only amounts ≥ this (negative = money out: -100 with max -5 is spending of 5 to 100)'),
    max_amount: signedAmount.optional().describe('Only amounts ≤ this'),
    account_id: z.uuid({ message: 'expected an account id (UUID)' }).optional().describe('Only this account'),
    set_category: categorySchema.optional(),
    add_tags: tagsSchema.optional(),
    exclude: z.boolean({ message: 'expected true or false' }).optional(),
    excluded_reason: ownerText(OWNER_TEXT_LIMITS.excludedReason)
      .optional()
      .describe('Only with exclude: true'),
  })
  .superRefine((value, ctx) => {
    if (value.set_category === undefined && !value.add_tags?.length && value.exclude !== true) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: 'expected at least one action: set_category, add_tags or exclude: true',
      });
    }
    if (value.excluded_reason !== undefined && value.exclude !== true) {
      ctx.addIssue({ code: 'custom', path: ['excluded_reason'], message: 'only with exclude: true' });
    }
    const { min_amount: min, max_amount: max } = value;
    if (min !== undefined && max !== undefined && AMOUNT.test(min) && AMOUNT.test(max)) {
      if (toUnits(max) < toUnits(min)) {
        ctx.addIssue({ code: 'custom', path: ['max_amount'], message: 'must not be less than min_amount' });
      }
    }
  });

export type CreateRuleBody = z.output<typeof createRuleBodySchema>;

export const ruleSchema = z
  .object({
    id: z.uuid(),
    match: z.object({
      field: z.enum(ruleMatchFields),
      kind: z.enum(ruleMatchKinds),
      text: z.string(),
    }),
    min_amount: moneySchema.nullable(),
    max_amount: moneySchema.nullable(),
    account_id: z.uuid().nullable(),
    set_category: z.string().nullable(),
    add_tags: z.array(z.string()),
    exclude: z.boolean(),
    excluded_reason: z.string().nullable(),
    created_at: z.iso.datetime(),
  })
  .meta({ id: 'Rule' });

export type RuleView = z.output<typeof ruleSchema>;

export const applyRuleQuerySchema = z.strictObject({
  dry_run: booleanQuery.optional().describe('true: only count what would change (and show a sample)'),
});

export const ruleApplicationSchema = z
  .object({
    rule_id: z.uuid(),
    dry_run: z.boolean(),
    changed: z
      .number()
      .int()
      .describe(
        'Transactions changed (with dry_run: that would change); fields you set by hand are never changed',
      ),
    sample_ids: z.array(z.uuid()).describe('Up to 20 of them, newest first'),
  })
  .meta({ id: 'RuleApplication' });

export type RuleApplication = z.output<typeof ruleApplicationSchema>;
