import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { schemaMigrations } from './migrations/index.js';
import type { SchemaMigration } from './migrations/migration.js';
import { dialectOf, type DialectName } from './dialect.js';

export const migrationTable = 'kysely_migration';

/** The database was migrated by a newer Mallee: this code does not know its schema and must not touch it. */
export class DatabaseTooNewError extends Error {
  override name = 'DatabaseTooNewError';
  constructor(
    readonly unknownMigrations: readonly string[],
    readonly latestKnown: string | undefined,
  ) {
    super(
      `The database was migrated by a newer version of Mallee (it has ${unknownMigrations.join(', ')}; this ` +
        `version knows up to ${latestKnown ?? 'none'}). Upgrade Mallee on this host, or restore a backup taken ` +
        'before the upgrade.',
    );
  }
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/**
 * Applies every pending migration, in one transaction on either engine (PostgreSQL also takes Kysely's migration
 * lock, so clc processes starting together apply each migration once). Applying twice is a no-op. Returns the names
 * of the migrations it applied.
 */
export async function migrateToLatest<DB>(
  db: Kysely<DB>,
  migrations: readonly SchemaMigration[] = schemaMigrations,
): Promise<string[]> {
  await refuseNewerDatabase(db, migrations);
  const migrator = new Migrator({ db, provider: codeMigrations(migrations, dialectOf(db)) });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results.find((result) => result.status === 'Error')?.migrationName;
    const reason = error instanceof Error ? error.message : String(error);
    throw new MigrationError(
      failed ? `database migration ${failed} failed: ${reason}` : `database migration failed: ${reason}`,
      { cause: error },
    );
  }
  return results.filter((result) => result.status === 'Success').map((result) => result.migrationName);
}

/** Names of the migrations the database has applied, oldest first; empty for a new database. */
export async function appliedMigrations<DB>(db: Kysely<DB>): Promise<string[]> {
  const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
  if (!tables.some((table) => table.name === migrationTable)) return [];
  const { rows } = await sql<{ name: string }>`select name from ${sql.table(migrationTable)} order by name`.execute(db);
  return rows.map((row) => row.name);
}

async function refuseNewerDatabase<DB>(db: Kysely<DB>, migrations: readonly SchemaMigration[]): Promise<void> {
  const known = new Set(migrations.map((migration) => migration.name));
  const unknown = (await appliedMigrations(db)).filter((name) => !known.has(name));
  if (unknown.length > 0) throw new DatabaseTooNewError(unknown, migrations.at(-1)?.name);
}

function codeMigrations(migrations: readonly SchemaMigration[], dialect: DialectName) {
  const provider: MigrationProvider = {
    async getMigrations() {
      return Object.fromEntries(
        migrations.map((migration): [string, Migration] => [migration.name, { up: (db) => migration.up(db, dialect) }]),
      );
    },
  };
  return provider;
}
