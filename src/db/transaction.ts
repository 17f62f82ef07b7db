import type { Kysely, Transaction } from 'kysely';

export interface TransactionOptions {
  /** Attempts in all, the first included (default 5). */
  attempts?: number;
}

/**
 * Runs `work` in one transaction and commits it, retrying the whole of it when the database says the transaction
 * lost a race: PostgreSQL's serialization failures and deadlocks (every transaction here is SERIALIZABLE, so
 * read-then-write checks such as "at most two keys" hold under concurrency) and SQLite's BUSY (another process held
 * the write lock past the busy timeout). Any other error rolls back and propagates, untouched. Inside a transaction
 * already, `work` joins it: the outermost call owns the commit and the retries.
 *
 * `work` may run more than once, so it must not have effects outside the database.
 */
export async function withTransaction<DB, T>(
  db: Kysely<DB>,
  work: (trx: Transaction<DB>) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  if (db.isTransaction) return work(db as Transaction<DB>);
  const attempts = options.attempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().setIsolationLevel('serializable').execute(work);
    } catch (error) {
      if (attempt >= attempts || !isRetryableConflict(error)) throw error;
      await backoff(attempt);
    }
  }
}

/** A transaction that failed only because a concurrent one won; running it again may succeed. */
export function isRetryableConflict(error: unknown): boolean {
  const code = errorCode(error);
  if (code === undefined) return false;
  // 40001 serialization_failure, 40P01 deadlock_detected.
  return code === '40001' || code === '40P01' || code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
}

/** A unique or primary key constraint refused an insert (a duplicate name, or a generated id that collided). */
export function isUniqueViolation(error: unknown): boolean {
  const code = errorCode(error);
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

/** Exponential with jitter, so two losers do not collide again in step: about 10, 20, 40 ... ms. */
function backoff(attempt: number): Promise<void> {
  const ms = 5 * 2 ** attempt * (0.5 + Math.random());
  return new Promise((resolve) => setTimeout(resolve, ms));
}
