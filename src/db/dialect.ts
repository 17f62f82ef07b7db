import { PostgresAdapter, SqliteAdapter, type Kysely } from 'kysely';
import type { DialectName } from './migrations/migration.js';

export type { DialectName };

/** Which engine a Kysely instance (or a transaction of one) talks to. */
export function dialectOf<DB>(db: Kysely<DB>): DialectName {
  const adapter = db.getExecutor().adapter;
  if (adapter instanceof PostgresAdapter) return 'postgres';
  if (adapter instanceof SqliteAdapter) return 'sqlite';
  throw new Error(`unsupported database adapter ${adapter.constructor.name}`);
}
