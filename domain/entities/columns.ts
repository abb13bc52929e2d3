import { p } from '@mikro-orm/core';

/**
 * Column shapes the migrations repeat. Each call returns a fresh builder (builders are per property).
 * Defaults live in the database; declaring them here tells the ORM a value is optional on create.
 */
export const uuidPk = () => p.uuid().primary().defaultRaw('gen_random_uuid()');
export const createdAt = () => p.datetime().defaultRaw('now()');
/** Kept current by the update_updated_at_column() trigger, so the ORM never has to. */
export const updatedAt = () => p.datetime().defaultRaw('now()');
export const timestamp = () => p.datetime().nullable();
export const jsonObject = <T extends object = Record<string, unknown>>() => p.json<T>().defaultRaw(`'{}'`);
export const textArray = () => p.array().defaultRaw(`'{}'`);
export const varchar = (length: number) => p.string().length(length);
/** numeric(precision, scale), read as a string so money and rates stay exact. */
export const numeric = (precision: number, scale: number) => p.decimal().precision(precision).scale(scale);

/** Issue 14's sender identity, on clients and (as overrides) on campaigns: all nullable. */
export const senderIdentity = () => ({
  senderFromName: varchar(100).nullable(),
  senderFromEmail: varchar(255).nullable(),
  senderReplyTo: varchar(255).nullable(),
  /** The physical postal address CAN-SPAM requires in every commercial email's footer. */
  postalAddress: p.text().nullable(),
});

/** Seed 004's audit columns: optimistic-locking version, soft delete, who created and updated. */
export const audited = () => ({
  version: p.integer().version().default(1),
  metadata: jsonObject(),
  createdBy: varchar(255).nullable(),
  updatedBy: varchar(255).nullable(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
  deletedAt: timestamp(),
});

/**
 * A varchar restricted to `values`. The database's named CHECK constraint does the enforcing; the list
 * types the property (p.enum would make the schema generator want its own, differently named CHECK).
 */
export const choice = <const T extends readonly string[]>(_values: T, length: number) => p.string().$type<T[number]>().length(length);
