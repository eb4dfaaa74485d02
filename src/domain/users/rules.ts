import { z } from 'zod';

/** The rules for emails and passwords, shared by the HTTP schemas and the CLI. */

export const emailSchema = z
  .email({ message: 'expected an email address' })
  .max(254, { message: 'expected at most 254 characters' })
  .transform((email) => email.toLowerCase());

export const PASSWORD_MIN_LENGTH = 12;

export const passwordSchema = z
  .string({ message: 'expected a string' })
  .min(PASSWORD_MIN_LENGTH, { message: `expected at least ${PASSWORD_MIN_LENGTH} characters` })
  .max(1024, { message: 'expected at most 1024 characters' })
  .refine((password) => new Set(password).size >= 5, {
    message: 'too weak: use at least 5 different characters',
  })
  .refine((password) => !COMMON_PASSWORDS.has(password.toLowerCase()), {
    message: 'too weak: this is a well-known password',
  });

const COMMON_PASSWORDS = new Set([
  '123456789012',
  'password1234',
  'passwordpassword',
  'qwertyuiopas',
  'qwerty123456',
  '1q2w3e4r5t6y',
  'iloveyou1234',
  'administrator',
  'letmein12345',
  'welcome12345',
  'changeme1234',
]);
