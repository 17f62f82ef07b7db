import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { Test } from 'tap';
import { openDatabase, type OpenDatabaseOptions } from '../../../src/db/open-database.js';
import type { Database } from '../../../src/db/schema.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';

/** One database engine the tests run against; each `fresh` database is empty and private to one test. */
export interface Backend {
  name: 'sqlite' | 'postgres';
  /** Where a fresh database lives, as `openDatabase` takes it (nothing opened yet). */
  freshLocation(t: Test): Promise<OpenDatabaseOptions>;
  /** A fresh database, migrated, closed when the test ends. */
  fresh(t: Test): Promise<Kysely<Database>>;
}

let databases = 0;

/**
 * SQLite in a temp file and PostgreSQL on a throwaway server (one per test file, stopped when the file's tests end),
 * for table-driven tests: `for (const backend of await backends(t)) t.test(backend.name, ...)`.
 */
export async function backends(t: Test): Promise<Backend[]> {
  const server: TestPostgres = await startPostgres();
  t.teardown(() => server.stop());
  const open = async (t: Test, options: OpenDatabaseOptions) => {
    const db = await openDatabase(options);
    t.teardown(() => db.destroy());
    return db;
  };
  const sqlite: Backend = {
    name: 'sqlite',
    async freshLocation(t) {
      const dir = mkdtempSync(join(tmpdir(), 'mallee-db-'));
      t.teardown(() => rmSync(dir, { recursive: true, force: true }));
      return { sqliteFile: join(dir, 'clc.sqlite') };
    },
    async fresh(t) {
      return open(t, await this.freshLocation(t));
    },
  };
  const postgres: Backend = {
    name: 'postgres',
    async freshLocation() {
      return { url: await server.createDatabase(`test_${++databases}`) };
    },
    async fresh(t) {
      return open(t, await this.freshLocation(t));
    },
  };
  return [sqlite, postgres];
}
