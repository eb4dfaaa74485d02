import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOAuthAdapter } from '../../src/domain/oauth/adapter.js';
import { createOAuthRepository } from '../../src/db/repositories/oauth.js';
import { databaseKinds, openTestDatabase, type TestDatabase } from '../helpers/database.js';

describe.each(databaseKinds())('OAuth storage adapter on %s', (kind) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await openTestDatabase(kind);
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('stores, finds, consumes, revokes by grant and forgets expired records', async () => {
    const repository = createOAuthRepository(database.handle.db);
    let now = new Date('2026-01-01T00:00:00Z');
    const Adapter = createOAuthAdapter(repository, () => now);
    const codes = new Adapter('AuthorizationCode');
    const interactions = new Adapter('Interaction');

    await codes.upsert('code-1', { grantId: 'g1', clientId: 'c' }, 60);
    await codes.upsert('code-2', { grantId: 'g2', clientId: 'c' }, 60);
    await interactions.upsert('i-1', { uid: 'uid-1', returnTo: '/x' }, 3600);
    expect(await codes.find('code-1')).toEqual({ grantId: 'g1', clientId: 'c' });
    expect(await interactions.findByUid('uid-1')).toMatchObject({ returnTo: '/x' });
    // Another model's id space is apart.
    expect(await interactions.find('code-1')).toBeUndefined();

    await codes.consume('code-1');
    expect((await codes.find('code-1'))?.consumed).toEqual(expect.any(Number));

    await codes.revokeByGrantId('g2');
    expect(await codes.find('code-2')).toBeUndefined();

    now = new Date(now.getTime() + 61_000);
    expect(await codes.find('code-1')).toBeUndefined(); // expired: never read again
    expect(await interactions.find('i-1')).toBeDefined();

    await codes.destroy('code-1');
    const swept = await repository.deleteExpired(new Date(now.getTime() + 86_400_000 * 2), 86_400_000);
    expect(swept).toBe(1); // the interaction; code-1 was destroyed
  });
});
