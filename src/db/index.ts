export { dialectOf, type DialectName } from './dialect.js';
export { appliedMigrations, DatabaseTooNewError, migrateToLatest, MigrationError } from './migrate.js';
export { schemaMigrations } from './migrations/index.js';
export type { SchemaMigration } from './migrations/migration.js';
export {
  DatabaseConfigError,
  defaultSqliteFile,
  openDatabase,
  sqliteBusyTimeoutMs,
  type OpenDatabaseOptions,
} from './open-database.js';
export type * from './schema.js';
export { isRetryableConflict, isUniqueViolation, withTransaction, type TransactionOptions } from './transaction.js';
