import { join } from 'node:path';
import { sql } from 'kysely';
import t from 'tap';
import { appliedMigrations, DatabaseTooNewError, migrateToLatest } from '../../../src/db/migrate.js';
import type { SchemaMigration } from '../../../src/db/migrations/migration.js';
import { schemaMigrations } from '../../../src/db/migrations/index.js';
import { DatabaseConfigError, openDatabase, type OpenDatabaseOptions } from '../../../src/db/open-database.js';
import { dialectOf } from '../../../src/db/dialect.js';
import { projectRoot, runCommand } from '../../helpers/cli.js';
import { backends } from './backends.js';

/**
 * Separate processes, as several clc daemons would be: better-sqlite3 waits for a lock synchronously, so connections
 * in one process would block the very event loop that has to release it.
 */
async function migrateInChild(location: OpenDatabaseOptions): Promise<string[]> {
  const source = [
    `import { openDatabase } from ${JSON.stringify(join(projectRoot, 'src/db/open-database.ts'))};`,
    `import { migrateToLatest } from ${JSON.stringify(join(projectRoot, 'src/db/migrate.ts'))};`,
    `const db = await openDatabase({ ...${JSON.stringify(location)}, migrate: false });`,
    'console.log(JSON.stringify(await migrateToLatest(db)));',
    'await db.destroy();',
  ].join('\n');
  const child = await runCommand(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', source], {
    cwd: projectRoot,
  });
  if (child.code !== 0) throw new Error(`migrating child failed: ${child.stderr}`);
  return JSON.parse(child.stdout) as string[];
}

const allNames = schemaMigrations.map((migration) => migration.name);

const engines = await backends(t);

for (const backend of engines) {
  t.test(backend.name, async (t) => {
    t.test('a new database gets every migration, once', async (t) => {
      const location = await backend.freshLocation(t);
      const db = await openDatabase({ ...location, migrate: false });
      t.teardown(() => db.destroy());
      t.equal(dialectOf(db), backend.name);
      t.same(await appliedMigrations(db), []);
      t.same(await migrateToLatest(db), allNames, 'the first run applies all');
      t.same(await migrateToLatest(db), [], 'the second run applies none');
      t.same(await appliedMigrations(db), allNames);
    });

    t.test('opening again keeps the data and applies nothing', async (t) => {
      const location = await backend.freshLocation(t);
      const first = await openDatabase(location);
      await first
        .insertInto('accounts')
        .values({ account_id: '111111111111', account_name: 'kept', status: 'ACTIVE', created_at: 'x' })
        .execute();
      await first.destroy();
      const second = await openDatabase(location);
      t.teardown(() => second.destroy());
      t.same(await migrateToLatest(second), []);
      t.same(await second.selectFrom('accounts').select('account_name').execute(), [{ account_name: 'kept' }]);
    });

    t.test('processes starting together apply each migration once', async (t) => {
      const location = await backend.freshLocation(t);
      const applied = await Promise.all([1, 2, 3].map(() => migrateInChild(location)));
      t.same(applied.flat().sort(), [...allNames].sort(), 'each name applied by exactly one process');
    });

    t.test('a database migrated by newer code is refused with a clear error', async (t) => {
      const location = await backend.freshLocation(t);
      const newer: SchemaMigration = {
        name: '9999-from-the-future',
        async up(db) {
          await db.schema.createTable('future').addColumn('id', 'text').execute();
        },
      };
      const db = await openDatabase({ ...location, migrate: false });
      await migrateToLatest(db, [...schemaMigrations, newer]);
      await db.destroy();
      await t.rejects(openDatabase(location), DatabaseTooNewError);
      await t.rejects(openDatabase(location), {
        message: new RegExp(`has 9999-from-the-future; this version knows up to ${allNames.at(-1)}`),
      });
    });

    t.test('a failing migration leaves nothing half-applied', async (t) => {
      const location = await backend.freshLocation(t);
      const broken: SchemaMigration = {
        name: '9999-broken',
        async up(db) {
          await db.schema.createTable('half').addColumn('id', 'text').execute();
          await sql`this is not sql`.execute(db);
        },
      };
      const db = await openDatabase(location);
      t.teardown(() => db.destroy());
      await t.rejects(migrateToLatest(db, [...schemaMigrations, broken]), { name: 'MigrationError' });
      const tables = (await db.introspection.getTables()).map((table) => table.name);
      t.notOk(tables.includes('half'), 'its first statement was rolled back');
      t.same(await appliedMigrations(db), allNames);
    });

    t.test('the schema enforces its constraints', async (t) => {
      const db = await backend.fresh(t);
      await t.rejects(
        db
          .insertInto('users')
          .values({
            user_id: 'AIDAX',
            account_id: 'nobody',
            user_name: 'a',
            user_name_key: 'a',
            path: '/',
            created_at: 'x',
          })
          .execute(),
        'a user of no account',
      );
      await t.rejects(
        db
          .insertInto('accounts')
          .values({ account_id: '1', account_name: 'n', status: 'BOGUS' as 'ACTIVE', created_at: 'x' })
          .execute(),
        'an unknown status',
      );
    });
  });
}

t.test('SQLite is opened for durability', async (t) => {
  const sqlite = engines.find((backend) => backend.name === 'sqlite');
  const db = await sqlite!.fresh(t);
  const pragma = async (name: string) =>
    (await sql<Record<string, unknown>>`${sql.raw(`pragma ${name}`)}`.execute(db)).rows[0];
  t.same(await pragma('journal_mode'), { journal_mode: 'wal' });
  t.same(await pragma('synchronous'), { synchronous: 2 }, 'FULL');
  t.same(await pragma('foreign_keys'), { foreign_keys: 1 });
  t.same(await pragma('busy_timeout'), { timeout: 5000 });
});

t.test('a URL that is not PostgreSQL is refused without echoing it', async (t) => {
  const error = await openDatabase({ url: 'mysql://root:hunter2@db/clc' }).catch((error: unknown) => error);
  t.type(error, DatabaseConfigError);
  t.match((error as Error).message, /unsupported database URL scheme "mysql"/);
  t.notMatch((error as Error).message, /hunter2/);
  await t.rejects(openDatabase({}), DatabaseConfigError);
});
