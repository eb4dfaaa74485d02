import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { z } from 'zod';
import type { Logger } from '../../lib/logger.js';
import type { PlaidClient } from '../../plaid/client.js';
import { createPersonalDataService } from '../export/service.js';
import type { JobQueue } from '../sync/queue.js';
import { createCursorCodec } from '../transactions/cursor.js';
import { apiTokenScopes } from '../../db/schema/index.js';
import { toApiTokenView, type ApiTokenView } from '../auth/service.js';
import type { AccessTokenCipher } from '../items/access-token-cipher.js';
import { reencryptAccessTokens, type ReencryptResult } from '../items/key-rotation.js';
import { isReloadingCipher } from '../items/keyring.js';
import type { AdminCoreServices } from './services.js';
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
const noInput = z.strictObject({});
const createOAuthClientInput = z.strictObject({
  name: z.string().trim().min(1, { message: 'expected a name' }).max(100),
  redirectUri: z.array(z.string().max(2000)).min(1, { message: 'expected at least one --redirect-uri' }),
  confidential: z.boolean().default(false),
  resource: z.enum(['rest', 'mcp'], { message: 'expected rest or mcp' }).default('rest'),
});
const reencryptInput = z.strictObject({
  /** The key ring's active key as the CLI sees it; the command refuses to run under another key. */
  expectedActiveKeyId: z.string().regex(/^[0-9a-f]{8}$/, { message: 'expected a key id (8 hex digits)' }),
  afterId: z.uuid({ message: 'expected an item id (UUID)' }).optional(),
  limit: z.number().int().min(1).max(1000).default(200),
});

const listItemsInput = z.strictObject({ email: emailSchema.optional() });
const deleteUserInput = z.strictObject({ email: emailSchema });
const exportUserInput = z.strictObject({
  email: emailSchema,
  /** Where the file goes: an absolute path (the running service writes it when it holds the data). */
  out: z
    .string()
    .min(1)
    .max(4096)
    .refine((value) => path.isAbsolute(value), { message: 'expected an absolute path' }),
  /** json: the document of GET /v1/export; csv: its zip of one CSV per section (?format=csv). */
  format: z.enum(['json', 'csv']).default('json'),
});
const requestSyncInput = z.strictObject({
  email: emailSchema.optional(),
  itemId: z.uuid({ message: 'expected an item id (UUID)' }).optional(),
});
const syncProgressInput = z.strictObject({
  runIds: z.array(z.uuid({ message: 'expected sync run ids (UUID)' })).max(10_000),
});

/**
 * What the commands run on: the core services, and what the process has beside them: its access-token
 * cipher, Plaid (our adapter), its job queue, its logger. The running service's control socket gives
 * all of them; the CLI on its own gives what it set up for the command.
 */
export type AdminServices = AdminCoreServices & {
  cipher?: AccessTokenCipher;
  plaid?: PlaidClient;
  jobs?: JobQueue;
  logger?: Logger;
};

function personalDataOf(services: AdminServices) {
  return createPersonalDataService({
    export: services.repositories.export,
    users: services.repositories.users,
    ...(services.plaid ? { plaid: services.plaid } : {}),
    ...(services.cipher ? { cipher: services.cipher } : {}),
    ...(services.logger ? { logger: services.logger } : {}),
  });
}

export const adminCommands = {
  'users.create': {
    input: createUserInput,
    async run(services: AdminServices, input: z.output<typeof createUserInput>) {
      const { user, generatedPassword } = await services.users.create(input);
      return { user: toUserView(user), generated_password: generatedPassword ?? null } satisfies {
        user: UserView;
        generated_password: string | null;
      };
    },
  },
  'tokens.create': {
    input: createTokenInput,
    async run(services: AdminServices, input: z.output<typeof createTokenInput>) {
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
    async run(services: AdminServices, input: z.output<typeof listTokensInput>): Promise<ApiTokenView[]> {
      const user = await services.users.getByEmail(input.email);
      return (await services.auth.listTokens(user.id)).map(toApiTokenView);
    },
  },
  'tokens.revoke': {
    input: revokeTokenInput,
    async run(services: AdminServices, input: z.output<typeof revokeTokenInput>): Promise<ApiTokenView> {
      // Through the auth service: its token cache (the running service's, over the control socket) forgets it.
      const row = await services.auth.revokeAnyToken(input.id);
      if (!row) throw errors.notFound('active token', input.id);
      return toApiTokenView(row);
    },
  },
  'users.list': {
    input: noInput,
    /** Everyone, with how much each has (counts, never amounts). */
    async run(services: AdminServices) {
      return services.repositories.export.listPeople();
    },
  },
  'users.delete': {
    input: deleteUserInput,
    /** The person's items removed at Plaid (errors logged by code), then the person and all their rows. */
    async run(services: AdminServices, input: z.output<typeof deleteUserInput>) {
      const user = await services.users.getByEmail(input.email);
      const report = await personalDataOf(services).deletePerson(user.id);
      return {
        user: toUserView(user),
        plaid_available: Boolean(services.plaid && services.cipher),
        ...report,
      };
    },
  },
  'users.export': {
    input: exportUserInput,
    /**
     * The person's export (GET /v1/export: the JSON document, or the zip of CSV files) written to `out`
     * (mode 0600, renamed into place).
     */
    async run(services: AdminServices, input: z.output<typeof exportUserInput>) {
      const user = await services.users.getByEmail(input.email);
      const partial = `${input.out}.partial-${process.pid}`;
      try {
        await pipeline(
          Readable.from(
            input.format === 'csv'
              ? personalDataOf(services).exportCsvZip(user.id)
              : personalDataOf(services).exportJson(user.id),
          ),
          createWriteStream(partial, { mode: 0o600 }),
        );
        await rename(partial, input.out);
      } catch (error) {
        await rm(partial, { force: true });
        throw error;
      }
      return { user: toUserView(user), out: input.out };
    },
  },
  'items.list': {
    input: listItemsInput,
    /** Every item (or one person's): institution, status, products, accounts, last sync; never tokens. */
    async run(services: AdminServices, input: z.output<typeof listItemsInput>) {
      const user = input.email ? await services.users.getByEmail(input.email) : undefined;
      return services.repositories.export.listItems(user?.id);
    },
  },
  'sync.request': {
    input: requestSyncInput,
    /** Asks for a sync of every item (of one person, or one item), as POST /v1/sync/trigger does. */
    async run(services: AdminServices, input: z.output<typeof requestSyncInput>) {
      const { jobs } = services;
      // The CLI gives one on PostgreSQL; the running embedded service always has one.
      if (!jobs) throw new Error('No job queue in this process: syncs cannot be requested from here.');
      // Loaded here: the sync service it comes with is not needed by any other command.
      const { createSyncRequestsService } = await import('../sync/requests.js');
      const requests = createSyncRequestsService({
        items: services.repositories.items,
        runs: services.repositories.syncRuns,
        jobs,
        // Only `trigger` is used here: no ledger page cursor is ever encoded.
        cursors: createCursorCodec('sync-request-command-never-encodes-a-cursor'),
      });
      const user = input.email ? await services.users.getByEmail(input.email) : undefined;
      const items = await services.repositories.export.listItems(user?.id);
      const chosen = input.itemId ? items.filter((item) => item.id === input.itemId) : items;
      if (input.itemId && chosen.length === 0) throw errors.notFound('item', input.itemId);
      const results = [];
      for (const item of chosen) {
        const [triggered] = await requests.trigger(item.user_id, { itemId: item.id });
        if (triggered) {
          results.push({ ...triggered, email: item.email, institution: item.institution });
        }
      }
      return results;
    },
  },
  'sync.progress': {
    input: syncProgressInput,
    /** Where the given sync runs are: status and counts per item and product. */
    async run(services: AdminServices, input: z.output<typeof syncProgressInput>) {
      return services.repositories.export.findRunsProgress(input.runIds);
    },
  },
  'keys.status': {
    input: noInput,
    /** The key this process encrypts with, and whether it follows DATA_DIR/keyring.json. */
    async run(services: AdminServices): Promise<{ activeKeyId: string | null; followsKeyRing: boolean }> {
      const { cipher } = services;
      if (!cipher) return { activeKeyId: null, followsKeyRing: false };
      if (isReloadingCipher(cipher)) cipher.refresh();
      return { activeKeyId: cipher.activeKeyId, followsKeyRing: isReloadingCipher(cipher) };
    },
  },
  'keys.usage': {
    input: noInput,
    /** How many items each key id encrypts (ids and counts only, never key material). */
    async run(services: AdminServices): Promise<{ keyId: string; items: number }[]> {
      return services.repositories.items.countItemsByKeyId();
    },
  },
  'keys.reencrypt': {
    input: reencryptInput,
    /** One chunk of the re-encryption walk; the CLI calls it until `nextAfterId` is null. */
    async run(services: AdminServices, input: z.output<typeof reencryptInput>): Promise<ReencryptResult> {
      const { cipher } = services;
      if (!cipher) throw errors.keyRingNotLoaded(input.expectedActiveKeyId, '(none)');
      if (isReloadingCipher(cipher)) cipher.refresh();
      if (cipher.activeKeyId !== input.expectedActiveKeyId) {
        throw errors.keyRingNotLoaded(input.expectedActiveKeyId, cipher.activeKeyId);
      }
      return reencryptAccessTokens(
        { items: services.repositories.items, cipher },
        { afterId: input.afterId, maxItems: input.limit },
      );
    },
  },
  'oauth.clients.create': {
    input: createOAuthClientInput,
    /** An OAuth client registered by the operator (GPT Actions: confidential); its secret shown once. */
    async run(services: AdminServices, input: z.output<typeof createOAuthClientInput>) {
      return services.oauth.createClient({
        name: input.name,
        redirectUris: input.redirectUri,
        confidential: input.confidential,
        resource: input.resource,
      });
    },
  },
} as const;

export type AdminCommandName = keyof typeof adminCommands;

export function isAdminCommandName(name: string): name is AdminCommandName {
  return Object.hasOwn(adminCommands, name);
}

/** Validates the input and runs the command; input problems are AppErrors naming the option. */
export async function runAdminCommand(
  services: AdminServices,
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
  return (command.run as (s: AdminServices, i: unknown) => Promise<unknown>)(services, parsed.data);
}
