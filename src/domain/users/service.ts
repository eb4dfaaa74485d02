import type { z } from 'zod';
import { errors } from '../../errors/catalog.js';
import type { userSchema } from '../../http/schemas/users.js';
import type { UserRow, UsersRepository } from '../../db/repositories/users.js';
import { generatePassword, hashPassword } from '../auth/passwords.js';

/** A user as the API shows it: the `User` schema (src/http/schemas/users.ts) is its type. */
export type UserView = z.output<typeof userSchema>;

export function toUserView(user: UserRow): UserView {
  return { id: user.id, email: user.email, created_at: user.createdAt.toISOString() };
}

export interface UsersServiceDeps {
  users: UsersRepository;
}

/** Email and password arrive validated (domain/users/rules.ts); this creates and reads users. */
export function createUsersService({ users }: UsersServiceDeps) {
  return {
    /** With no password, one is generated and returned once. */
    async create(input: {
      email: string;
      password?: string;
    }): Promise<{ user: UserRow; generatedPassword?: string }> {
      const generatedPassword = input.password === undefined ? generatePassword() : undefined;
      const passwordHash = await hashPassword(input.password ?? generatedPassword!);
      const user = await users.insert({ email: input.email, passwordHash });
      if (!user) throw errors.emailTaken();
      return { user, generatedPassword };
    },

    async get(userId: string): Promise<UserRow> {
      const user = await users.findById(userId);
      if (!user) throw errors.notFound('user', userId);
      return user;
    },

    async getByEmail(email: string): Promise<UserRow> {
      const user = await users.findByEmail(email);
      if (!user) throw errors.notFound('user with that email');
      return user;
    },
  };
}

export type UsersService = ReturnType<typeof createUsersService>;
