import type SqliteDatabase from 'better-sqlite3';
import {
  CompiledQuery,
  SqliteAdapter,
  SqliteDriver,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type QueryResult,
} from 'kysely';

/**
 * Kysely's better-sqlite3 dialect with three changes for the clc: transactions take the write lock when they begin,
 * migrations run in a transaction, and prepared statements are reused.
 */
export function sqliteDialect(database: SqliteDatabase.Database): Dialect {
  return {
    createDriver: () => new MalleeSqliteDriver(database),
    createQueryCompiler: () => new SqliteQueryCompiler(),
    createAdapter: () => new TransactionalDdlSqliteAdapter(),
    createIntrospector: (db) => new SqliteIntrospector(db),
  };
}

class MalleeSqliteDriver extends SqliteDriver {
  readonly #connection: StatementCachingConnection;

  constructor(database: SqliteDatabase.Database) {
    super({ database });
    this.#connection = new StatementCachingConnection(database);
  }

  /** The one connection, once the base driver's mutex gives it to us (released by `releaseConnection`). */
  override async acquireConnection(): Promise<DatabaseConnection> {
    await super.acquireConnection();
    return this.#connection;
  }

  /**
   * `BEGIN IMMEDIATE`: a deferred transaction that reads and then writes fails at once with `SQLITE_BUSY_SNAPSHOT`
   * when another process wrote in between, while an immediate one waits for the lock within the busy timeout.
   */
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

/**
 * SQLite runs DDL inside transactions, but Kysely's adapter says it does not, so its migrator would apply each
 * migration statement by statement: a crash in the middle would leave half a schema, and two processes starting
 * together could both apply it. Saying yes makes each migration run one immediate transaction.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

/**
 * Kysely's SQLite connection prepares every statement anew, which costs more than running it (about 60 µs against
 * 15 µs for the access key lookup, a join on primary keys). This one keeps the most recently used statements.
 */
class StatementCachingConnection implements DatabaseConnection {
  readonly #statements = new Map<string, SqliteDatabase.Statement>();

  constructor(
    readonly database: SqliteDatabase.Database,
    readonly capacity = 256,
  ) {}

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const statement = this.#prepare(compiledQuery.sql);
    const parameters = compiledQuery.parameters as unknown[];
    if (statement.reader) return { rows: statement.all(parameters) as R[] };
    const { changes, lastInsertRowid } = statement.run(parameters);
    return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
  }

  async *streamQuery<R>(compiledQuery: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    const statement = this.#prepare(compiledQuery.sql);
    if (!statement.reader) throw new Error('only queries that return rows can be streamed');
    for (const row of statement.iterate(compiledQuery.parameters as unknown[])) yield { rows: [row as R] };
  }

  #prepare(sql: string): SqliteDatabase.Statement {
    let statement = this.#statements.get(sql);
    if (statement) {
      this.#statements.delete(sql);
    } else {
      statement = this.database.prepare(sql);
      if (this.#statements.size >= this.capacity) {
        const oldest = this.#statements.keys().next();
        if (!oldest.done) this.#statements.delete(oldest.value);
      }
    }
    this.#statements.set(sql, statement);
    return statement;
  }
}
