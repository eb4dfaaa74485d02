import { eq, sql } from 'drizzle-orm';
import type { Database } from '../client.js';
import { users } from '../schema/index.js';

export type UserRow = typeof users.$inferSelect;

export function createUsersRepository(db: Database) {
  // Hot path (every authenticated request that shows the user): built once, prepared by name.
  const byId = db
    .select()
    .from(users)
    .where(eq(users.id, sql.placeholder('userId')))
    .limit(1)
    .prepare('users_by_id');

  return {
    /** Login and admin lookup: the one read that is by email rather than by the caller's id. */
    async findByEmail(email: string): Promise<UserRow | undefined> {
      const [row] = await db.select().from(users).where(eq(users.email, email)).limit(1);
      return row;
    },

    async findById(userId: string): Promise<UserRow | undefined> {
      const [row] = await byId.execute({ userId });
      return row;
    },

    /** Returns undefined when the email is already taken. */
    async insert(values: { email: string; passwordHash: string }): Promise<UserRow | undefined> {
      const [row] = await db.insert(users).values(values).onConflictDoNothing().returning();
      return row;
    },
  };
}

export type UsersRepository = ReturnType<typeof createUsersRepository>;
