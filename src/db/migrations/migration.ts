import type { Kysely } from 'kysely';
import { sql } from 'kysely';

export type DialectName = 'sqlite' | 'postgres';

/**
 * One step of the schema, applied once and recorded by name. Names sort in the order they apply (`0001-...`); a
 * migration, once released, never changes: a later change to the schema is a new migration.
 */
export interface SchemaMigration {
  name: string;
  up(db: Kysely<unknown>, dialect: DialectName): Promise<void>;
}

/**
 * Text compared byte by byte on both engines. SQLite's default (BINARY) already is; PostgreSQL otherwise uses the
 * database's locale, which would order and page names differently from one server to the next.
 */
export function binaryText(dialect: DialectName) {
  return dialect === 'postgres' ? sql`text collate "C"` : sql`text`;
}
