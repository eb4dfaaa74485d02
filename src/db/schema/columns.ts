import { numeric, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * Column builders shared by the schema files. Money is exact: numeric(20,4) comes back from the driver
 * as a decimal string and is never turned into a float. Quantities and prices get more scale (crypto).
 */
export const money = (name: string) => numeric(name, { precision: 20, scale: 4 });
export const quantity = (name: string) => numeric(name, { precision: 28, scale: 10 });
export const primaryId = () => uuid('id').primaryKey().defaultRandom();
export const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
export const updatedAt = () =>
  timestamp('updated_at', { withTimezone: true })
    .notNull()
    .defaultNow()
    .$onUpdate(() => new Date());
