import { z } from 'zod';
import { apiTokenScopes } from '../../db/schema/index.js';
import { toApiTokenView, type ApiTokenView } from '../auth/service.js';
import type { Services } from '../services.js';
import { emailSchema, passwordSchema } from '../users/rules.js';
import { toUserView, type UserView } from '../users/service.js';
import { errors } from '../../errors/catalog.js';

/**
 * Operator commands (the `finance-api` CLI). Each has an input schema and a handler over the domain
 * services; the CLI runs them directly against the database, or, when an embedded service holds the
 * database, through that service's local control socket.
 */

const createUserInput = z.strictObject({ email: emailSchema, password: passwordSchema.optional() });
const createTokenInput = z.strictObject({
  email: emailSchema,
  name: z.string().trim().min(1, { message: 'expected a name' }).max(100),
  scope: z.enum(apiTokenScopes, { message: 'expected read or write' }).default('read'),
  expiresDays: z.number().int().min(1).max(3650).optional(),
});
const listTokensInput = z.strictObject({ email: emailSchema });
const revokeTokenInput = z.strictObject({ id: z.uuid({ message: 'expected a token id (UUID)' }) });

export const adminCommands = {
  'users.create': {
    input: createUserInput,
    async run(services: Services, input: z.output<typeof createUserInput>) {
      const { user, generatedPassword } = await services.users.create(input);
      return { user: toUserView(user), generated_password: generatedPassword ?? null } satisfies {
        user: UserView;
        generated_password: string | null;
      };
    },
  },
  'tokens.create': {
    input: createTokenInput,
    async run(services: Services, input: z.output<typeof createTokenInput>) {
      const user = await services.users.getByEmail(input.email);
      const { token, row } = await services.auth.createToken(user.id, {
        name: input.name,
        scope: input.scope,
        expiresInDays: input.expiresDays,
      });
      return { ...toApiTokenView(row), token };
    },
  },
  'tokens.list': {
    input: listTokensInput,
    async run(services: Services, input: z.output<typeof listTokensInput>): Promise<ApiTokenView[]> {
      const user = await services.users.getByEmail(input.email);
      return (await services.auth.listTokens(user.id)).map(toApiTokenView);
    },
  },
  'tokens.revoke': {
    input: revokeTokenInput,
    async run(services: Services, input: z.output<typeof revokeTokenInput>): Promise<ApiTokenView> {
      const row = await services.repositories.apiTokens.revokeAny(input.id, new Date());
      if (!row) throw errors.notFound('active token', input.id);
      return toApiTokenView(row);
    },
  },
} as const;

export type AdminCommandName = keyof typeof adminCommands;

export function isAdminCommandName(name: string): name is AdminCommandName {
  return Object.hasOwn(adminCommands, name);
}

/** Validates the input and runs the command; input problems are AppErrors naming the option. */
export async function runAdminCommand(
  services: Services,
  name: AdminCommandName,
  rawInput: unknown,
): Promise<unknown> {
  const command = adminCommands[name];
  const parsed = command.input.safeParse(rawInput);
  if (!parsed.success) {
    throw errors.validationFailed(
      parsed.error.issues.flatMap((issue) =>
        issue.code === 'unrecognized_keys'
          ? issue.keys.map((key) => ({ field: key, message: 'unknown option' }))
          : [{ field: issue.path.join('.') || '(input)', message: issue.message }],
      ),
    );
  }
  return (command.run as (s: Services, i: unknown) => Promise<unknown>)(services, parsed.data);
}
