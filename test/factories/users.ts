import { randomUUID } from 'node:crypto';
import type { App } from '../../src/app.js';
import type { ApiTokenScope } from '../../src/db/schema/index.js';

export const FACTORY_PASSWORD = 'correct horse battery staple';

/** A user with a known password, through the real service. */
export async function newUser(app: App, overrides: { email?: string; password?: string } = {}) {
  const email = overrides.email ?? `user-${randomUUID()}@example.com`;
  const password = overrides.password ?? FACTORY_PASSWORD;
  const { user } = await app.services.users.create({ email, password });
  return { user, email, password };
}

/** A personal access token for a user, through the real service. */
export async function newAccessToken(
  app: App,
  userId: string,
  overrides: { name?: string; scope?: ApiTokenScope; expiresInDays?: number } = {},
) {
  return app.services.auth.createToken(userId, {
    name: overrides.name ?? 'test token',
    scope: overrides.scope ?? 'write',
    expiresInDays: overrides.expiresInDays,
  });
}

export function bearer(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}
