/**
 * Linking: a Link `public_token` becomes a stored item. The access token is encrypted at once (AAD = our
 * item id, so the ciphertext cannot be moved to another row) and is never logged, stored in clear or
 * returned. The first sync is the caller's next step (`syncItem(userId, item.id, { trigger: 'link' })`):
 * the first /transactions/sync call is what turns Plaid's SYNC_UPDATES_AVAILABLE webhooks on.
 */

import { randomUUID } from 'node:crypto';
import { CountryCode } from 'plaid';
import type { Database } from '../../db/client.js';
import { createRepositories, type Repositories } from '../../db/repositories/index.js';
import type { ItemStatus } from '../../db/schema/index.js';
import { errors } from '../../errors/catalog.js';
import type { Logger } from '../../lib/logger.js';
import type { PlaidClient } from '../../plaid/client.js';
import { cleanName, mapAccount, mapInstitution } from '../../plaid/mappers.js';
import type { AccessTokenCipher } from './access-token-cipher.js';

export interface ItemLinkingDeps {
  db: Database;
  /** The composition root's repositories (src/domain/services.ts); by default, over `db`. */
  repositories?: Pick<Repositories, 'items'>;
  plaid: PlaidClient;
  cipher: AccessTokenCipher;
  logger?: Pick<Logger, 'warn'>;
}

/** What linking returns: the item and its accounts, without any token material. */
export interface LinkedItem {
  id: string;
  plaidItemId: string;
  institutionId: string | null;
  institutionName: string | null;
  status: ItemStatus;
  products: string[];
  accounts: LinkedAccount[];
}

export interface LinkedAccount {
  id: string;
  plaidAccountId: string;
  name: string;
  mask: string | null;
  type: string;
  subtype: string | null;
  currentBalance: string | null;
  isoCurrencyCode: string | null;
  unofficialCurrencyCode: string | null;
}

/** A login's identity at an institution: the sorted (mask, name) pairs of its accounts. */
function signature(accounts: readonly { mask: string | null; name: string }[]): string {
  return JSON.stringify(accounts.map((a) => [a.mask ?? '', a.name]).sort());
}

export function createItemLinking(deps: ItemLinkingDeps) {
  const { items } = deps.repositories ?? createRepositories(deps.db);
  const { plaid } = deps;

  /** Best effort: an item we will not keep must not stay alive (and billed) at Plaid. */
  async function removeAtPlaid(accessToken: string, plaidItemId: string): Promise<void> {
    try {
      await plaid.itemRemove({ access_token: accessToken });
    } catch (error) {
      deps.logger?.warn({ plaidItemId, err: error }, 'could not remove an unused Plaid item');
    }
  }

  /**
   * `withinLink` runs inside the transaction that stores the item (the first sync is enqueued there, so
   * an item is never stored without it); when it fails nothing is stored and the item is removed at Plaid.
   */
  async function linkItem(input: {
    userId: string;
    publicToken: string;
    withinLink?: (tx: Database, itemId: string) => Promise<void>;
  }): Promise<LinkedItem> {
    const { userId } = input;
    const exchanged = await plaid.itemPublicTokenExchange({ public_token: input.publicToken });
    const accessToken = exchanged.access_token;
    const plaidItemId = exchanged.item_id;

    let stored = false;
    try {
      const { item } = await plaid.itemGet({ access_token: accessToken });
      const institutionId = item.institution_id ?? null;
      // Names from the bank are untrusted: cleaned like everything the mappers store.
      let institutionName: string | null = item.institution_name ? cleanName(item.institution_name) : null;
      if (institutionId) {
        const { institution } = await plaid.institutionsGetById({
          institution_id: institutionId,
          country_codes: Object.values(CountryCode),
          options: { include_optional_metadata: true },
        });
        const row = mapInstitution(institution);
        await items.upsertInstitution(row);
        institutionName = row.name;
      }
      const { accounts: plaidAccounts } = await plaid.accountsGet({ access_token: accessToken });

      if (institutionId) {
        const existing = await items.accountSignaturesAtInstitution(userId, institutionId);
        const byItem = new Map<string, { mask: string | null; name: string }[]>();
        for (const row of existing) byItem.set(row.itemId, [...(byItem.get(row.itemId) ?? []), row]);
        // Compared with the stored (cleaned) names.
        const mine = signature(plaidAccounts.map((a) => ({ mask: a.mask ?? null, name: cleanName(a.name) })));
        for (const [existingId, rows] of byItem) {
          if (signature(rows) === mine) throw errors.itemAlreadyLinked(existingId);
        }
      }

      const id = randomUUID();
      const encrypted = deps.cipher.encrypt(accessToken, id);
      const products = [...new Set([...(item.products ?? []), ...(item.billed_products ?? [])])].map(String);
      const accountRows = plaidAccounts.map((a) => mapAccount(a, { userId, itemId: id }));
      // The item, its accounts (and its first sync) land together or not at all.
      const { row, saved } = await deps.db.transaction(async (tx) => {
        const txDb = tx as unknown as Database;
        const scoped = createRepositories(txDb);
        const inserted = await scoped.items.insertItem({
          id,
          userId,
          plaidItemId,
          institutionId,
          accessTokenCiphertext: encrypted.ciphertext,
          accessTokenKeyId: encrypted.keyId,
          status: 'good',
          products,
          consentExpiresAt: item.consent_expiration_time ? new Date(item.consent_expiration_time) : null,
        });
        const upserted = await scoped.syncData.upsertAccounts(accountRows);
        await input.withinLink?.(txDb, inserted.id);
        return { row: inserted, saved: upserted };
      });
      stored = true;
      const ids = new Map(saved.map((s) => [s.plaidAccountId, s.id]));
      return {
        id: row.id,
        plaidItemId: row.plaidItemId,
        institutionId: row.institutionId,
        institutionName,
        status: row.status,
        products: row.products,
        accounts: accountRows.flatMap((a) => {
          const accountId = ids.get(a.plaidAccountId);
          if (!accountId) return [];
          return [
            {
              id: accountId,
              plaidAccountId: a.plaidAccountId,
              name: a.name,
              mask: a.mask ?? null,
              type: a.type,
              subtype: a.subtype ?? null,
              currentBalance: a.currentBalance ?? null,
              isoCurrencyCode: a.isoCurrencyCode ?? null,
              unofficialCurrencyCode: a.unofficialCurrencyCode ?? null,
            },
          ];
        }),
      };
    } catch (error) {
      if (!stored) await removeAtPlaid(accessToken, plaidItemId);
      throw error;
    }
  }

  return { linkItem };
}

export type ItemLinking = ReturnType<typeof createItemLinking>;
