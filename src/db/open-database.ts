import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, type Dialect } from 'kysely';
import pg from 'pg';
import { migrateToLatest } from './migrate.js';
import type { Database } from './schema.js';
import { sqliteDialect } from './sqlite-dialect.js';

export interface OpenDatabaseOptions {
  /** `postgres://` or `postgresql://`: use that PostgreSQL database. */
  url?: string;
  /** The SQLite file, created with its directory when missing. Used when there is no `url`. */
  sqliteFile?: string;
  /** Apply pending migrations before returning (the default); false only for tools that inspect a database as is. */
  migrate?: boolean;
  /** PostgreSQL only: most connections the pool opens (default 10). */
  poolSize?: number;
  /** PostgreSQL only: an idle pooled connection failed (the pool drops it and opens another when needed). */
  onPoolError?: (error: Error) => void;
}

/** The clc's SQLite file in its data directory. */
export function defaultSqliteFile(dataDir: string): string {
  return join(dataDir, 'clc.sqlite');
}

/** How long a writer waits for another process's write lock before SQLite reports `SQLITE_BUSY`. */
export const sqliteBusyTimeoutMs = 5000;

export class DatabaseConfigError extends Error {
  override name = 'DatabaseConfigError';
}

/**
 * Opens the cloud controller's database and brings its schema up to date: PostgreSQL when `url` names one, SQLite
 * (better-sqlite3) otherwise. Close it with `db.destroy()`.
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Kysely<Database>> {
  const db = new Kysely<Database>({ dialect: createDialect(options) });
  try {
    if (options.migrate !== false) await migrateToLatest(db);
    return db;
  } catch (error) {
    await db.destroy();
    throw error;
  }
}

function createDialect(options: OpenDatabaseOptions): Dialect {
  if (options.url !== undefined) {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(options.url)?.[1]?.toLowerCase();
    if (scheme !== 'postgres' && scheme !== 'postgresql') {
      // The URL may hold a password: name only its scheme.
      throw new DatabaseConfigError(
        `unsupported database URL scheme "${scheme ?? ''}": use postgres:// or postgresql://, or no URL for SQLite`,
      );
    }
    return postgresDialect(options.url, options);
  }
  if (options.sqliteFile === undefined) {
    throw new DatabaseConfigError('openDatabase needs a PostgreSQL url or a SQLite file');
  }
  return openSqlite(options.sqliteFile);
}

function postgresDialect(url: string, options: OpenDatabaseOptions): Dialect {
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10 });
  // Without a listener, an idle connection dropped by the server would crash the process.
  pool.on('error', (error) => options.onPoolError?.(error));
  return new PostgresDialect({ pool });
}

/**
 * SQLite tuned for a daemon that must not lose an acknowledged write:
 * - WAL, so readers never block the writer and a crash mid-commit leaves the last committed state.
 * - `synchronous=FULL`: every commit fsyncs the WAL before it returns. `NORMAL` is already safe against a killed
 *   process, but after a power cut or kernel crash it may lose the last commits, ones the API has acknowledged
 *   (a `RunInstances` the client saw succeed). The clc's write rate is a few per second at most, so one fsync per
 *   commit is cheap.
 * - foreign keys enforced (SQLite leaves them off by default);
 * - a busy timeout, so a second process (a backup, `cloudctl` on the same host) waits instead of failing at once.
 */
function openSqlite(file: string): Dialect {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const database = new SqliteDatabase(file);
  try {
    const mode = String(database.pragma('journal_mode = WAL', { simple: true }));
    if (mode !== 'wal' && file !== ':memory:') {
      throw new DatabaseConfigError(
        `SQLite cannot use write-ahead logging for ${file} (journal mode stays "${mode}"); put the data directory ` +
          'on a local filesystem',
      );
    }
    database.pragma('synchronous = FULL');
    database.pragma('foreign_keys = ON');
    database.pragma(`busy_timeout = ${sqliteBusyTimeoutMs}`);
  } catch (error) {
    database.close();
    throw error;
  }
  return sqliteDialect(database);
}
