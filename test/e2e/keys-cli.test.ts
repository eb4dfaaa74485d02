import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sendControlCommand } from '../../src/control/client.js';
import { startControlServer } from '../../src/control/server.js';
import { openDatabase, type DatabaseHandle } from '../../src/db/client.js';
import { readLockOwner } from '../../src/db/data-dir-lock.js';
import { runMigrations } from '../../src/db/migrate.js';
import { createItemsRepository } from '../../src/db/repositories/items.js';
import { createUsersRepository } from '../../src/db/repositories/users.js';
import { plaidItems } from '../../src/db/schema/index.js';
import { accessTokenCipherFromKeys, keyIdOf } from '../../src/domain/items/access-token-cipher.js';
import {
  createReloadingAccessTokenCipher,
  keyringPath,
  readKeyring,
  type Keyring,
} from '../../src/domain/items/keyring.js';
import { composeServices } from '../../src/domain/services.js';
import { createLogger } from '../../src/lib/logger.js';
import { testConfig } from '../helpers/config.js';
import { createPostgresDatabase } from '../helpers/database.js';
import { runCli, startServerProcess } from '../helpers/processes.js';

const newKey = () => randomBytes(32).toString('base64');
const ITEMS = 30;
/** Each CLI run on the embedded database opens PGlite in its own process (several seconds on a busy machine). */
const CLI_TIMEOUT = 120_000;

interface Seeded {
  id: string;
  token: string;
  ciphertext: string;
}

/** A data dir whose items were encrypted under `configKey`, as linking does (AAD = item id). */
async function seed(database: DatabaseHandle, configKey: string, count = ITEMS): Promise<Seeded[]> {
  const users = createUsersRepository(database.db);
  const items = createItemsRepository(database.db);
  const cipher = accessTokenCipherFromKeys(configKey);
  const user = await users.insert({ email: `keys-${randomUUID()}@example.com`, passwordHash: 'x' });
  const seeded: Seeded[] = [];
  for (let i = 0; i < count; i++) {
    const id = randomUUID();
    const token = `access-sandbox-${randomUUID()}`;
    const encrypted = cipher.encrypt(token, id);
    await items.insertItem({
      id,
      userId: user!.id,
      plaidItemId: `plaid-${id}`,
      accessTokenCiphertext: encrypted.ciphertext,
      accessTokenKeyId: encrypted.keyId,
    });
    seeded.push({ id, token, ciphertext: encrypted.ciphertext });
  }
  return seeded;
}

async function newDataDir(): Promise<string> {
  return path.join(await mkdtemp(path.join(tmpdir(), 'fa-keys-')), 'data');
}

/** Every secret the CLI must never print. */
function secretsIn(dataDir: string, configKey: string, seeded: Seeded[]): string[] {
  const ring = readKeyring(dataDir);
  return [configKey, ...(ring?.keys.map((k) => k.keyBase64) ?? []), ...seeded.map((s) => s.token)];
}

function expectRotated(
  rows: { id: string; accessTokenCiphertext: string; accessTokenKeyId: string }[],
  seeded: Seeded[],
  dataDir: string,
  configKey: string,
  keyId: string,
): void {
  const cipher = createReloadingAccessTokenCipher({ dataDir, configKeyBase64: configKey });
  expect(rows).toHaveLength(seeded.length);
  for (const row of rows) {
    const before = seeded.find((s) => s.id === row.id)!;
    expect(row.accessTokenKeyId).toBe(keyId);
    expect(row.accessTokenCiphertext).not.toBe(before.ciphertext);
    expect(cipher.decrypt({ ciphertext: row.accessTokenCiphertext, keyId }, row.id)).toBe(before.token);
  }
}

describe('finance-api keys, with no service running (embedded database)', () => {
  let dataDir: string;
  let env: Record<string, string>;
  const configKey = newKey();
  let seeded: Seeded[];

  beforeAll(async () => {
    dataDir = await newDataDir();
    env = { DATA_DIR: dataDir, ENCRYPTION_KEY_BASE64: configKey, LOG_LEVEL: 'silent' };
    const database = await openDatabase({ kind: 'pglite', dataDir });
    try {
      await runMigrations(database);
      seeded = await seed(database, configKey);
    } finally {
      await database.close();
    }
  });

  it(
    'rotates to a generated key and re-encrypts every token, printing no key material',
    async () => {
      const run = await runCli(['keys', 'rotate', '--json'], env);
      expect(run.code, run.stderr).toBe(0);
      const result = JSON.parse(run.stdout) as Record<string, unknown>;
      const ring = readKeyring(dataDir)!;
      expect(result).toMatchObject({
        activeKeyId: ring.activeKeyId,
        previousKeyId: keyIdOf(configKey),
        changed: true,
        reencrypted: ITEMS,
        alreadyCurrent: 0,
        skipped: 0,
        failed: 0,
        remaining: 0,
      });
      expect(run.stderr).toMatch(
        new RegExp(`New active key ${ring.activeKeyId} \\(was ${keyIdOf(configKey)}\\)`),
      );
      expect(run.stderr).toMatch(/Re-encrypting 30 access token\(s\)/);
      expect((await stat(keyringPath(dataDir))).mode & 0o777).toBe(0o600);
      for (const secret of secretsIn(dataDir, configKey, seeded)) {
        expect(run.stdout + run.stderr).not.toContain(secret);
      }

      const database = await openDatabase({ kind: 'pglite', dataDir });
      try {
        expectRotated(
          await database.db.select().from(plaidItems),
          seeded,
          dataDir,
          configKey,
          ring.activeKeyId,
        );
      } finally {
        await database.close();
      }
    },
    CLI_TIMEOUT,
  );

  it(
    'lists the keys with the active one and how many items use each, without key material',
    async () => {
      const ring = readKeyring(dataDir)!;
      const run = await runCli(['keys', 'list', '--json'], env);
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual({
        activeKeyId: ring.activeKeyId,
        keys: [
          {
            id: keyIdOf(configKey),
            active: false,
            source: 'ENCRYPTION_KEY_BASE64',
            createdAt: null,
            items: 0,
          },
          {
            id: ring.activeKeyId,
            active: true,
            source: 'keyring',
            createdAt: ring.keys[0]!.createdAt,
            items: ITEMS,
          },
        ],
      });
      const human = await runCli(['keys', 'list'], env);
      expect(human.stdout).toMatch(
        new RegExp(`${ring.activeKeyId}\\s+active\\s+\\S+\\s+30 item\\(s\\)\\s+keyring`),
      );
      for (const secret of secretsIn(dataDir, configKey, seeded)) {
        expect(run.stdout + human.stdout + human.stderr).not.toContain(secret);
      }
    },
    CLI_TIMEOUT,
  );

  it(
    'rotates to a given key, keeping the older ones, and refuses a malformed one without echoing it',
    async () => {
      const bad = Buffer.alloc(16, 1).toString('base64');
      const refused = await runCli(['keys', 'rotate', '--key', bad], env);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/--key: expected 32 bytes, base64-encoded/);
      expect(refused.stdout + refused.stderr).not.toContain(bad);

      const previous = readKeyring(dataDir)!.activeKeyId;
      const given = newKey();
      const run = await runCli(['keys', 'rotate', '--key', given], env);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain(
        `Access tokens are encrypted with key ${keyIdOf(given)} (was ${previous}).`,
      );
      expect(run.stdout).toMatch(/Re-encrypted 30 token\(s\)/);
      expect(run.stdout + run.stderr).not.toContain(given);
      const ring: Keyring = readKeyring(dataDir)!;
      expect(ring.activeKeyId).toBe(keyIdOf(given));
      expect(ring.keys.map((k) => k.id)).toEqual([previous, keyIdOf(given)]);

      const help = await runCli(['keys', 'rotate', '--help'], env);
      expect(help.stdout).toMatch(/--key <base64>/);
    },
    CLI_TIMEOUT,
  );
});

describe('finance-api keys, while a service holds the embedded database (control socket)', () => {
  let dataDir: string;
  let env: Record<string, string>;
  const configKey = newKey();
  let seeded: Seeded[];
  let database: DatabaseHandle;
  let control: { close(): Promise<unknown> } | undefined;
  let socket: string;

  /** This test process plays the service: it holds the data dir and answers on its control socket. */
  async function serve(cipher: Parameters<typeof startControlServer>[1]['cipher']): Promise<void> {
    await control?.close();
    const services = { ...composeServices(database.db, testConfig()), cipher };
    control = await startControlServer(socket, services, createLogger('silent'));
  }

  beforeAll(async () => {
    dataDir = await newDataDir();
    socket = path.join(path.dirname(dataDir), 'control.sock');
    env = { DATA_DIR: dataDir, ENCRYPTION_KEY_BASE64: configKey, LOG_LEVEL: 'silent' };
    database = await openDatabase({ kind: 'pglite', dataDir }, { controlSocket: socket });
    await runMigrations(database);
    seeded = await seed(database, configKey);
  });
  afterAll(async () => {
    await control?.close();
    await database?.close();
  });

  it(
    'refuses, before touching the ring, when the service does not follow the key ring',
    async () => {
      await serve(accessTokenCipherFromKeys(configKey));
      const run = await runCli(['keys', 'rotate'], env);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/does not follow DATA_DIR\/keyring\.json.*Nothing was changed/);
      expect(readKeyring(dataDir)).toBeUndefined();
    },
    CLI_TIMEOUT,
  );

  it(
    'rotates through the running service, which keeps decrypting every token',
    async () => {
      const service = createReloadingAccessTokenCipher({ dataDir, configKeyBase64: configKey });
      await serve(service);
      expect((await readLockOwner(dataDir))?.pid).toBe(process.pid);

      const run = await runCli(['--json', 'keys', 'rotate'], env);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toContain(`in the running service (pid ${process.pid})`);
      const ring = readKeyring(dataDir)!;
      expect(JSON.parse(run.stdout)).toMatchObject({
        activeKeyId: ring.activeKeyId,
        reencrypted: ITEMS,
        remaining: 0,
      });
      expect(service.activeKeyId).toBe(ring.activeKeyId);

      const rows = await database.db.select().from(plaidItems);
      expectRotated(rows, seeded, dataDir, configKey, ring.activeKeyId);
      for (const row of rows) {
        const token = seeded.find((s) => s.id === row.id)!.token;
        expect(
          service.decrypt({ ciphertext: row.accessTokenCiphertext, keyId: row.accessTokenKeyId }, row.id),
        ).toBe(token);
      }

      const list = await runCli(['keys', 'list', '--json'], env);
      expect(list.code, list.stderr).toBe(0);
      expect(JSON.parse(list.stdout)).toMatchObject({
        activeKeyId: ring.activeKeyId,
        keys: [
          { id: keyIdOf(configKey), items: 0 },
          { id: ring.activeKeyId, active: true, items: ITEMS },
        ],
      });
    },
    CLI_TIMEOUT,
  );
});

describe.skipIf(!inject('postgresUrl'))('finance-api keys rotate with DATABASE_URL', () => {
  it(
    'opens the database itself, and a process started before the rotation keeps decrypting',
    async () => {
      const created = await createPostgresDatabase();
      const dataDir = await newDataDir();
      const configKey = newKey();
      const database = await openDatabase({ kind: 'postgres', url: created.url, poolSize: 2 });
      try {
        await runMigrations(database);
        const seeded = await seed(database, configKey);
        // Another API process on the same database and DATA_DIR, running through the rotation.
        const running = createReloadingAccessTokenCipher({ dataDir, configKeyBase64: configKey });

        const run = await runCli(['--json', 'keys', 'rotate'], {
          DATABASE_URL: created.url,
          DATA_DIR: dataDir,
          ENCRYPTION_KEY_BASE64: configKey,
          JWT_SECRET_KEY: randomBytes(48).toString('base64'),
          LOG_LEVEL: 'silent',
        });
        expect(run.code, run.stderr).toBe(0);
        const ring = readKeyring(dataDir)!;
        expect(JSON.parse(run.stdout)).toMatchObject({ activeKeyId: ring.activeKeyId, reencrypted: ITEMS });

        const rows = await database.db.select().from(plaidItems);
        expectRotated(rows, seeded, dataDir, configKey, ring.activeKeyId);
        for (const row of rows) {
          const encrypted = { ciphertext: row.accessTokenCiphertext, keyId: row.accessTokenKeyId };
          expect(running.decrypt(encrypted, row.id)).toBe(seeded.find((s) => s.id === row.id)!.token);
        }
        expect(running.encrypt('access-sandbox-new', randomUUID()).keyId).toBe(ring.activeKeyId);
      } finally {
        await database.close();
        await created.drop();
      }
    },
    CLI_TIMEOUT,
  );
});

describe('finance-api keys rotate against a real embedded service', () => {
  it(
    're-encrypts through the service while it runs, and the service keeps working',
    async () => {
      const dataDir = await newDataDir();
      const configKey = newKey();
      const env = { DATA_DIR: dataDir, ENCRYPTION_KEY_BASE64: configKey };
      const seeding = await openDatabase({ kind: 'pglite', dataDir });
      let seeded: Seeded[];
      try {
        await runMigrations(seeding);
        seeded = await seed(seeding, configKey);
      } finally {
        await seeding.close();
      }

      const server = await startServerProcess(env);
      try {
        const owner = await readLockOwner(dataDir);
        const status = (await sendControlCommand(owner!.controlSocket!, 'keys.status', {})) as {
          followsKeyRing: boolean;
        };
        expect(status.followsKeyRing).toBe(true);

        const run = await runCli(['--json', 'keys', 'rotate'], env);
        expect(run.code, run.stderr).toBe(0);
        expect(run.stderr).toContain(`in the running service (pid ${owner!.pid})`);
        const ring = readKeyring(dataDir)!;
        expect(JSON.parse(run.stdout)).toMatchObject({
          activeKeyId: ring.activeKeyId,
          reencrypted: ITEMS,
          failed: 0,
          remaining: 0,
        });
        const after = (await sendControlCommand(owner!.controlSocket!, 'keys.status', {})) as {
          activeKeyId: string;
        };
        expect(after.activeKeyId).toBe(ring.activeKeyId);
        expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      } finally {
        await server.stop('SIGTERM');
      }

      const database = await openDatabase({ kind: 'pglite', dataDir });
      try {
        const ring = readKeyring(dataDir)!;
        expectRotated(
          await database.db.select().from(plaidItems),
          seeded,
          dataDir,
          configKey,
          ring.activeKeyId,
        );
      } finally {
        await database.close();
      }
    },
    CLI_TIMEOUT,
  );
});
