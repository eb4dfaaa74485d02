/* eslint-disable no-console -- the command line talks to a terminal on purpose (as src/cli.ts) */
import { runAdminCommand, type AdminCommandName } from '../domain/admin/commands.js';
import { composeAdminServices } from '../domain/admin/services.js';
import type { Config } from '../config/schema.js';
import { sendControlCommand } from '../control/client.js';
import { openDatabase } from '../db/client.js';
import { readLockOwner } from '../db/data-dir-lock.js';
import { runMigrations } from '../db/migrate.js';
import { errors } from '../errors/catalog.js';
import { keyIdOf } from '../domain/items/access-token-cipher.js';
import type { ReencryptResult } from '../domain/items/key-rotation.js';
import {
  createReloadingAccessTokenCipher,
  isValidKeyBase64,
  keyringPath,
  readKeyring,
  rotateKey,
} from '../domain/items/keyring.js';
import { print } from './options.js';
import { config } from './runtime.js';

// `keys`: the keys that encrypt Plaid access tokens at rest (docs/security.md). The key ring is a file in
// DATA_DIR that this process edits itself; the database work (re-encrypting, counting) goes through the
// running embedded service's control socket when it holds the database, and is done here otherwise.
// Loaded only when a `keys` command runs (src/cli/keys.ts declares them).

/** Tokens re-encrypted per command (one control-socket request each, so progress can be shown). */
const REENCRYPT_CHUNK = 200;
/** Passes over the table: a later pass catches rows skipped or written under an old key meanwhile. */
const REENCRYPT_PASSES = 3;

interface KeysSession {
  /** Who does the database work: the running service (pid) or this process. */
  via: { kind: 'service'; pid: number } | { kind: 'database' };
  run(name: AdminCommandName, input: Record<string, unknown>): Promise<unknown>;
  close(): Promise<void>;
}

async function openKeysSession(cfg: Config): Promise<KeysSession> {
  if (cfg.database.kind === 'pglite') {
    const owner = await readLockOwner(cfg.database.dataDir);
    if (owner) {
      const socket = owner.controlSocket;
      if (!socket) {
        throw new Error(`The data directory is held by pid ${owner.pid}, which has no control socket.`);
      }
      return {
        via: { kind: 'service', pid: owner.pid },
        run: (name, input) => sendControlCommand(socket, name, input),
        close: async () => undefined,
      };
    }
  }
  const database = await openDatabase(
    cfg.database.kind === 'pglite'
      ? { kind: 'pglite', dataDir: cfg.database.dataDir }
      : { ...cfg.database, poolSize: 2 },
  );
  try {
    await runMigrations(database);
    const services = {
      ...composeAdminServices(database.db, cfg),
      cipher: createReloadingAccessTokenCipher({
        dataDir: cfg.dataDir,
        configKeyBase64: cfg.encryptionKeyBase64,
      }),
    };
    return {
      via: { kind: 'database' },
      run: (name, input) => runAdminCommand(services, name, input),
      close: () => database.close(),
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}

/** Refuses (before the ring changes) when the process doing the work would not follow the key ring. */
async function ensureFollowsKeyRing(session: KeysSession): Promise<void> {
  if (session.via.kind !== 'service') return; // this process: it uses a ring-following cipher
  const status = (await session.run('keys.status', {})) as { followsKeyRing: boolean };
  if (!status.followsKeyRing) {
    throw new Error(
      `The running service (pid ${session.via.pid}) does not follow DATA_DIR/keyring.json, so it could ` +
        'not use a new key. Nothing was changed. Restart it on a version that does, or stop it and run ' +
        'this command again.',
    );
  }
}

async function withKeysSession<T>(cfg: Config, fn: (session: KeysSession) => Promise<T>): Promise<T> {
  const session = await openKeysSession(cfg);
  try {
    return await fn(session);
  } finally {
    await session.close();
  }
}

/** The key new tokens are encrypted with: the ring's active key, or ENCRYPTION_KEY_BASE64 without a ring. */
function activeKeyIdOf(cfg: Config): string {
  return readKeyring(cfg.dataDir)?.activeKeyId ?? keyIdOf(cfg.encryptionKeyBase64);
}

interface ReencryptSummary {
  activeKeyId: string;
  reencrypted: number;
  alreadyCurrent: number;
  skipped: number;
  failed: number;
  failures: ReencryptResult['failures'];
  /** Items still under another key than the active one when the command ended. */
  remaining: number;
}

async function countNotUnder(session: KeysSession, keyId: string): Promise<number> {
  const usage = (await session.run('keys.usage', {})) as { keyId: string; items: number }[];
  return usage.filter((row) => row.keyId !== keyId).reduce((sum, row) => sum + row.items, 0);
}

/** Drives `keys.reencrypt` chunk by chunk, pass after pass, reporting progress on stderr. */
async function reencryptAll(session: KeysSession, activeKeyId: string): Promise<ReencryptSummary> {
  const toDo = await countNotUnder(session, activeKeyId);
  const where = session.via.kind === 'service' ? ` in the running service (pid ${session.via.pid})` : '';
  console.error(`Re-encrypting ${toDo} access token(s) under key ${activeKeyId}${where}…`);
  const summary: ReencryptSummary = {
    activeKeyId,
    reencrypted: 0,
    alreadyCurrent: 0,
    skipped: 0,
    failed: 0,
    failures: [],
    remaining: toDo,
  };
  for (let pass = 1; pass <= REENCRYPT_PASSES; pass++) {
    const thisPass = { skipped: 0, failed: 0, failures: [] as ReencryptResult['failures'] };
    let afterId: string | null = null;
    do {
      const chunk = (await session.run('keys.reencrypt', {
        expectedActiveKeyId: activeKeyId,
        limit: REENCRYPT_CHUNK,
        ...(afterId ? { afterId } : {}),
      })) as ReencryptResult;
      summary.reencrypted += chunk.reencrypted;
      // A pass's first chunk counts the rows already under the key; only the first pass's count is news.
      if (pass === 1 || afterId !== null) summary.alreadyCurrent += chunk.alreadyCurrent;
      thisPass.skipped += chunk.skipped;
      thisPass.failed += chunk.failed;
      thisPass.failures.push(...chunk.failures);
      afterId = chunk.nextAfterId;
      if (toDo > 0) console.error(`  ${summary.reencrypted}/${toDo} re-encrypted`);
    } while (afterId !== null);
    // Failures and skips of the last pass are the ones that still stand.
    Object.assign(summary, thisPass);
    summary.remaining = await countNotUnder(session, activeKeyId);
    if (summary.remaining <= thisPass.failed) break;
  }
  return summary;
}

function describeReencryption(summary: ReencryptSummary): string[] {
  return [
    `Re-encrypted ${summary.reencrypted} token(s); ${summary.alreadyCurrent} already used key ${summary.activeKeyId}; ` +
      `${summary.skipped} skipped (changed meanwhile); ${summary.failed} failed.`,
    ...summary.failures.map((f) => `  item ${f.itemId}: cannot decrypt under key ${f.keyId} (${f.code})`),
  ];
}

/** Exit 1 (and say why on stderr) when tokens are left under older keys. */
function flagRemaining(summary: ReencryptSummary): void {
  if (summary.remaining === 0) return;
  console.error(
    `Warning: ${summary.remaining} item(s) still use older keys` +
      (summary.failed > 0 ? ` (${summary.failed} cannot be decrypted with any loaded key)` : '') +
      '; the old keys stay loaded, so they keep working. See `finance-api keys list`, then run ' +
      '`finance-api keys reencrypt`.',
  );
  process.exitCode = 1;
}

interface KeyListRow {
  id: string;
  active: boolean;
  /** Where the key is loaded from; `unknown` for a key id the database uses but no key is loaded for. */
  source: 'ENCRYPTION_KEY_BASE64' | 'keyring' | 'ENCRYPTION_KEY_BASE64+keyring' | 'unknown';
  createdAt: string | null;
  items: number;
}

/** `keys rotate`: a new active key, then every stored access token re-encrypted under it. */
export async function rotateKeys(opts: { key?: string }, json: boolean): Promise<void> {
  if (opts.key !== undefined && !isValidKeyBase64(opts.key.trim())) {
    throw errors.validationFailed([
      { field: 'key', message: 'expected 32 bytes, base64-encoded (openssl rand -base64 32)' },
    ]);
  }
  const cfg = await config();
  const result = await withKeysSession(cfg, async (session) => {
    await ensureFollowsKeyRing(session);
    const rotated = rotateKey({
      dataDir: cfg.dataDir,
      configKeyBase64: cfg.encryptionKeyBase64,
      ...(opts.key !== undefined ? { newKeyBase64: opts.key } : {}),
    });
    console.error(
      rotated.changed
        ? `New active key ${rotated.keyId} (was ${rotated.previousKeyId}) written to ${keyringPath(cfg.dataDir)}.`
        : `Key ${rotated.keyId} is already the active key.`,
    );
    return {
      previousKeyId: rotated.previousKeyId,
      changed: rotated.changed,
      ...(await reencryptAll(session, rotated.keyId)),
    };
  });
  print(result, json, () =>
    [
      `Access tokens are encrypted with key ${result.activeKeyId}` +
        (result.changed ? ` (was ${result.previousKeyId}).` : '.'),
      ...describeReencryption(result),
    ].join('\n'),
  );
  flagRemaining(result);
}

/** `keys reencrypt`: the tokens still under older keys, under the active one. */
export async function reencryptKeys(json: boolean): Promise<void> {
  const cfg = await config();
  const result = await withKeysSession(cfg, async (session) => {
    await ensureFollowsKeyRing(session);
    return reencryptAll(session, activeKeyIdOf(cfg));
  });
  print(result, json, () => describeReencryption(result).join('\n'));
  flagRemaining(result);
}

/** `keys list`: the loaded keys and how many items use each (never key material). */
export async function listKeys(json: boolean): Promise<void> {
  const cfg = await config();
  const ring = readKeyring(cfg.dataDir);
  const configKeyId = keyIdOf(cfg.encryptionKeyBase64);
  const activeKeyId = ring?.activeKeyId ?? configKeyId;
  const usage = await withKeysSession(
    cfg,
    async (session) => (await session.run('keys.usage', {})) as { keyId: string; items: number }[],
  );
  const count = new Map(usage.map((row) => [row.keyId, row.items]));
  const rows: KeyListRow[] = [];
  const inRing = new Map((ring?.keys ?? []).map((key) => [key.id, key.createdAt]));
  rows.push({
    id: configKeyId,
    active: configKeyId === activeKeyId,
    source: inRing.has(configKeyId) ? 'ENCRYPTION_KEY_BASE64+keyring' : 'ENCRYPTION_KEY_BASE64',
    createdAt: inRing.get(configKeyId) ?? null,
    items: count.get(configKeyId) ?? 0,
  });
  for (const [id, createdAt] of inRing) {
    if (id === configKeyId) continue;
    rows.push({ id, active: id === activeKeyId, source: 'keyring', createdAt, items: count.get(id) ?? 0 });
  }
  for (const { keyId, items } of usage) {
    if (keyId === configKeyId || inRing.has(keyId)) continue;
    rows.push({ id: keyId, active: false, source: 'unknown', createdAt: null, items });
  }
  print({ activeKeyId, keys: rows }, json, () =>
    rows
      .map(
        (r) =>
          `${r.id}  ${r.active ? 'active' : '      '}  ${(r.createdAt ?? '-').padEnd(24)}  ` +
          `${String(r.items).padStart(6)} item(s)  ${r.source === 'unknown' ? 'NOT LOADED: these items cannot be decrypted' : r.source}`,
      )
      .join('\n'),
  );
}
